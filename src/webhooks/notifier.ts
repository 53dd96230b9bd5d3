import type { Sql } from '../db/client.ts';
import { type NotificationReason, notifyStep } from '../db/notifications.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

const BATCH = 1_000;

/**
 * The offline-notification job: every node runs it on a timer, an advisory lock lets one at a time
 * do the work (db/notifications.ts). It runs four times per PARLEY_NOTIFY_AFTER (between 250 ms and
 * 15 s), so a notification is written at most a quarter of the delay late.
 */
export class Notifier {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly opts: { afterMs: number; withContent: boolean; presenceTtlMs: number },
  ) {}

  get intervalMs(): number {
    return Math.min(15_000, Math.max(250, Math.floor(this.opts.afterMs / 4)));
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.runOnce();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'notifications: run failed; will retry');
    } finally {
      this.running = false;
    }
  }

  /** Works through every window that is due; returns how many notifications it wrote. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const step = await notifyStep(this.sql, { ...this.opts, batch: BATCH });
      if (!step) return total;
      for (const [reason, n] of Object.entries(step.written) as [NotificationReason, number][]) {
        if (n) this.metrics.notificationsWritten.labels(reason).inc(n);
        total += n;
      }
      if (step.scanned < BATCH) return total;
    }
  }
}
