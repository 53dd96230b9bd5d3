import type { Message } from '../contract/resources.ts';
import { findMessage, messageJson } from '../db/messages.ts';
import { addReaction, removeReaction } from '../db/reactions.ts';
import { ApiError, invalid, notFound } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { placeIn, userOf } from './place.ts';

export function checkEmoji(emoji: string): void {
  const bytes = Buffer.byteLength(emoji, 'utf8');
  // Blank (a space, "%20") is no reaction either: it would show as an empty chip nobody can read.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (bytes < 1 || bytes > 64 || /[\u0000-\u001f\u007f]/.test(emoji) || emoji.trim() === '') {
    throw invalid('emoji', 'emoji must be 1 to 64 bytes of printable text (URL-encoded).');
  }
}

/** Adds or removes the caller's reaction (both idempotent); returns the message as it is now. */
export async function react(
  chat: Chat,
  actor: Actor,
  messageId: string,
  emoji: string,
  add: boolean,
): Promise<Message> {
  const userId = userOf(actor);
  checkEmoji(emoji);
  chat.limits.take(actor, 'reaction');
  const msg = await findMessage(chat.sql, messageId);
  if (!msg) throw notFound('Message');
  await placeIn(chat, actor, msg.channel_id);
  if (add) {
    if (msg.deleted_at) throw new ApiError('conflict', 'The message was deleted.');
    await addReaction(chat.sql, msg.id, userId, emoji);
  } else {
    await removeReaction(chat.sql, msg.id, userId, emoji);
  }
  return (await messageJson(chat.sql, msg.id))!;
}
