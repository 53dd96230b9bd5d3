import type { Sql } from './client.ts';

export interface Report {
  id: string;
  message_id: string;
  channel_id: string;
  reporter: string | null;
  kind: 'member' | 'contact_policy';
  reason: string;
  status: 'open' | 'resolved';
  resolution: 'dismiss' | 'delete_message' | 'ban_user' | null;
  resolved_by: string | null;
  resolved_at: string | null;
  created_at: string;
}

const REPORT =
  'id, message_id, channel_id, reporter, kind, reason, status, resolution, resolved_by, parley_ts(resolved_at) AS resolved_at, parley_ts(created_at) AS created_at';

/** Opens a report; a member reporting a message twice gets their first report (created false). */
export async function openReport(
  sql: Sql,
  r: { messageId: string; channelId: string; reporter: string | null; kind: Report['kind']; reason: string },
): Promise<{ report: Report; created: boolean }> {
  const [row] = await sql`
    INSERT INTO reports (message_id, channel_id, reporter, kind, reason)
    VALUES (${r.messageId}, ${r.channelId}, ${r.reporter}, ${r.kind}, ${r.reason})
    ON CONFLICT (message_id, reporter) WHERE reporter IS NOT NULL DO NOTHING
    RETURNING ${sql.unsafe(REPORT)}`;
  if (row) return { report: row as unknown as Report, created: true };
  const [earlier] = await sql`
    SELECT ${sql.unsafe(REPORT)} FROM reports WHERE message_id = ${r.messageId} AND reporter = ${r.reporter}`;
  return { report: earlier as unknown as Report, created: false };
}

export async function reportById(sql: Sql, id: string): Promise<Report | undefined> {
  const [row] = await sql`SELECT ${sql.unsafe(REPORT)} FROM reports WHERE id = ${id}`;
  return row as unknown as Report | undefined;
}

/** Reports by status, oldest first, after the report `after` (a cursor). */
export async function listReports(
  sql: Sql,
  opts: { status: 'open' | 'resolved' | 'all'; limit: number; after?: string },
): Promise<Report[]> {
  const rows = await sql`
    SELECT ${sql.unsafe(REPORT)} FROM reports r
     WHERE (${opts.status} = 'all' OR r.status = ${opts.status})
       AND (${opts.after ?? null}::uuid IS NULL OR (r.created_at, r.id) >
            (SELECT created_at, id FROM reports WHERE id = ${opts.after ?? null}::uuid))
     ORDER BY r.created_at, r.id LIMIT ${opts.limit}`;
  return rows as unknown as Report[];
}

/** Marks an open report resolved; undefined if it was not open (or does not exist). */
export async function resolveReport(
  sql: Sql,
  id: string,
  resolution: NonNullable<Report['resolution']>,
  by: string,
): Promise<Report | undefined> {
  const [row] = await sql`
    UPDATE reports SET status = 'resolved', resolution = ${resolution}, resolved_by = ${by}, resolved_at = now()
     WHERE id = ${id} AND status = 'open' RETURNING ${sql.unsafe(REPORT)}`;
  return row as unknown as Report | undefined;
}
