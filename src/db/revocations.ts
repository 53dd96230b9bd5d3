import type { Sql } from './client.ts';

/** Refuses the user's tokens issued before `before` (a later revocation only moves it forward). */
export async function revokeBefore(sql: Sql, userId: string, before: Date): Promise<number> {
  const [row] = await sql`
    INSERT INTO token_revocations (user_id, before) VALUES (${userId}, ${before})
    ON CONFLICT (user_id) DO UPDATE
      SET before = greatest(token_revocations.before, EXCLUDED.before), updated_at = clock_timestamp()
    RETURNING (extract(epoch FROM before) * 1000)::float8 AS before_ms`;
  return row!.before_ms as number;
}

/** Revocations changed after `sinceMs` (all with 0): user id → before (ms), and the newest change. */
export async function revocationsSince(
  sql: Sql,
  sinceMs: number,
): Promise<{ changes: Map<string, number>; newestMs: number }> {
  const rows = await sql`
    SELECT user_id, (extract(epoch FROM before) * 1000)::float8 AS before_ms,
           (extract(epoch FROM updated_at) * 1000)::float8 AS updated_ms
      FROM token_revocations WHERE updated_at > to_timestamp(${sinceMs / 1000})`;
  let newestMs = sinceMs;
  const changes = new Map<string, number>();
  for (const r of rows) {
    changes.set(r.user_id as string, r.before_ms as number);
    newestMs = Math.max(newestMs, r.updated_ms as number);
  }
  return { changes, newestMs };
}
