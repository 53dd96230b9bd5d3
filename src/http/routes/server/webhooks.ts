import { Type } from '@sinclair/typebox';
import {
  CreateWebhookInput,
  createWebhook,
  deleteWebhook,
  listWebhooks,
  WebhookParams,
} from '../../../chat/webhooks.ts';
import { WebhookEndpoint } from '../../../contract/resources.ts';
import { errors } from '../../schemas.ts';
import type { Routes } from '../types.ts';

/** The server API's webhook endpoints (Standard Webhooks; delivery in src/webhooks/). */
const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;
  const tags = ['server'];

  app.post(
    '/webhooks',
    {
      schema: {
        tags,
        summary: 'Add a webhook endpoint',
        description:
          'Every durable event after now, server-wide, POSTed alone and signed (webhook-id, webhook-timestamp, ' +
          'webhook-signature). `events` absent or `["*"]`: all. `secret` (whsec_…) is generated when absent and ' +
          'shown only in this answer.',
        body: CreateWebhookInput,
        response: { 201: WebhookEndpoint, ...errors(400, 401, 403) },
      },
    },
    async (req, reply) => reply.status(201).send(await createWebhook(chat, req.actor, req.body)),
  );

  app.get(
    '/webhooks',
    {
      schema: {
        tags,
        summary: 'Webhook endpoints and their delivery state',
        description: 'cursor, lag, attempts of the event being retried, failing (events lost to retention).',
        response: { 200: Type.Object({ webhooks: Type.Array(WebhookEndpoint) }), ...errors(401, 403) },
      },
    },
    async (req) => ({ webhooks: await listWebhooks(chat, req.actor) }),
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Remove a webhook endpoint',
        params: WebhookParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await deleteWebhook(chat, req.actor, req.params.id);
      return reply.status(204).send(null);
    },
  );
};

export default routes;
