import { ApiError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { ephemeral, RESET_REASON, type StreamEvent } from '../realtime/event.ts';
import type { Hub } from '../realtime/hub.ts';
import type { Presence } from '../realtime/presence.ts';
import type { CloseReason, Subscriber } from '../realtime/subscriber.ts';
import type { Transport } from './transport.ts';

export interface SessionOptions {
  nodeId: string;
  /** Unsent bytes a live stream may hold before it is closed as a slow consumer (it resumes). */
  maxBufferedBytes: number;
  /** Streams one user may have open on this node at once. */
  maxStreamsPerUser: number;
}

/** Who a stream belongs to, from the token it was opened with. */
export interface StreamOwner {
  userId: string;
  /** When the token expires (ms since the epoch); the stream closes then. Infinity: never. */
  expiresAtMs: number;
  /** When the token was issued (ms), for revocation; undefined if the token did not say. */
  issuedAtMs?: number;
}

/**
 * Every stream open on this node, by user: the per-user cap, shutdown, and closing a user's streams
 * (token revocation) in one place, whichever transport they use and whatever state they are in.
 */
export class Streams {
  private readonly byUser = new Map<string, Set<StreamSession>>();

  constructor(
    readonly hub: Hub,
    readonly presence: Presence,
    readonly metrics: Metrics,
    readonly log: Logger,
    readonly opts: SessionOptions,
  ) {}

  /** 429 when the user already has as many streams here as allowed. */
  assertRoom(userId: string): void {
    const open = this.byUser.get(userId)?.size ?? 0;
    if (open >= this.opts.maxStreamsPerUser) {
      throw new ApiError(
        'rate_limited',
        `At most ${this.opts.maxStreamsPerUser} streams per user are open at once; close one first.`,
        undefined,
        5,
      );
    }
  }

  /** A session for a stream that has passed assertRoom (checked again here, since opening is async). */
  open(owner: StreamOwner, transport: Transport): StreamSession {
    this.assertRoom(owner.userId);
    const session = new StreamSession(this, owner, transport);
    const set = this.byUser.get(owner.userId);
    if (set) set.add(session);
    else this.byUser.set(owner.userId, new Set([session]));
    return session;
  }

  forget(session: StreamSession): void {
    const set = this.byUser.get(session.userId);
    set?.delete(session);
    if (set?.size === 0) this.byUser.delete(session.userId);
  }

  count(userId?: string): number {
    if (userId !== undefined) return this.byUser.get(userId)?.size ?? 0;
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /** Closes the user's streams whose token was issued before `beforeMs` (all when undefined). */
  closeUser(userId: string, reason: CloseReason, beforeMs?: number): number {
    let n = 0;
    for (const s of [...(this.byUser.get(userId) ?? [])]) {
      if (beforeMs === undefined || (s.owner.issuedAtMs ?? 0) < beforeMs) {
        s.close(reason);
        n++;
      }
    }
    return n;
  }

  closeAll(reason: CloseReason): void {
    for (const set of [...this.byUser.values()]) for (const s of [...set]) s.close(reason);
  }
}

/**
 * One client stream, whatever its transport: it attaches to the hub (snapshot, replay, live), counts
 * in presence and metrics while live, closes when its token expires, and cleans up exactly once
 * however it ends: the client going away mid-start included, so nothing stays indexed.
 */
export class StreamSession implements Subscriber {
  channels = new Set<string>();
  blocks = new Set<string>();
  lastPos = 0;
  closed = false;
  private state: 'new' | 'starting' | 'live' | 'gone' = 'new';
  private readonly expiry: NodeJS.Timeout | undefined;

  constructor(
    private readonly streams: Streams,
    readonly owner: StreamOwner,
    readonly transport: Transport,
  ) {
    transport.onClose(() => this.close('closed'));
    const ms = owner.expiresAtMs - Date.now();
    if (Number.isFinite(ms)) {
      // setTimeout holds at most ~24.8 days; a later expiry is re-armed by the stream's next start.
      this.expiry = setTimeout(() => this.close('token_expired'), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
      this.expiry.unref();
    }
  }

  get userId(): string {
    return this.owner.userId;
  }

  get buffered(): number {
    return this.transport.buffered;
  }

  /**
   * Starts the stream: the connection event (and `reset` if the resume point is gone), the replay
   * from `resumeFrom`, then live. `asked`: the client asked to resume (the connection event says
   * whether it did).
   */
  async start(resumeFrom: number | undefined, asked = resumeFrom !== undefined): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    const { hub, presence, metrics, opts } = this.streams;
    this.transport.hold();
    try {
      const result = await hub.attach(this, resumeFrom, (info) => {
        const resumed = asked && info.resumed;
        this.transport.send(ephemeral('connection', null, { user_id: this.userId, node_id: opts.nodeId, resumed }));
        if (info.reset) this.transport.send(ephemeral('reset', null, { reason: RESET_REASON }));
      });
      if (this.closed) return;
      // Everything up to lastPos has been considered for this stream: resuming from it loses nothing.
      this.transport.mark(result.lastPos);
      this.transport.release();
      this.state = 'live';
      metrics.openStreams.labels(this.transport.kind).inc();
      void presence.connected(this.userId);
    } catch (err) {
      this.streams.log.warn({ err: (err as Error).message, transport: this.transport.kind }, 'stream could not start');
      this.close('unavailable');
    }
  }

  send(ev: StreamEvent): boolean {
    if (this.closed) return false;
    // While starting, a replay is paced by drained() instead: its stream is not judged slow.
    if (this.state === 'live' && this.transport.buffered > this.streams.opts.maxBufferedBytes) {
      this.streams.metrics.slowConsumerCloses.inc();
      this.close('slow_consumer');
      return false;
    }
    this.transport.send(ev);
    return true;
  }

  async drained(belowBytes: number, stallMs: number): Promise<boolean> {
    let last = this.transport.buffered;
    let since = Date.now();
    while (!this.closed && this.transport.buffered > belowBytes) {
      await new Promise((r) => setTimeout(r, 10));
      const now = this.transport.buffered;
      if (now < last) since = Date.now();
      else if (Date.now() - since > stallMs) {
        this.streams.metrics.slowConsumerCloses.inc();
        this.close('slow_consumer');
      }
      last = now;
    }
    return !this.closed;
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiry);
    const { hub, presence, metrics } = this.streams;
    if (reason === 'token_expired' || reason === 'token_revoked') {
      this.transport.send(ephemeral('disconnect', null, { reason, reconnect: true }));
    }
    this.transport.end(reason);
    hub.detach(this);
    this.streams.forget(this);
    if (this.state === 'live') {
      metrics.openStreams.labels(this.transport.kind).dec();
      void presence.disconnected(this.userId);
    }
    this.state = 'gone';
  }
}
