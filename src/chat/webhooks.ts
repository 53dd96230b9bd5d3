import { type Static, Type } from '@sinclair/typebox';
import { Uuid } from '../contract/schemas.ts';
import { deleteEndpoint, insertEndpoint, listEndpoints, type WebhookEndpoint } from '../db/webhooks.ts';
import { invalid, notFound } from '../errors.ts';
import { isWebhookSecret, isWebhookUrl, newSecret } from '../webhooks/signing.ts';
import type { Actor } from './actor.ts';
import { recordAudit } from './audit.ts';
import type { Chat } from './context.ts';
import { assertServer } from './permissions.ts';

/**
 * Every durable event an endpoint may ask for. Typing and presence are ephemeral (never in the log),
 * so never delivered; message_reported and notification are for webhooks only.
 */
export const WEBHOOK_EVENTS = [
  'new_message',
  'message_updated',
  'message_deleted',
  'message_reaction',
  'reaction_removed',
  'thread_updated',
  'read_receipt',
  'member_joined',
  'member_left',
  'channel_created',
  'channel_updated',
  'mention',
  'message_reported',
  'notification',
] as const;

export const CreateWebhookInput = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    events: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 64 })),
    secret: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export const WebhookParams = Type.Object({ id: Uuid });

export async function createWebhook(
  chat: Chat,
  actor: Actor,
  input: Static<typeof CreateWebhookInput>,
): Promise<WebhookEndpoint & { secret: string }> {
  assertServer(actor);
  if (!isWebhookUrl(input.url)) throw invalid('url', 'url must be an http:// or https:// URL.');
  let events: string[] | null = null;
  if (input.events && !(input.events.length === 1 && input.events[0] === '*')) {
    const unknown = input.events.find((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
    if (unknown !== undefined) {
      throw invalid('events', `events: "${unknown}" is not an event (one of ${WEBHOOK_EVENTS.join(', ')}, or "*").`);
    }
    events = [...new Set(input.events)];
  }
  if (input.secret !== undefined && !isWebhookSecret(input.secret)) {
    throw invalid('secret', 'secret must be whsec_ followed by the base64 of 24 to 64 random bytes.');
  }
  const secret = input.secret ?? newSecret();
  const { id } = await insertEndpoint(chat.sql, { url: input.url, events, secret });
  // The secret never goes into the audit: the audit is for reading.
  await recordAudit(chat, actor, { action: 'webhook.create', target: id, detail: { url: input.url, events } });
  chat.webhooksChanged?.();
  const shown = (await listEndpoints(chat.sql)).find((e) => e.id === id)!;
  return { ...shown, secret };
}

export async function listWebhooks(chat: Chat, actor: Actor): Promise<WebhookEndpoint[]> {
  assertServer(actor);
  return listEndpoints(chat.sql);
}

export async function deleteWebhook(chat: Chat, actor: Actor, id: string): Promise<void> {
  assertServer(actor);
  if (!(await deleteEndpoint(chat.sql, id))) throw notFound('Webhook endpoint');
  await recordAudit(chat, actor, { action: 'webhook.delete', target: id });
  chat.webhooksChanged?.();
}
