import type { Message } from '../contract/resources.ts';
import { findMessage, messageJson } from '../db/messages.ts';
import { addReaction, removeReaction } from '../db/reactions.ts';
import { ApiError, invalid, notFound } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { assertCanTakePart } from './permissions.ts';
import { placeIn, userOf } from './place.ts';

/**
 * What counts as an emoji: one Unicode emoji, i.e. a single grapheme cluster made of emoji code
 * points (pictographs, skin-tone modifiers, ZWJ sequences, flags from regional indicators or tag
 * sequences, keycaps, with or without variation selectors), such as 👍, ❤️, 👩🏽‍💻, 🇳🇴, 1️⃣;
 * or a custom emoji's shortcode, `:name:` with 1–62 lowercase letters, digits, `_`, `+` or `-`
 * (the host application draws those). Always 1–64 bytes of UTF-8 (the contract).
 */
const SHORTCODE = /^:[a-z0-9_+-]{1,62}:$/;
// Each code point on its own (the grapheme check below judges how they combine).
const EMOJI_CODE_POINTS =
  /^(?:[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\u{e0020}-\u{e007f}]|\u200d|\ufe0e|\ufe0f|\u20e3|[0-9#*](?=\ufe0f?\u20e3))+$/u;
/** …at least one of which is a picture, a flag's letter or a keycap: a joiner alone is nothing. */
const EMOJI_BASE = /[\p{Extended_Pictographic}\p{Regional_Indicator}]|\u20e3/u;
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

export function isEmoji(text: string): boolean {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes < 1 || bytes > 64) return false;
  if (SHORTCODE.test(text)) return true;
  if (!EMOJI_CODE_POINTS.test(text) || !EMOJI_BASE.test(text)) return false;
  let n = 0;
  for (const _ of graphemes.segment(text)) if (++n > 1) return false;
  return n === 1;
}

export function checkEmoji(emoji: string): void {
  if (!isEmoji(emoji)) {
    throw invalid('emoji', 'emoji must be one emoji (e.g. 👍) or a :shortcode:, at most 64 bytes (URL-encoded).');
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
  assertCanTakePart(await placeIn(chat, actor, msg.channel_id));
  if (add) {
    if (msg.deleted_at) throw new ApiError('conflict', 'The message was deleted.');
    const refused = await addReaction(chat.sql, msg.id, userId, emoji, chat.reactionLimits);
    if (refused === 'user') {
      throw new ApiError(
        'conflict',
        `You have ${chat.reactionLimits.perUser} different reactions on this message already; remove one first.`,
      );
    }
    if (refused === 'message') {
      throw new ApiError(
        'conflict',
        `This message has ${chat.reactionLimits.perMessage} different reactions already; add to one of them.`,
      );
    }
  } else {
    await removeReaction(chat.sql, msg.id, userId, emoji);
  }
  return (await messageJson(chat.sql, msg.id))!;
}
