import { connect, type Sql } from '../db/client.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { fromLogRow } from './event.ts';
import type { Hub } from './hub.ts';
import { headPos, readLog } from './log.ts';
import { parseNotification } from './notification.ts';

export type ListenerState = 'connecting' | 'listening' | 'reconnecting' | 'stopped';

export const EVENTS_CHANNEL = 'parley_events';
export const EPHEMERAL_CHANNEL = 'parley_ephemeral';
const PAGE = 2000;

/**
 * The node's one LISTEN connection. The log is the truth: after every (re)LISTEN, and on any
 * notification it cannot use as is, the listener reads the log from the last pos it dispatched, so a
 * notification lost while the connection was down costs nothing. A notification that carries its
 * events (small message batches, db/migrations/0007) and continues exactly from that pos is
 * dispatched without the read.
 */
export class Listener {
  state: ListenerState = 'connecting';
  lastPos = 0;
  private conn: Sql | undefined;
  private attempt = 0;
  private reading = false;
  private dirty = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private caughtUp = false;

  constructor(
    private readonly url: string,
    private readonly pool: Sql,
    private readonly hub: Hub,
    private readonly nodeId: string,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    /** The notify key (parley_keys): only notifications signed with it are believed. */
    private readonly key: Uint8Array,
    private readonly onEphemeral: (payload: string) => void,
  ) {}

  get ready(): boolean {
    return this.state === 'listening' && this.caughtUp;
  }

  async start(): Promise<void> {
    // Streams opened later get history from the log themselves; the live feed starts at the head.
    this.lastPos = await headPos(this.pool);
    this.metrics.listenerPos.set(this.lastPos);
    await this.connectOnce();
    this.healthTimer = setInterval(() => void this.healthCheck(), 5_000);
    this.healthTimer.unref();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    clearInterval(this.healthTimer);
    this.metrics.listenerUp.set(0);
    await this.conn?.end({ timeout: 1 }).catch(() => {});
    this.conn = undefined;
  }

  private async connectOnce(): Promise<void> {
    const conn = connect(this.url, {
      max: 1,
      applicationName: `parley-listener:${this.nodeId}`.slice(0, 63),
      onnotify: (channel, payload) => {
        if (channel === EVENTS_CHANNEL) this.notified(payload);
        else if (channel === EPHEMERAL_CHANNEL) this.onEphemeral(payload);
      },
      onclose: () => {
        if (this.conn === conn) this.lost('connection closed');
      },
    });
    this.conn = conn;
    try {
      await conn.unsafe(`LISTEN ${EVENTS_CHANNEL}; LISTEN ${EPHEMERAL_CHANNEL}`);
    } catch (err) {
      if (this.conn === conn) this.lost((err as Error).message);
      throw err;
    }
    if (this.conn !== conn) return;
    if (this.attempt > 0) this.metrics.listenerReconnects.inc();
    this.attempt = 0;
    this.state = 'listening';
    this.log.info({ lastPos: this.lastPos }, 'listener: LISTENing; catching up from the log');
    this.caughtUp = false;
    this.catchUp();
  }

  private lost(reason: string): void {
    if (this.state === 'stopped') return;
    const conn = this.conn;
    this.conn = undefined;
    void conn?.end({ timeout: 0 }).catch(() => {});
    this.state = 'reconnecting';
    this.caughtUp = false;
    this.metrics.listenerUp.set(0);
    // Exponential backoff with jitter: many nodes reconnecting at once do not stampede. Capped at 2 s
    // so a node is ready again within a few seconds of the database coming back.
    const base = Math.min(2_000, 100 * 2 ** this.attempt);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.attempt++;
    this.log.warn({ reason, delay, attempt: this.attempt }, 'listener: connection lost; reconnecting');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.connectOnce().catch(() => {});
    }, delay);
  }

  private async healthCheck(): Promise<void> {
    const conn = this.conn;
    if (!conn || this.state !== 'listening') return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        conn`SELECT 1`,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('health check timed out')), 4_000);
        }),
      ]);
    } catch (err) {
      if (this.conn === conn) this.lost((err as Error).message);
    } finally {
      clearTimeout(timer);
    }
    // A NOTIFY can only be missed while disconnected, but a cheap periodic read bounds the damage of
    // any bug in that reasoning to seconds.
    this.catchUp();
  }

  private notified(payload: string): void {
    const n = parseNotification(payload, this.key);
    if (n.kind === 'unverified') {
      // Not from Parley's triggers (or not readable as such): nothing in it is believed, it moves
      // nothing, and it does not even make the node read the log.
      this.metrics.unverifiedNotifications.labels(EVENTS_CHANNEL).inc();
      return;
    }
    // Only while nothing else dispatches: a log read in flight may be about to pass these events.
    if (n.kind === 'events' && this.state === 'listening' && this.caughtUp && !this.reading) {
      const rows = n.rows;
      if (rows[0]!.pos === this.lastPos + 1) {
        for (const row of rows) this.hub.dispatch(fromLogRow(row));
        this.lastPos = rows[rows.length - 1]!.pos;
        this.metrics.listenerPos.set(this.lastPos);
        this.metrics.notifiedEvents.inc(rows.length);
        return;
      }
      if (rows[rows.length - 1]!.pos <= this.lastPos) return; // already read from the log
    }
    this.catchUp();
  }

  /** Reads the log after lastPos and dispatches in order; concurrent calls coalesce into one loop. */
  catchUp(): void {
    if (this.reading) {
      this.dirty = true;
      return;
    }
    this.reading = true;
    void this.readLoop();
  }

  private async readLoop(): Promise<void> {
    try {
      do {
        this.dirty = false;
        for (;;) {
          const rows = await readLog(this.pool, this.lastPos, PAGE);
          for (const row of rows) {
            if (row.pos <= this.lastPos) continue;
            this.lastPos = row.pos;
            this.hub.dispatch(fromLogRow(row));
          }
          this.metrics.listenerPos.set(this.lastPos);
          if (rows.length < PAGE) break;
        }
      } while (this.dirty);
      if (this.state === 'listening') {
        this.caughtUp = true;
        this.metrics.listenerUp.set(1);
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'listener: reading the log failed; will retry');
      // Retry on a timer, not at once: with the database down every read fails immediately.
      this.dirty = false;
      setTimeout(() => this.catchUp(), 500).unref();
    } finally {
      this.reading = false;
      if (this.dirty) this.catchUp();
    }
  }
}
