import type { Sql } from '../db/client.ts';
import {
  deleteOldAudit,
  deleteOldBatch,
  deleteOldRevisions,
  lastOldSeq,
  releaseRetentionLock,
  tryRetentionLock,
} from '../db/retention.ts';
import type { Logger } from '../log.ts';

export interface RetentionSettings {
  /** PARLEY_MESSAGE_RETENTION; undefined keeps messages for good. */
  messageMs: number | undefined;
  /** PARLEY_AUDIT_RETENTION; undefined keeps the audit for good. */
  auditMs: number | undefined;
  /** PARLEY_RETENTION_BATCH: rows per short transaction. */
  batch: number;
  /** PARLEY_RETENTION_INTERVAL: the pause between runs. */
  intervalMs: number;
}

export interface RetentionRun {
  /** Top-level messages deleted (their replies went with them). */
  messages: number;
  revisions: number;
  audit: number;
  /** Each message batch's duration in milliseconds, in order (what a writer could wait at most). */
  batchMs: number[];
}

/**
 * Message retention: deletes messages older than PARLEY_MESSAGE_RETENTION (and audit entries older
 * than PARLEY_AUDIT_RETENTION) in small batches, each its own transaction, so no lock is held for
 * long and a writer is never made to wait (SKIP LOCKED). Every node runs it; a session advisory
 * lock lets one at a time do the work. Channels under legal hold are skipped. No events: clients'
 * history simply no longer has the messages (see the README's safety section).
 */
export class MessageRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
    private readonly settings: RetentionSettings,
  ) {}

  get enabled(): boolean {
    return this.settings.messageMs !== undefined || this.settings.auditMs !== undefined;
  }

  start(): void {
    if (!this.enabled) return;
    const next = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.runOnce()
          .catch((err) => this.log.warn({ err: (err as Error).message }, 'message retention run failed'))
          .finally(next);
      }, this.settings.intervalMs);
      this.timer.unref();
    };
    next();
  }

  /** Stops the timer and waits for a run in progress to finish its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  /** One run; undefined when another node holds the lock (it is doing the work). */
  async runOnce(now = new Date()): Promise<RetentionRun | undefined> {
    const conn = await this.sql.reserve();
    try {
      if (!(await tryRetentionLock(conn))) return undefined;
      try {
        return await this.work(conn, now);
      } finally {
        await releaseRetentionLock(conn);
      }
    } finally {
      conn.release();
    }
  }

  private async work(conn: Sql, now: Date): Promise<RetentionRun> {
    const { messageMs, auditMs, batch } = this.settings;
    const run: RetentionRun = { messages: 0, revisions: 0, audit: 0, batchMs: [] };
    if (messageMs !== undefined) {
      const cutoff = new Date(now.getTime() - messageMs);
      const upTo = await lastOldSeq(conn, cutoff);
      let after = 0;
      while (!this.stopped && upTo > 0) {
        const t0 = performance.now();
        const { deleted, lastSeq, revisions } = await deleteOldBatch(conn, { cutoff, after, upTo, n: batch });
        run.batchMs.push(performance.now() - t0);
        run.messages += deleted;
        run.revisions += revisions;
        if (deleted < batch) break;
        after = lastSeq;
      }
      for (let n = batch; n === batch && !this.stopped; ) {
        n = await deleteOldRevisions(conn, cutoff, batch);
        run.revisions += n;
      }
    }
    if (auditMs !== undefined) {
      const cutoff = new Date(now.getTime() - auditMs);
      for (let n = batch; n === batch && !this.stopped; ) {
        n = await deleteOldAudit(conn, cutoff, batch);
        run.audit += n;
      }
    }
    if (run.messages || run.revisions || run.audit) {
      this.log.info(
        { messages: run.messages, revisions: run.revisions, audit: run.audit, batches: run.batchMs.length },
        'retention: deleted what is older than its retention',
      );
    }
    return run;
  }
}
