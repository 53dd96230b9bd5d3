import { type Sql, limit as sqlLimit } from '../db/client.ts';
import type { LogRow } from './event.ts';

/** Reads of the durable event log (written only by the triggers of db/migrations). */

export async function readLog(sql: Sql, afterPos: number, limit: number): Promise<LogRow[]> {
  return (await sql`
    SELECT pos, type, channel_id, subject_user_id, target_user_ids, data::text AS data, parley_ts(created_at) AS ts
      FROM event_log WHERE pos > ${afterPos} ORDER BY pos ${sqlLimit(sql, limit)}`) as unknown as LogRow[];
}

export async function readChannelsLog(
  sql: Sql,
  channelIds: string[],
  afterPos: number,
  throughPos: number,
  limit: number,
): Promise<LogRow[]> {
  return (await sql`
    SELECT pos, type, channel_id, subject_user_id, target_user_ids, data::text AS data, parley_ts(created_at) AS ts
      FROM event_log
     WHERE channel_id = ANY(${channelIds}::uuid[]) AND pos > ${afterPos} AND pos <= ${throughPos}
     ORDER BY pos ${sqlLimit(sql, limit)}`) as unknown as LogRow[];
}

/** These users' own membership changes in (afterPos, throughPos], oldest first. */
export async function memberEvents(
  sql: Sql,
  userIds: string[],
  afterPos: number,
  throughPos: number,
): Promise<{ pos: number; type: string; channel_id: string; subject_user_id: string }[]> {
  return (await sql`
    SELECT pos, type, channel_id, subject_user_id FROM event_log
     WHERE subject_user_id = ANY(${userIds}::text[]) AND pos > ${afterPos} AND pos <= ${throughPos}
     ORDER BY pos`) as unknown as { pos: number; type: string; channel_id: string; subject_user_id: string }[];
}

export async function headPos(sql: Sql): Promise<number> {
  const [row] = await sql`SELECT coalesce(max(pos), 0) AS head FROM event_log`;
  return Number(row!.head);
}
