import { onlineMembers as onlineOf, onlinePeers, statusOf } from '../db/presence.ts';
import { ApiError } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { placeIn, userOf } from './place.ts';

/**
 * Presence is shared only between users who share a channel: a user online in channels of their
 * own is nobody else's business.
 */

export function onlineUsers(chat: Chat, actor: Actor): Promise<{ user_id: string; since: string }[]> {
  return onlinePeers(chat.sql, chat.presenceTtlMs, userOf(actor));
}

export async function onlineMembers(chat: Chat, actor: Actor, channelId: string): Promise<string[]> {
  await placeIn(chat, actor, channelId);
  return onlineOf(chat.sql, chat.presenceTtlMs, channelId);
}

export async function userStatus(
  chat: Chat,
  actor: Actor,
  userId: string,
): Promise<{ user_id: string; online: boolean; last_seen_at: string | null }> {
  const s = await statusOf(chat.sql, chat.presenceTtlMs, userOf(actor), userId);
  if (!s.visible) throw new ApiError('forbidden', 'You share no channel with this user.');
  return { user_id: userId, online: s.online, last_seen_at: s.lastSeenAt };
}
