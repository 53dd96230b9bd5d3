import type { Sql } from './client.ts';

/**
 * The direct channel of a pair, created if there is none; safe under concurrent calls for the same
 * pair (exactly one creates, the others find it). The pair is ordered by the database, with the
 * collation of the table's `CHECK (user_a < user_b)`: ordered in JavaScript (UTF-16 code units) it
 * disagreed with ICU (alice < Bob) and with byte order ('ｘ' < '😀'), and such pairs could never
 * have a channel.
 */
export async function openDirect(
  sql: Sql,
  creator: string,
  other: string,
  /** Who the channel says created it: the creator, or null for the server API. */
  createdBy: string | null = creator,
): Promise<{ id: string; created: boolean }> {
  return sql.begin(async (tx) => {
    const [pair] = await tx`
      SELECT least(${creator}::text, ${other}::text) AS a, greatest(${creator}::text, ${other}::text) AS b`;
    const { a, b } = pair as { a: string; b: string };
    // Serialises concurrent calls for the same pair.
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${JSON.stringify(['direct', a, b])}, 0))`;
    const [existing] = await tx`SELECT channel_id FROM direct_messages WHERE user_a = ${a} AND user_b = ${b}`;
    if (existing) return { id: existing.channel_id as string, created: false };
    await tx`INSERT INTO users (id) VALUES (${creator}), (${other}) ON CONFLICT (id) DO NOTHING`;
    const [c] = await tx`INSERT INTO channels (type, created_by) VALUES ('direct', ${createdBy}) RETURNING id`;
    await tx`
      INSERT INTO channel_members (channel_id, user_id, role)
      VALUES (${c!.id}, ${creator}, 'member'), (${c!.id}, ${other}, 'member')`;
    await tx`INSERT INTO direct_messages (user_a, user_b, channel_id) VALUES (${a}, ${b}, ${c!.id})`;
    return { id: c!.id as string, created: true };
  });
}
