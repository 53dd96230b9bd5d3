import { limit, type Sql } from './client.ts';

export interface AuditEntry {
  /** Who: `key:<id>` for a server key (`key:<id> as <user>` acting for a user), `user:<id>`. */
  actor: string;
  action: string;
  target?: string | null;
  channelId?: string | null;
  userId?: string | null;
  detail?: Record<string, unknown>;
}

export async function insertAudit(sql: Sql, e: AuditEntry): Promise<void> {
  await sql`
    INSERT INTO audit_log (actor, action, target, channel_id, user_id, detail)
    VALUES (${e.actor}, ${e.action}, ${e.target ?? null}, ${e.channelId ?? null}, ${e.userId ?? null},
            ${sql.json((e.detail ?? {}) as never)})`;
}

/** An audit entry as the server API shows it. */
export interface AuditRow {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  channel_id: string | null;
  user_id: string | null;
  detail: Record<string, unknown>;
}

export const AUDIT_ROW = 'id::text AS id, parley_ts(at) AS at, actor, action, target, channel_id, user_id, detail';

/**
 * A page of the audit, newest first: entries about a channel and/or a user, at or after `since`,
 * before the entry `before` (an id: ids only grow, so the cursor is stable while entries are added).
 * One more row than asked says whether there is more.
 */
export async function listAudit(
  sql: Sql,
  q: { channelId?: string; userId?: string; since?: Date; before?: string; limit: number },
): Promise<{ entries: AuditRow[]; hasMore: boolean }> {
  const rows = await sql`
    SELECT ${sql.unsafe(AUDIT_ROW)} FROM audit_log
     WHERE true
       ${q.channelId ? sql`AND channel_id = ${q.channelId}` : sql``}
       ${q.userId ? sql`AND user_id = ${q.userId}` : sql``}
       ${q.since ? sql`AND at >= ${q.since}` : sql``}
       ${q.before ? sql`AND id < ${q.before}::bigint` : sql``}
     ORDER BY id DESC
     ${limit(sql, q.limit + 1)}`;
  const entries = rows.slice(0, q.limit) as unknown as AuditRow[];
  return { entries, hasMore: rows.length > q.limit };
}
