import { markRead as moveReadPoint } from '../db/members.ts';
import { invalid } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { assertCanTakePart } from './permissions.ts';
import { placeIn, userOf } from './place.ts';

/** Typing in a channel; it expires by itself (TYPING_TTL_MS) unless renewed. */
export async function setTyping(chat: Chat, actor: Actor, channelId: string, isTyping: boolean): Promise<void> {
  const userId = userOf(actor);
  chat.limits.take(actor, 'typing');
  assertCanTakePart(await placeIn(chat, actor, channelId));
  await chat.typing.set(channelId, userId, isTyping);
}

/** A read receipt: moves the caller's read point to the message (forward only). */
export async function markRead(chat: Chat, actor: Actor, channelId: string, messageId: string): Promise<void> {
  const userId = userOf(actor);
  await placeIn(chat, actor, channelId);
  if (!(await moveReadPoint(chat.sql, channelId, userId, messageId))) {
    throw invalid('message_id', 'message_id is not a message of this channel.');
  }
}
