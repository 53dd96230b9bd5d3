import type { ServerResponse } from 'node:http';
import type { StreamEvent } from '../realtime/event.ts';
import type { CloseReason, Transport } from './transport.ts';

/**
 * SSE framing (WHATWG): `id:` for durable events, then the data. Event JSON has no raw line breaks
 * (JSON escapes them), but the framing does not rely on that: any CR, LF or CRLF in the text starts
 * a new `data:` line, which EventSource joins back with "\n", so no value can end a frame early.
 */
export function sseFrame(ev: StreamEvent): Buffer {
  if (ev === last.ev) return last.frame;
  let frame = frames.get(ev);
  if (!frame) {
    const data = LINE_BREAK.test(ev.json) ? ev.json.split(/\r\n|\r|\n/).join('\ndata: ') : ev.json;
    frame = Buffer.from(ev.pos !== undefined ? `id: ${ev.pos}\ndata: ${data}\n\n` : `data: ${data}\n\n`);
    frames.set(ev, frame);
  }
  last.ev = ev;
  last.frame = frame;
  return frame;
}

const LINE_BREAK = /[\r\n]/;
/** Each event is framed once; the same bytes go to every stream (the hub delivers one event at a time). */
const frames = new WeakMap<StreamEvent, Buffer>();
const last: { ev: StreamEvent | undefined; frame: Buffer } = { ev: undefined, frame: Buffer.alloc(0) };

const HEARTBEAT = Buffer.from(': ping\n\n');
/** While held, flush every 64 KiB so a long replay never looks like a slow reader. */
const HOLD_FLUSH_BYTES = 64 * 1024;

/** One Server-Sent Events response. Writes never wait; the session judges slowness by `buffered`. */
export class SseTransport implements Transport {
  readonly kind = 'sse';
  private held = false;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    heartbeat: SseHeartbeat,
  ) {
    heartbeat.add(this);
    res.on('close', () => heartbeat.delete(this));
  }

  get buffered(): number {
    return this.res.writableLength;
  }

  send(ev: StreamEvent): void {
    this.write(sseFrame(ev));
  }

  mark(pos: number): void {
    this.write(`id: ${pos}\n\n`);
  }

  /** How long EventSource waits before it reconnects. */
  retry(ms: number): void {
    this.write(`retry: ${ms}\n\n`);
  }

  ping(): void {
    this.write(HEARTBEAT);
  }

  /**
   * The start of a stream (connection event, replay, resume point) goes out in one write instead of
   * one per event, which in a reconnect storm of 10,000 streams is tens of thousands of system calls.
   */
  hold(): void {
    if (this.held || this.ended) return;
    this.held = true;
    this.res.socket?.cork();
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.res.socket?.uncork();
  }

  end(reason: CloseReason): void {
    if (this.ended) return;
    this.release();
    this.ended = true;
    if (reason === 'shutdown') {
      // A clean end with a short retry: EventSource reconnects (through the load balancer, to a
      // node that is up) and resumes from its Last-Event-ID.
      this.res.end('retry: 500\n: node shutting down, reconnect\n\n');
    } else if (reason === 'token_expired' || reason === 'token_revoked') {
      this.res.end(`: ${reason}; reconnect with a fresh token\n\n`);
    } else if (reason === 'unavailable') {
      this.res.end('retry: 2000\n\n');
    } else {
      // destroy, not end: a slow reader would never drain what end() still has to flush.
      this.res.destroy();
    }
  }

  onClose(fn: () => void): void {
    this.res.once('close', fn);
  }

  private write(chunk: Buffer | string): void {
    if (this.ended) return;
    if (this.held && this.res.writableLength > HOLD_FLUSH_BYTES) {
      this.res.socket?.uncork();
      this.res.socket?.cork();
    }
    this.res.write(chunk);
  }
}

/** One timer for all streams: a comment line at least every interval keeps proxies from timing out. */
export class SseHeartbeat {
  private readonly streams = new Set<SseTransport>();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => {
      for (const s of this.streams) s.ping();
    }, intervalMs);
    this.timer.unref();
  }

  add(s: SseTransport): void {
    this.streams.add(s);
  }

  delete(s: SseTransport): void {
    this.streams.delete(s);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
