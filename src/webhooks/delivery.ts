import type { Sql } from '../db/client.ts';
import {
  ackDelivery,
  type HeldEndpoint,
  prunedThrough,
  recordFailure,
  skipFiltered,
  skipPruned,
} from '../db/webhooks.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { fromLogRow, type LogRow } from '../realtime/event.ts';
import { readLog } from '../realtime/log.ts';
import { signedHeaders, signingKey } from './signing.ts';

const PAGE = 200;
/**
 * Acknowledgements are written to the cursor at most this often while events stream (and always
 * before waiting or recording a failure). One write per event cost more than the POST itself; what a
 * crash can cost is this much of events delivered again, which at-least-once allows.
 */
const FLUSH_MS = 100;

export interface DeliveryOptions {
  nodeId: string;
  timeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  pollMs: number;
}

/** The delay before retry number `attempts` (1-based): min, doubling, capped. */
export function backoffMs(attempts: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(attempts - 1, 40));
}

/**
 * Delivers one endpoint's events while this node holds its lease: the log after the cursor, in pos
 * order, one POST per event, the next waiting until the one before is acknowledged (a receiver sees
 * its first deliveries in pos order). Every cursor write is fenced by the lease; a write refused
 * means another node holds the endpoint now, and this one stops.
 */
export class EndpointDelivery {
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private key: Buffer;
  /** The cursor as stored (this.ep.cursor runs ahead of it between flushes). */
  private stored: number;
  private storedAt = 0;
  private lastStatus = 0;
  /** An event was acknowledged since the last flush (else the cursor only passed filtered events). */
  private ackedSinceFlush = false;
  readonly done: Promise<void>;

  constructor(
    private readonly sql: Sql,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly opts: DeliveryOptions,
    private ep: HeldEndpoint,
    /** The newest pos this node has seen (the listener's), for the lag gauges. */
    private readonly headPos: () => number,
    private readonly onLost: (id: string) => void,
  ) {
    this.key = signingKey(ep.secret);
    this.stored = ep.cursor;
    this.done = this.run();
  }

  get id(): string {
    return this.ep.id;
  }

  /** The endpoint as the lease renewal read it: its settings may have changed, its cursor moved on. */
  update(ep: HeldEndpoint): void {
    const mine = this.ep;
    this.ep =
      ep.cursor > mine.cursor
        ? ep
        : { ...ep, cursor: mine.cursor, attempts: mine.attempts, nextAttemptAt: mine.nextAttemptAt };
    if (ep.secret !== mine.secret) this.key = signingKey(ep.secret);
  }

  /** New events are in the log. A retry keeps its backoff: waking does not bring it forward. */
  wake(): void {
    if (this.ep.nextAttemptAt !== null) return;
    this.woken = true;
    this.wakeUp?.();
  }

  stop(): void {
    this.stopped = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let more = false;
      try {
        more = await this.pass();
      } catch (err) {
        this.log.warn({ err: (err as Error).message, endpoint: this.ep.id }, 'webhooks: delivery pass failed');
        await this.sleep(Math.min(this.opts.pollMs, 1_000));
        continue;
      }
      if (more || this.stopped) continue;
      const retryIn = this.ep.nextAttemptAt === null ? Number.POSITIVE_INFINITY : this.ep.nextAttemptAt - Date.now();
      await this.sleep(Math.max(0, Math.min(this.opts.pollMs, retryIn)));
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        this.woken = false;
        done();
      };
    });
  }

  /** Writes the acknowledged cursor; false when the lease is gone. */
  private async flush(force: boolean): Promise<boolean> {
    if (this.ep.cursor <= this.stored) return true;
    if (!force && Date.now() - this.storedAt < FLUSH_MS) return true;
    const pos = this.ep.cursor;
    const ok = this.ackedSinceFlush
      ? await ackDelivery(this.sql, this.ep.id, this.opts.nodeId, pos, this.lastStatus)
      : await skipFiltered(this.sql, this.ep.id, this.opts.nodeId, pos);
    if (!ok) return false;
    this.ackedSinceFlush = false;
    this.stored = Math.max(this.stored, pos);
    this.storedAt = Date.now();
    return true;
  }

  private lost(): false {
    this.stopped = true;
    this.onLost(this.ep.id);
    return false;
  }

  /** One read of the log and the deliveries it allows; true when more is waiting at once. */
  private async pass(): Promise<boolean> {
    const ep = this.ep;
    const label = { endpoint: ep.id };
    const pruned = await prunedThrough(this.sql);
    if (ep.cursor < pruned) {
      if (!(await skipPruned(this.sql, ep.id, this.opts.nodeId, pruned))) return this.lost();
      this.log.warn({ endpoint: ep.id, from: ep.cursor, to: pruned }, 'webhooks: events pruned before delivery');
      this.metrics.webhookSkipped.labels(label).inc(pruned - ep.cursor);
      this.metrics.webhookFailing.labels(label).set(1);
      ep.cursor = pruned;
      ep.attempts = 0;
      ep.nextAttemptAt = null;
    }
    const rows = await readLog(this.sql, ep.cursor, PAGE);
    this.setLag(rows[0]);
    let filteredTo = 0;
    let acked = false;
    for (const row of rows) {
      if (this.stopped) return false;
      if (ep.events && !ep.events.includes(row.type)) {
        filteredTo = row.pos;
        continue;
      }
      if (filteredTo) {
        ep.cursor = filteredTo;
        filteredTo = 0;
      }
      if (ep.nextAttemptAt !== null && ep.nextAttemptAt > Date.now()) {
        if (!(await this.flush(true))) return this.lost();
        return false;
      }
      if (!(await this.attempt(row))) return false;
      acked = true;
      this.setLag(rows.find((r) => r.pos > row.pos));
    }
    if (filteredTo) ep.cursor = filteredTo;
    if (!(await this.flush(rows.length < PAGE))) return this.lost();
    if (rows.length < PAGE) this.setLag(undefined);
    // Events that came while this pass was posting woke nobody: read again until a pass finds none.
    return rows.length === PAGE || acked;
  }

  /** POSTs one event; true when acknowledged (the cursor has moved past it). */
  private async attempt(row: LogRow): Promise<boolean> {
    const ep = this.ep;
    const label = { endpoint: ep.id };
    const body = fromLogRow(row).json;
    if (ep.attempts > 0) this.metrics.webhookRetries.labels(label).inc();
    let status: number | null = null;
    let error = '';
    try {
      const res = await fetch(ep.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Parley-Webhooks/1',
          ...signedHeaders(this.key, `evt_${row.pos}`, body),
        },
        body,
        // A redirect is not an acknowledgement: following it would send the event where nobody chose.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      status = res.status;
      await res.body?.cancel().catch(() => {});
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      error = e.name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : (e.cause?.code ?? e.message);
    }
    if (!error && status !== null) {
      this.metrics.webhookDeliveries.labels(label).inc();
      this.metrics.webhookFailing.labels(label).set(0);
      this.lastStatus = status;
      this.ackedSinceFlush = true;
      const retried = ep.attempts > 0;
      ep.cursor = row.pos;
      ep.attempts = 0;
      ep.nextAttemptAt = null;
      // After a retry the stored attempt state must be cleared at once (GET shows it).
      if (!(await this.flush(retried))) return this.lost();
      return true;
    }
    // The attempt state is about the event after the stored cursor: store the cursor first.
    if (!(await this.flush(true))) return this.lost();
    this.metrics.webhookFailures.labels(label).inc();
    const attempts = ep.attempts + 1;
    const retryInMs = backoffMs(attempts, this.opts.retryMinMs, this.opts.retryMaxMs);
    if (!(await recordFailure(this.sql, ep.id, this.opts.nodeId, { attempts, retryInMs, status, error }))) {
      return this.lost();
    }
    ep.attempts = attempts;
    ep.nextAttemptAt = Date.now() + retryInMs;
    return false;
  }

  private setLag(oldestPending: LogRow | undefined): void {
    const label = { endpoint: this.ep.id };
    this.metrics.webhookLagEvents.labels(label).set(Math.max(0, this.headPos() - this.ep.cursor));
    this.metrics.webhookLagSeconds
      .labels(label)
      .set(oldestPending ? Math.max(0, (Date.now() - Date.parse(oldestPending.ts)) / 1000) : 0);
  }
}
