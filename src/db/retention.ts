import type { Sql } from './client.ts';
import { limit } from './client.ts';
import { LOCKS } from './locks.ts';

/**
 * Message retention's SQL. Each batch is its own short transaction on the caller's connection (a
 * reserved one, which also holds the session's advisory lock: one node at a time).
 */

export async function tryRetentionLock(conn: Sql): Promise<boolean> {
  const [row] = await conn`SELECT pg_try_advisory_lock(${LOCKS.messageRetention}) AS ok`;
  return row?.ok === true;
}

export async function releaseRetentionLock(conn: Sql): Promise<void> {
  await conn`SELECT pg_advisory_unlock(${LOCKS.messageRetention})`;
}

/** The last seq that can be old enough: the batches walk seq up to it (the BRIN index finds it). */
export async function lastOldSeq(conn: Sql, cutoff: Date): Promise<number> {
  const [row] = await conn`SELECT coalesce(max(seq), 0) AS seq FROM channel_messages WHERE created_at < ${cutoff}`;
  return Number(row?.seq ?? 0);
}

async function inTransaction<T>(conn: Sql, fn: () => Promise<T>): Promise<T> {
  await conn`BEGIN`;
  try {
    const out = await fn();
    await conn`COMMIT`;
    return out;
  } catch (err) {
    await conn`ROLLBACK`.catch(() => {});
    throw err;
  }
}

/**
 * One batch: deletes up to `n` old top-level messages after seq `after` (in seq order, along the
 * unique seq index) with their replies, reactions and reports (foreign keys cascade; attachments
 * lose their message and the attachment sweeper takes their bytes). A thread goes whole, once its
 * last reply is old too; channels under legal hold are skipped; rows a writer holds are skipped
 * (SKIP LOCKED: retention never waits on a writer) and come up next run. parley.retention tells
 * the triggers that this is retention: no message_deleted events, no revisions.
 */
export async function deleteOldBatch(
  conn: Sql,
  q: { cutoff: Date; after: number; upTo: number; n: number },
): Promise<{ deleted: number; lastSeq: number; revisions: number }> {
  return inTransaction(conn, async () => {
    await conn`SELECT set_config('parley.retention', 'on', true)`;
    const [row] = await conn`
      WITH doomed AS (
        SELECT m.id FROM channel_messages m
         WHERE m.seq > ${q.after} AND m.seq <= ${q.upTo}
           AND m.created_at < ${q.cutoff} AND m.parent_message_id IS NULL
           AND (m.last_reply_at IS NULL OR m.last_reply_at < ${q.cutoff})
           -- NOT IN (a hashed subplan) rather than NOT EXISTS: as an anti-join the planner guessed
           -- one row, sorted the whole table for each batch, and a batch cost O(table).
           AND m.channel_id NOT IN (SELECT h.channel_id FROM channel_holds h)
         ORDER BY m.seq
         ${limit(conn, q.n)}
         FOR UPDATE SKIP LOCKED
      ), gone AS (
        DELETE FROM channel_messages m USING doomed d WHERE m.id = d.id RETURNING m.seq
      ), revisions AS (
        -- The revisions of the messages and of their replies (one snapshot: the replies are still seen).
        DELETE FROM message_revisions r
         WHERE r.message_id IN (SELECT id FROM doomed
                                UNION ALL
                                SELECT c.id FROM channel_messages c WHERE c.parent_message_id IN (SELECT id FROM doomed))
        RETURNING 1
      )
      SELECT count(*)::int AS n, coalesce(max(seq), 0) AS last, (SELECT count(*) FROM revisions)::int AS revisions
        FROM gone`;
    return { deleted: Number(row?.n ?? 0), lastSeq: Number(row?.last ?? 0), revisions: Number(row?.revisions ?? 0) };
  });
}

/**
 * Revisions whose message row is gone (deleted by some SQL writer) and was old enough: up to `n`;
 * how many went. Those of messages retention deletes go in the same batch as their message.
 */
export async function deleteOldRevisions(conn: Sql, cutoff: Date, n: number): Promise<number> {
  const rows = await conn`
    DELETE FROM message_revisions r WHERE r.id IN (
      SELECT x.id FROM message_revisions x
       WHERE x.message_created_at < ${cutoff}
         AND NOT EXISTS (SELECT 1 FROM channel_messages m WHERE m.id = x.message_id)
         AND NOT EXISTS (SELECT 1 FROM channel_holds h WHERE h.channel_id = x.channel_id)
       ${limit(conn, n)})
    RETURNING 1`;
  return rows.length;
}

/** Audit entries older than the cutoff (those of held channels stay): up to `n`; how many went. */
export async function deleteOldAudit(conn: Sql, cutoff: Date, n: number): Promise<number> {
  const rows = await conn`
    DELETE FROM audit_log a WHERE a.id IN (
      SELECT x.id FROM audit_log x
       WHERE x.at < ${cutoff}
         AND (x.channel_id IS NULL OR NOT EXISTS (SELECT 1 FROM channel_holds h WHERE h.channel_id = x.channel_id))
       ORDER BY x.id ${limit(conn, n)})
    RETURNING 1`;
  return rows.length;
}
