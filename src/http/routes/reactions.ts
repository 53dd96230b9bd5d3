import { Type } from '@sinclair/typebox';
import { requireMember } from '../../db/members.ts';
import { findMessage, messageJson } from '../../db/messages.ts';
import { ApiError, invalid, notFound } from '../../errors.ts';
import { errors, Uuid } from '../schemas/common.ts';
import { Message } from '../schemas/resources.ts';
import type { Routes } from './types.ts';

const Params = Type.Object({ id: Uuid, emoji: Type.String({ minLength: 1 }) });

function checkEmoji(emoji: string): void {
  const bytes = Buffer.byteLength(emoji, 'utf8');
  // Blank (a space, "%20") is no reaction either: it would show as an empty chip nobody can read.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (bytes < 1 || bytes > 64 || /[\u0000-\u001f\u007f]/.test(emoji) || emoji.trim() === '') {
    throw invalid('params.emoji', 'params.emoji must be 1 to 64 bytes of printable text (URL-encoded).');
  }
}

const routes: Routes = async (app, { deps }) => {
  const { sql } = deps;
  const schema = {
    tags: ['reactions'],
    params: Params,
    response: { 200: Message, ...errors(400, 401, 403, 404, 409) },
  };

  async function target(messageId: string, userId: string, emoji: string) {
    checkEmoji(emoji);
    const msg = await findMessage(sql, messageId);
    if (!msg) throw notFound('Message');
    await requireMember(sql, msg.channel_id, userId);
    return msg;
  }

  app.put('/messages/:id/reactions/:emoji', { schema }, async (req) => {
    const msg = await target(req.params.id, req.user.id, req.params.emoji);
    if (msg.deleted_at) throw new ApiError('conflict', 'The message was deleted.');
    await sql`
      INSERT INTO message_reactions (message_id, user_id, emoji) VALUES (${msg.id}, ${req.user.id}, ${req.params.emoji})
      ON CONFLICT DO NOTHING`;
    return (await messageJson(sql, msg.id)) as never;
  });

  app.delete('/messages/:id/reactions/:emoji', { schema }, async (req) => {
    const msg = await target(req.params.id, req.user.id, req.params.emoji);
    await sql`
      DELETE FROM message_reactions WHERE message_id = ${msg.id} AND user_id = ${req.user.id} AND emoji = ${req.params.emoji}`;
    return (await messageJson(sql, msg.id)) as never;
  });
};

export default routes;
