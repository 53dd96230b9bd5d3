import { Type } from '@sinclair/typebox';
import { markRead, setTyping } from '../../chat/activity.ts';
import { Uuid } from '../../contract/schemas.ts';
import { ChannelParams, errors } from '../schemas.ts';
import type { Routes } from './types.ts';

const TypingBody = Type.Object({ is_typing: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const ReadBody = Type.Object({ message_id: Uuid }, { additionalProperties: false });

const routes: Routes = async (app, { deps }) => {
  app.post(
    '/channels/:id/typing',
    {
      // The body is optional ({is_typing?: true}): a bare POST with no body at all means "typing".
      // Without this the schema would see `undefined` and refuse it as "body must be object".
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
      schema: {
        tags: ['activity'],
        params: ChannelParams,
        body: Type.Optional(TypingBody),
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      await setTyping(deps.chat, req.actor, req.params.id, req.body?.is_typing ?? true);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/channels/:id/read',
    {
      schema: {
        tags: ['activity'],
        params: ChannelParams,
        body: ReadBody,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await markRead(deps.chat, req.actor, req.params.id, req.body.message_id);
      return reply.status(204).send(null);
    },
  );
};

export default routes;
