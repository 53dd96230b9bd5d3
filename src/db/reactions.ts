import type { Sql } from './client.ts';

export async function addReaction(sql: Sql, messageId: string, userId: string, emoji: string): Promise<void> {
  await sql`
    INSERT INTO message_reactions (message_id, user_id, emoji) VALUES (${messageId}, ${userId}, ${emoji})
    ON CONFLICT DO NOTHING`;
}

export async function removeReaction(sql: Sql, messageId: string, userId: string, emoji: string): Promise<void> {
  await sql`DELETE FROM message_reactions WHERE message_id = ${messageId} AND user_id = ${userId} AND emoji = ${emoji}`;
}
