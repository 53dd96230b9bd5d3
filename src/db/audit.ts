import type { Sql } from './client.ts';

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
