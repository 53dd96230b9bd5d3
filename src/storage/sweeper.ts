import { deleteAbandoned } from '../db/attachments.ts';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { sweepStaged } from './staging.ts';
import type { FileStore } from './store.ts';

const BATCH = 500;
/** Leftovers of interrupted uploads are at least this old before they go, whatever the TTL. */
const LEFTOVER_MS = 3_600_000;

/**
 * Deletes uploads attached to no message after PARLEY_UPLOAD_TTL, and the bytes of attachments
 * whose message row is gone (retention's hard delete), in batches. Every node runs it; an advisory
 * lock lets one at a time do the work. Rows go first (in a short transaction), bytes after the
 * commit: a crash between the two leaves unnamed bytes, which the leftovers sweep removes, never a
 * row whose bytes are gone.
 */
export class UploadSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly store: FileStore,
    private readonly log: Logger,
    private readonly opts: { ttlMs: number; intervalMs: number; stagingDir: string },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((err) => this.log.warn({ err: (err as Error).message }, 'upload sweep failed'));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => {});
  }

  /** One sweep; returns how many attachments it deleted. */
  runOnce(): Promise<number> {
    this.running ??= this.sweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweep(): Promise<number> {
    let removed = 0;
    for (;;) {
      const done = await deleteAbandoned(this.sql, this.opts.ttlMs, BATCH);
      if (!done?.count) break;
      await this.store.remove(done.keys);
      removed += done.count;
      if (done.count < BATCH) break;
    }
    const leftoverMs = Math.max(this.opts.ttlMs, LEFTOVER_MS);
    const leftovers =
      (await sweepStaged(this.opts.stagingDir, leftoverMs)) + (await this.store.sweepLeftovers(leftoverMs));
    if (removed || leftovers) this.log.info({ removed, leftovers }, 'swept uploads');
    return removed;
  }
}
