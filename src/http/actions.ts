import { requireMember } from '../db/members.ts';
import {
  findByClientId,
  findMessage,
  insertMessage,
  messageJson,
  type NewMessage,
  validateNewMessage,
} from '../db/messages.ts';
import { ApiError, invalid, notFound } from '../errors.ts';
import type { AppDeps } from './app.ts';

/** The writes a client can make over REST or over the WebSocket, with one set of rules. */

export interface SendInput {
  content: string;
  parent_message_id?: string | null;
  mentions?: string[];
  attachment_ids?: string[];
  client_id?: string;
}

/** Whitespace alone is not a message. */
export function checkContent(content: string): void {
  if (content.trim() === '') throw invalid('body.content', 'body.content must not be blank.');
}

/** Sends a message: 201 with the new message, or 200 with the earlier one for a repeated client_id. */
export async function sendMessage(
  deps: AppDeps,
  userId: string,
  channelId: string,
  body: SendInput,
): Promise<{ status: 200 | 201; message: unknown }> {
  const { sql } = deps;
  const input: NewMessage = {
    channelId,
    userId,
    content: body.content,
    parentMessageId: body.parent_message_id ?? null,
    mentions: body.mentions ?? [],
    attachmentIds: body.attachment_ids ?? [],
    clientId: body.client_id ?? null,
  };
  // The common message needs no lookups before it is written: the writer checks membership and the
  // archive flag inside its INSERT. Anything that needs more is checked first.
  const plain = !input.parentMessageId && input.mentions.length === 0 && input.attachmentIds.length === 0;
  if (!plain || input.content.trim() === '') {
    const membership = await requireMember(sql, channelId, userId);
    if (membership.isArchived) throw new ApiError('forbidden', 'The channel is archived.');
    checkContent(input.content);
    await validateNewMessage(sql, input);
  }
  if (input.attachmentIds.length) {
    const { id, created } = await insertMessage(sql, input);
    return { status: created ? 201 : 200, message: await messageJson(sql, id) };
  }
  const written = await deps.writer.write(input);
  if (written.status === 'created') return { status: 201, message: written.message };
  // Not written: a retry of an earlier send, or the caller may not write here (say which).
  if (input.clientId) {
    const earlier = await findByClientId(sql, channelId, userId, input.clientId);
    if (earlier) return { status: 200, message: await messageJson(sql, earlier) };
  }
  const membership = await requireMember(sql, channelId, userId);
  if (membership.isArchived) throw new ApiError('forbidden', 'The channel is archived.');
  throw new ApiError('conflict', 'The message could not be written; retry.');
}

export async function setTyping(deps: AppDeps, userId: string, channelId: string, isTyping: boolean): Promise<void> {
  await requireMember(deps.sql, channelId, userId);
  await deps.typing.set(channelId, userId, isTyping);
}

export async function markRead(deps: AppDeps, userId: string, channelId: string, messageId: string): Promise<void> {
  const { sql } = deps;
  await requireMember(sql, channelId, userId);
  const [msg] = await sql`SELECT seq FROM channel_messages WHERE id = ${messageId} AND channel_id = ${channelId}`;
  if (!msg) throw invalid('body.message_id', 'body.message_id is not a message of this channel.');
  // Only forward: an older receipt (another tab, a late retry) never moves the position back.
  await sql`
    UPDATE channel_members
       SET last_read_message_id = ${messageId}, last_read_at = now(), last_read_seq = ${msg.seq}
     WHERE channel_id = ${channelId} AND user_id = ${userId} AND last_read_seq < ${msg.seq}`;
}

export function checkEmoji(emoji: string): void {
  const bytes = Buffer.byteLength(emoji, 'utf8');
  // Blank (a space, "%20") is no reaction either: it would show as an empty chip nobody can read.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (bytes < 1 || bytes > 64 || /[\u0000-\u001f\u007f]/.test(emoji) || emoji.trim() === '') {
    throw invalid('params.emoji', 'params.emoji must be 1 to 64 bytes of printable text (URL-encoded).');
  }
}

/** Adds or removes the caller's reaction (both idempotent); returns the message as it is now. */
export async function react(
  deps: AppDeps,
  userId: string,
  messageId: string,
  emoji: string,
  add: boolean,
): Promise<unknown> {
  const { sql } = deps;
  checkEmoji(emoji);
  const msg = await findMessage(sql, messageId);
  if (!msg) throw notFound('Message');
  await requireMember(sql, msg.channel_id, userId);
  if (add) {
    if (msg.deleted_at) throw new ApiError('conflict', 'The message was deleted.');
    await sql`
      INSERT INTO message_reactions (message_id, user_id, emoji) VALUES (${msg.id}, ${userId}, ${emoji})
      ON CONFLICT DO NOTHING`;
  } else {
    await sql`DELETE FROM message_reactions WHERE message_id = ${msg.id} AND user_id = ${userId} AND emoji = ${emoji}`;
  }
  return messageJson(sql, msg.id);
}
