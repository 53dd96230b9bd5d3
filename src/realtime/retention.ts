import { type Sql, limit as sqlLimit } from '../db/client.ts';
import { LOCKS } from '../db/locks.ts';
import type { Logger } from '../log.ts';

const BATCH = 5_000;
const LOCK_KEY = LOCKS.retention;

/**
 * Prunes the event log by age in small batches (short transactions, no long locks), recording how far
 * it went in parley_state.pruned_through so a stream resuming from before it gets `reset`. Every node
 * runs it; an advisory lock lets one at a time do the work.
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
    private readonly retentionMs: number,
    private readonly intervalMs = 60_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((err) => this.log.warn({ err: (err as Error).message }, 'retention run failed'));
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Removes events older than the retention period; returns how many. */
  async runOnce(): Promise<number> {
    const cutoff = `${this.retentionMs} milliseconds`;
    // Prune by pos, not by time, so "everything up to pruned_through is gone, everything after is
    // kept" holds exactly even if clocks wobble.
    const [limit] = await this.sql`
      SELECT max(pos) AS pos FROM event_log WHERE created_at < now() - ${cutoff}::interval`;
    const upTo = limit?.pos === null || limit?.pos === undefined ? 0 : Number(limit.pos);
    let removed = 0;
    for (;;) {
      const n = await this.sql.begin(async (tx) => {
        const [got] = await tx`SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS ok`;
        if (!got?.ok) return -1;
        const rows = await tx`
          WITH doomed AS (SELECT pos FROM event_log WHERE pos <= ${upTo} ORDER BY pos ${sqlLimit(this.sql, BATCH)}),
               del AS (DELETE FROM event_log e USING doomed d WHERE e.pos = d.pos RETURNING e.pos)
          SELECT count(*) AS n, max(pos) AS max FROM del`;
        const count = Number(rows[0]?.n ?? 0);
        if (count > 0) {
          await tx`
            INSERT INTO parley_state (key, value) VALUES ('pruned_through', ${Number(rows[0]!.max)})
            ON CONFLICT (key) DO UPDATE SET value = greatest(parley_state.value, EXCLUDED.value)`;
        }
        return count;
      });
      if (n <= 0) break;
      removed += n;
      if (n < BATCH) break;
    }
    // Typing rows are only a record of the last state; expired ones are noise.
    await this.sql`DELETE FROM typing_indicators WHERE expires_at < now() - interval '1 minute'`;
    if (removed) this.log.info({ removed, upTo }, 'pruned the event log');
    return removed;
  }
}
