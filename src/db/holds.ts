import type { Sql } from './client.ts';

/** A legal hold on a channel: kept whatever the retention; an erasure keeps its original text. */
export interface Hold {
  channel_id: string;
  reason: string | null;
  held_by: string;
  held_at: string;
}

const HOLD = 'channel_id, reason, held_by, parley_ts(held_at) AS held_at';

/** Places a hold (a second PUT changes only the reason); `created` says whether it is new. */
export async function placeHold(
  sql: Sql,
  h: { channelId: string; reason: string | null; by: string },
): Promise<{ created: boolean; hold: Hold }> {
  const [row] = await sql`
    INSERT INTO channel_holds (channel_id, reason, held_by) VALUES (${h.channelId}, ${h.reason}, ${h.by})
    ON CONFLICT (channel_id) DO UPDATE SET reason = coalesce(EXCLUDED.reason, channel_holds.reason)
    RETURNING ${sql.unsafe(HOLD)}, (xmax = 0) AS created`;
  const { created, ...hold } = row as unknown as Hold & { created: boolean };
  return { created, hold };
}

export async function releaseHold(sql: Sql, channelId: string): Promise<Hold | undefined> {
  const [row] = await sql`DELETE FROM channel_holds WHERE channel_id = ${channelId} RETURNING ${sql.unsafe(HOLD)}`;
  return row as unknown as Hold | undefined;
}

export async function holdOf(sql: Sql, channelId: string): Promise<Hold | null> {
  const [row] = await sql`SELECT ${sql.unsafe(HOLD)} FROM channel_holds WHERE channel_id = ${channelId}`;
  return (row as unknown as Hold | undefined) ?? null;
}
