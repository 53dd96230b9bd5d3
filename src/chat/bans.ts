import { type Static, Type } from '@sinclair/typebox';
import { Text, Timestamp, UserId } from '../contract/schemas.ts';
import { type Ban, banMember, bansOf, unban as removeBan } from '../db/bans.ts';
import { getMember } from '../db/members.ts';
import { ApiError, invalid, notFound } from '../errors.ts';
import type { Actor } from './actor.ts';
import { actorName, recordAudit } from './audit.ts';
import type { Chat } from './context.ts';
import { assertCanBan, assertCanChangeChannel } from './permissions.ts';
import { placeIn } from './place.ts';

export const BanInput = Type.Object(
  { user_id: UserId, until: Type.Optional(Timestamp), reason: Type.Optional(Text({ maxLength: 1000 })) },
  { additionalProperties: false },
);

/**
 * Bans a user from a channel: removes them (their member_left is the last they get of it) and
 * refuses them as a member until `until` (for good without it). The channel's moderators (owner,
 * admin, tutor) or the server API; the rules of removing hold (nobody bans the owner or the tutor).
 */
export async function banUser(
  chat: Chat,
  actor: Actor,
  channelId: string,
  input: Static<typeof BanInput>,
): Promise<Ban> {
  const place = await placeIn(chat, actor, channelId);
  if (place.channelType === 'direct') throw new ApiError('forbidden', "A direct channel's members never change.");
  const until = input.until ? new Date(input.until) : null;
  if (until && until.getTime() <= Date.now()) throw invalid('until', 'until must be in the future.');
  const target = await getMember(chat.sql, channelId, input.user_id);
  const self = actor.kind === 'user' && actor.userId === input.user_id;
  assertCanBan(actor, place, { self, role: target?.role ?? 'member' });
  const ban = await banMember(chat.sql, {
    channelId,
    userId: input.user_id,
    until,
    reason: input.reason ?? null,
    by: actorName(actor),
  });
  await recordAudit(chat, actor, {
    action: 'member.ban',
    target: input.user_id,
    channelId,
    userId: input.user_id,
    detail: { until: ban.until, reason: ban.reason, was_member: Boolean(target) },
  });
  return ban;
}

export async function unbanUser(chat: Chat, actor: Actor, channelId: string, userId: string): Promise<void> {
  assertCanChangeChannel(actor, await placeIn(chat, actor, channelId));
  if (!(await removeBan(chat.sql, channelId, userId))) throw notFound('Ban');
  await recordAudit(chat, actor, { action: 'member.unban', target: userId, channelId, userId });
}

/** The channel's bans in force: its moderators only. */
export async function listBans(chat: Chat, actor: Actor, channelId: string): Promise<Ban[]> {
  assertCanChangeChannel(actor, await placeIn(chat, actor, channelId));
  return bansOf(chat.sql, channelId);
}
