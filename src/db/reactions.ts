import type { Sql } from './client.ts';

export interface ReactionLimits {
  /** Different emoji one user may have on one message. */
  perUser: number;
  /** Different emoji on one message, from everyone. */
  perMessage: number;
}

/**
 * Adds a reaction unless a limit forbids it: returns which one ('user', 'message') or undefined
 * (added, or there already). Checked and written under a lock on the message, so concurrent adds
 * cannot pass the limits together.
 */
export async function addReaction(
  sql: Sql,
  messageId: string,
  userId: string,
  emoji: string,
  limits: ReactionLimits,
): Promise<'user' | 'message' | undefined> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`reactions:${messageId}`}, 0))`;
    const [r] = await tx`
      SELECT count(*) FILTER (WHERE user_id = ${userId})::int AS mine,
             count(DISTINCT emoji)::int AS kinds,
             coalesce(bool_or(emoji = ${emoji}), false) AS used,
             coalesce(bool_or(emoji = ${emoji} AND user_id = ${userId}), false) AS already
        FROM message_reactions WHERE message_id = ${messageId}`;
    if (r!.already) return undefined;
    if ((r!.mine as number) >= limits.perUser) return 'user';
    if (!r!.used && (r!.kinds as number) >= limits.perMessage) return 'message';
    await tx`INSERT INTO message_reactions (message_id, user_id, emoji) VALUES (${messageId}, ${userId}, ${emoji})
             ON CONFLICT DO NOTHING`;
    return undefined;
  });
}

export async function removeReaction(sql: Sql, messageId: string, userId: string, emoji: string): Promise<void> {
  await sql`DELETE FROM message_reactions WHERE message_id = ${messageId} AND user_id = ${userId} AND emoji = ${emoji}`;
}
