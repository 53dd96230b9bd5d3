import type { Sql } from './client.ts';

export interface Ban {
  channel_id: string;
  user_id: string;
  until: string | null;
  reason: string | null;
  created_by: string | null;
  created_at: string;
}

const BAN = 'channel_id, user_id, parley_ts(until) AS until, reason, created_by, parley_ts(created_at) AS created_at';

/**
 * Bans a user from a channel (replacing an earlier ban) and removes them, in one transaction: their
 * member_left is the last event of the channel they get.
 */
export async function banMember(
  sql: Sql,
  b: { channelId: string; userId: string; until: Date | null; reason: string | null; by: string },
): Promise<Ban> {
  return sql.begin(async (tx) => {
    await tx`INSERT INTO users (id) VALUES (${b.userId}) ON CONFLICT (id) DO NOTHING`;
    const [row] = await tx`
      INSERT INTO channel_bans (channel_id, user_id, until, reason, created_by)
      VALUES (${b.channelId}, ${b.userId}, ${b.until}, ${b.reason}, ${b.by})
      ON CONFLICT (channel_id, user_id) DO UPDATE
        SET until = EXCLUDED.until, reason = EXCLUDED.reason, created_by = EXCLUDED.created_by, created_at = now()
      RETURNING ${tx.unsafe(BAN)}`;
    await tx`DELETE FROM channel_members WHERE channel_id = ${b.channelId} AND user_id = ${b.userId}`;
    return row as unknown as Ban;
  });
}

export async function unban(sql: Sql, channelId: string, userId: string): Promise<boolean> {
  const rows = await sql`DELETE FROM channel_bans WHERE channel_id = ${channelId} AND user_id = ${userId} RETURNING 1`;
  return rows.length > 0;
}

export async function bansOf(sql: Sql, channelId: string): Promise<Ban[]> {
  const rows = await sql`
    SELECT ${sql.unsafe(BAN)} FROM channel_bans
     WHERE channel_id = ${channelId} AND (until IS NULL OR until > now()) ORDER BY created_at, user_id`;
  return rows as unknown as Ban[];
}

/** Of `userIds`, those banned from the channel now, with the end of their ban. */
export async function activeBans(
  sql: Sql,
  channelId: string,
  userIds: string[],
): Promise<{ user_id: string; until: string | null }[]> {
  if (userIds.length === 0) return [];
  const rows = await sql`
    SELECT user_id, parley_ts(until) AS until FROM channel_bans
     WHERE channel_id = ${channelId} AND user_id = ANY(${userIds}::text[]) AND (until IS NULL OR until > now())`;
  return rows as unknown as { user_id: string; until: string | null }[];
}
