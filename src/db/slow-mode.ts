import type { Sql } from './client.ts';

/**
 * Takes the user's send slot in a slow-mode channel: true if their last send there is at least
 * `seconds` old (and records this one), else the milliseconds left. One statement, so two sends at
 * once cannot both pass.
 */
export async function takeSlowModeSlot(
  sql: Sql,
  channelId: string,
  userId: string,
  seconds: number,
): Promise<true | number> {
  const interval = `${seconds} seconds`;
  const [row] = await sql`
    INSERT INTO slow_mode_sends (channel_id, user_id, sent_at) VALUES (${channelId}, ${userId}, now())
    ON CONFLICT (channel_id, user_id) DO UPDATE SET sent_at = now()
      WHERE slow_mode_sends.sent_at <= now() - ${interval}::interval
    RETURNING 1 AS ok`;
  if (row) return true;
  const [left] = await sql`
    SELECT ceil(extract(epoch FROM (sent_at + ${interval}::interval - now())) * 1000)::int AS ms
      FROM slow_mode_sends WHERE channel_id = ${channelId} AND user_id = ${userId}`;
  return Math.max(1, (left?.ms as number | undefined) ?? 1000);
}
