import { type Static, Type } from '@sinclair/typebox';
import { Text } from '../contract/schemas.ts';
import { channelWithMetadata } from '../db/channels.ts';
import { type Hold, holdOf, placeHold, releaseHold } from '../db/holds.ts';
import { notFound } from '../errors.ts';
import type { Actor } from './actor.ts';
import { actorName, recordAudit } from './audit.ts';
import type { ServerChannel } from './channels.ts';
import type { Chat } from './context.ts';
import { assertServer } from './permissions.ts';
import { placeIn } from './place.ts';

export const HoldInput = Type.Object(
  { reason: Type.Optional(Text({ maxLength: 1000 })) },
  { additionalProperties: false },
);

/**
 * The server API: a legal hold. A held channel is kept whatever PARLEY_MESSAGE_RETENTION says, it
 * cannot be deleted, and erasing one of its members keeps the original text of their messages in
 * revisions (for moderators and exports; users see the erasure as usual).
 */
export async function holdChannel(
  chat: Chat,
  actor: Actor,
  channelId: string,
  input: Static<typeof HoldInput>,
): Promise<{ created: boolean; hold: Hold }> {
  assertServer(actor);
  await placeIn(chat, actor, channelId);
  const result = await placeHold(chat.sql, { channelId, reason: input.reason?.trim() || null, by: actorName(actor) });
  await recordAudit(chat, actor, {
    action: result.created ? 'channel.hold' : 'channel.hold_update',
    target: channelId,
    channelId,
    detail: { reason: result.hold.reason },
  });
  return result;
}

export async function releaseChannel(chat: Chat, actor: Actor, channelId: string): Promise<void> {
  assertServer(actor);
  await placeIn(chat, actor, channelId);
  const hold = await releaseHold(chat.sql, channelId);
  if (!hold) throw notFound('Hold');
  await recordAudit(chat, actor, {
    action: 'channel.release',
    target: channelId,
    channelId,
    detail: { reason: hold.reason, held_by: hold.held_by, held_at: hold.held_at },
  });
}

/** The server API's view of a channel: the Channel, the host's metadata and its legal hold (or null). */
export async function serverChannel(
  chat: Chat,
  actor: Actor,
  channelId: string,
): Promise<ServerChannel & { legal_hold: Hold | null }> {
  assertServer(actor);
  const channel = await channelWithMetadata(chat.sql, channelId);
  if (!channel) throw notFound('Channel');
  return { ...channel, legal_hold: await holdOf(chat.sql, channelId) };
}
