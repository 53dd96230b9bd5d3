import { membershipOf } from '../db/members.ts';
import { ApiError } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { assertMember, type Place } from './permissions.ts';

/** The actor's place in a channel, or the error to give (404 no channel, 403 not a member). */
export async function placeIn(chat: Chat, actor: Actor, channelId: string): Promise<Place> {
  const row = await membershipOf(chat.sql, channelId, actor.kind === 'user' ? actor.userId : '');
  assertMember(actor, row.found, row.role);
  return {
    role: row.role ?? '',
    channelType: row.channelType,
    isArchived: row.isArchived,
    isFrozen: row.isFrozen,
    slowModeSeconds: row.slowModeSeconds,
  };
}

/** The user the actor stands for; the platform itself is nobody's member, reader or author. */
export function userOf(actor: Actor): string {
  if (actor.kind === 'user') return actor.userId;
  throw new ApiError(
    'invalid_request',
    'This acts as a user: send X-Parley-User with the server key.',
    'headers.x-parley-user',
  );
}
