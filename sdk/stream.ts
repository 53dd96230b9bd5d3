import type { Emitter } from './emitter.ts';
import { ParleyError } from './errors.ts';
import type { Transport, TransportFactory } from './transport.ts';
import type { AnyParleyEvent, ClientEventMap, ConnectionState, StateChange } from './types.ts';

export interface ReconnectOptions {
  /** First delay after a drop (default 500 ms); doubles per failed attempt. */
  initialDelayMs?: number;
  /** Cap of the delay (default 30 s). */
  maxDelayMs?: number;
}

export interface EventStreamOptions extends ReconnectOptions {
  baseUrl: string;
  token: () => string;
  transport: TransportFactory;
  emitter: Emitter<ClientEventMap>;
  /** Resume point to start from (e.g. one the app saved). */
  lastEventId?: number;
  /**
   * Called when a connection failed before it opened, to tell a rejected token (fatal) from a
   * network problem (retried) when the transport cannot see the HTTP status.
   */
  probe?: () => Promise<unknown>;
  random?: () => number;
}

/**
 * The event stream's lifecycle: one transport connection at a time; on a drop it reconnects with
 * exponential backoff and full jitter, resuming from the last event id it saw (durable events and
 * id-only blocks both move it). Durable events are delivered in pos order, each once: a `pos` not
 * above the last one delivered is dropped, whatever the server replays.
 */
export class EventStream {
  private _state: ConnectionState = 'idle';
  private transport: Transport | undefined;
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private opened = false;
  private lastPos: number | undefined;
  private resumePoint: number | undefined;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly initialDelay: number;
  private readonly maxDelay: number;
  private readonly onOnline = () => {
    if (this.timer !== undefined) this.fireNow();
  };

  constructor(private readonly opts: EventStreamOptions) {
    this.initialDelay = opts.initialDelayMs ?? 500;
    this.maxDelay = opts.maxDelayMs ?? 30_000;
    this.resumePoint = opts.lastEventId;
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** The resume point: the highest event id seen. Save it to resume a later session. */
  get lastEventId(): number | undefined {
    return this.resumePoint;
  }

  /** The pos of the last durable event delivered to listeners. */
  get lastDeliveredPos(): number | undefined {
    return this.lastPos;
  }

  /** Opens the stream; resolves when the server's `connection` event arrives. */
  connect(): Promise<void> {
    if (this._state === 'open') return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this._state === 'idle' || this._state === 'closed') {
      this.attempt = 0;
      globalThis.addEventListener?.('online', this.onOnline);
      this.setState('connecting');
      this.open();
    }
    return p;
  }

  /** Closes the stream and stops reconnecting; the resume point is kept for the next `connect()`. */
  disconnect(): void {
    this.shutdown(new ParleyError('closed', 0, 'the event stream was closed by the client'), false);
  }

  /** Drops the current connection and reconnects at once, resuming (what a network blip does). */
  reconnect(): void {
    if (this._state === 'idle' || this._state === 'closed') return;
    this.generation++;
    this.transport?.close();
    this.transport = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.setState('reconnecting', { delayMs: 0 });
    this.open();
  }

  private shutdown(error: Error, report: boolean): void {
    this.generation++;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.transport?.close();
    this.transport = undefined;
    globalThis.removeEventListener?.('online', this.onOnline);
    if (this._state !== 'closed') this.setState('closed', report ? { error } : {});
    if (report) this.opts.emitter.emit('error', error);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
  }

  private open(): void {
    const gen = ++this.generation;
    this.opened = false;
    const live = () => gen === this.generation;
    this.transport = this.opts.transport(
      { baseUrl: this.opts.baseUrl, token: this.opts.token(), lastEventId: this.resumePoint },
      {
        onOpen: () => {},
        onMessage: (json, id) => {
          if (!live()) return;
          this.noteId(id);
          this.handle(json);
        },
        onId: (id) => {
          if (live()) this.noteId(id);
        },
        onClose: (error) => {
          if (!live()) return;
          this.transport = undefined;
          void this.dropped(error, gen);
        },
      },
    );
  }

  private noteId(id: string | number | undefined): void {
    if (id === undefined) return;
    const n = Number(id);
    if (!Number.isSafeInteger(n) || n < 0) return;
    if (this.resumePoint === undefined || n > this.resumePoint) this.resumePoint = n;
  }

  private handle(json: string): void {
    let ev: AnyParleyEvent;
    try {
      ev = JSON.parse(json) as AnyParleyEvent;
      if (!ev || typeof ev.type !== 'string') throw new Error('no type');
    } catch {
      this.opts.emitter.emit('error', new ParleyError('bad_event', 0, `unreadable event: ${json.slice(0, 100)}`));
      return;
    }
    if (typeof ev.pos === 'number') {
      if (this.lastPos !== undefined && ev.pos <= this.lastPos) return;
      this.lastPos = ev.pos;
      this.noteId(ev.pos);
    }
    if (ev.type === 'connection') {
      this.opened = true;
      this.attempt = 0;
      this.setState('open');
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.resolve();
    }
    const emitter = this.opts.emitter as unknown as Emitter<Record<string, unknown>>;
    emitter.emit(ev.type, ev);
    emitter.emit('*', ev);
  }

  private async dropped(error: Error | undefined, gen: number): Promise<void> {
    if (isFatal(error)) return this.shutdown(error as Error, true);
    if (!this.opened && this.opts.probe) {
      try {
        await this.opts.probe();
      } catch (probeError) {
        if (gen !== this.generation) return;
        if (isFatal(probeError)) return this.shutdown(probeError as Error, true);
      }
      if (gen !== this.generation) return;
    }
    this.attempt++;
    const ceiling = Math.min(this.maxDelay, this.initialDelay * 2 ** Math.min(this.attempt - 1, 30));
    let delayMs = Math.round(ceiling * (0.5 + 0.5 * (this.opts.random ?? Math.random)()));
    if (error instanceof ParleyError && error.retryAfter) delayMs = Math.max(delayMs, error.retryAfter * 1000);
    this.setState('reconnecting', { delayMs, error });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.open();
    }, delayMs);
  }

  private fireNow(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.open();
  }

  private setState(state: ConnectionState, extra: Partial<StateChange> = {}): void {
    const previous = this._state;
    this._state = state;
    this.opts.emitter.emit('state', { state, previous, attempt: this.attempt, ...extra });
  }
}

/** A 4xx other than "try later" will not get better by retrying: a bad or expired token, a bad resume point. */
function isFatal(error: unknown): boolean {
  return (
    error instanceof ParleyError &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 408 &&
    error.status !== 429
  );
}
