import type { ServerResponse } from 'node:http';
import type { Metrics } from '../metrics.ts';
import { type StreamEvent, sseFrame } from '../realtime/event.ts';
import type { Subscriber } from '../realtime/subscriber.ts';

/**
 * One Server-Sent Events stream. Writes never wait: past `maxBuffered` unsent bytes the stream is
 * closed and the client resumes from its Last-Event-ID, so one slow reader never holds memory.
 */
export class SseSubscriber implements Subscriber {
  channels = new Set<string>();
  lastPos = 0;
  closed = false;
  private held = false;

  constructor(
    readonly userId: string,
    private readonly res: ServerResponse,
    private readonly maxBuffered: number,
    private readonly metrics: Metrics,
  ) {}

  send(ev: StreamEvent): boolean {
    return this.write(sseFrame(ev));
  }

  /** Sets the client's resume point without dispatching an event (a block with `id:` and no data). */
  mark(pos: number): void {
    this.write(`id: ${pos}\n\n`);
  }

  /**
   * Gathers the writes that follow into as few system calls as possible until release(): the start
   * of a stream (connection event, replay, resume point) goes out in one write instead of one per
   * event, which in a reconnect storm of 10,000 streams is tens of thousands of system calls.
   */
  hold(): void {
    if (this.held || this.closed) return;
    this.held = true;
    this.res.socket?.cork();
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.res.socket?.uncork();
  }

  write(chunk: Buffer | string): boolean {
    if (this.closed) return false;
    // While held, flush every 64 KiB so a long replay never looks like a slow reader.
    if (this.held && this.res.writableLength > HOLD_FLUSH_BYTES) {
      this.res.socket?.uncork();
      this.res.socket?.cork();
    }
    if (this.res.writableLength > this.maxBuffered) {
      this.metrics.slowConsumerCloses.inc();
      this.close('slow_consumer');
      return false;
    }
    this.res.write(chunk);
    return true;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.release();
    this.closed = true;
    if (reason === 'shutdown') {
      // A clean end with a short retry: EventSource reconnects (through the load balancer, to a
      // node that is up) and resumes from its Last-Event-ID.
      this.res.end('retry: 500\n: node shutting down, reconnect\n\n');
      return;
    }
    // destroy, not end: a slow reader would never drain what end() still has to flush.
    this.res.destroy();
  }
}

const HEARTBEAT = Buffer.from(': ping\n\n');
const HOLD_FLUSH_BYTES = 64 * 1024;

/** One timer for all streams: a comment line at least every interval keeps proxies from timing out. */
export class SseHeartbeat {
  private readonly subs = new Set<SseSubscriber>();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => {
      for (const s of this.subs) s.write(HEARTBEAT);
    }, intervalMs);
    this.timer.unref();
  }

  add(s: SseSubscriber): void {
    this.subs.add(s);
  }

  delete(s: SseSubscriber): void {
    this.subs.delete(s);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
