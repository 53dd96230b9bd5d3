import type { Sql } from '../db/client.ts';
import type { Metrics } from '../metrics.ts';
import { isMembershipEvent, type StreamEvent } from './event.ts';
import { type Pace, Replays, replayForward } from './replay.ts';
import { Snapshots } from './snapshots.ts';
import { applyDurable, deliverIndexed, type Subscriber } from './subscriber.ts';

/** Live events held for one starting stream before it reads them from the log instead. */
const PENDING_MAX_BYTES = 4 * 1024 * 1024;

export interface AttachResult {
  resumed: boolean;
  reset: boolean;
  replayed: number;
  /** Every event up to here has been considered for the stream. */
  lastPos: number;
}

/**
 * Routes events to the streams open on this node. Durable events arrive in pos order from the
 * listener; each subscriber's membership is updated by the member events themselves, so routing
 * needs no database round trip and entitlement is judged as of each event.
 */
export class Hub {
  private readonly byChannel = new Map<string, Set<Subscriber>>();
  private readonly byUser = new Map<string, Set<Subscriber>>();
  /**
   * Subscribers still catching up from the log: live events wait in their buffers, up to
   * PENDING_MAX_BYTES each; past that the buffer is dropped (`null`) and the stream reads those
   * events from the log instead, so a stream that takes long to start holds no growing memory.
   */
  private readonly pending = new Map<Subscriber, { events: StreamEvent[]; bytes: number } | null>();
  private readonly snapshots: Snapshots;
  private readonly replays: Replays;
  /** The pos of the last durable event dispatched: everything up to it has reached the buffers. */
  private dispatchedPos = 0;
  /** Told of every durable event dispatched (webhook delivery wakes on it instead of polling). */
  onDurable: (() => void) | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly metrics: Metrics,
    private readonly pace: Pace,
  ) {
    this.snapshots = new Snapshots(sql);
    this.replays = new Replays(sql, pace.highWater);
  }

  get subscriberCount(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n + this.pending.size;
  }

  /**
   * Registers a stream: snapshot (head + channels), replay from `resumeFrom` if given, then the
   * events that arrived meanwhile, then live. Nothing is missed or repeated across the hand-over
   * because every step is keyed by pos. A stream closed meanwhile is never indexed.
   */
  async attach(
    sub: Subscriber,
    resumeFrom: number | undefined,
    onStart: (info: { resumed: boolean; reset: boolean }) => void,
  ): Promise<AttachResult> {
    this.pending.set(sub, { events: [], bytes: 0 });
    try {
      const snap = await this.snapshots.of(sub.userId);
      sub.blocks = new Set(snap.blocks);
      let resumed = false;
      let reset = false;
      let replayed = 0;
      if (resumeFrom !== undefined && (resumeFrom < snap.prunedThrough || resumeFrom > snap.head)) {
        reset = true;
      } else if (resumeFrom !== undefined) {
        resumed = true;
      }
      onStart({ resumed, reset });
      if (resumed) {
        const r = await this.replays.of({ sub, channelsAtHead: snap.channels, from: resumeFrom!, head: snap.head });
        replayed = r.sent;
        if (r.parked) replayed += await replayForward(this.sql, sub, snap.head, this.pace);
      } else {
        sub.channels = new Set(snap.channels);
        sub.lastPos = snap.head;
      }
      // Live events that did not fit the buffer are read from the log, until the buffer holds them.
      while (this.pending.get(sub) === null && !sub.closed) {
        const through = this.dispatchedPos;
        this.pending.set(sub, { events: [], bytes: 0 });
        replayed += await replayForward(this.sql, sub, through, this.pace);
      }
      this.metrics.replayedEvents.inc(replayed);
      this.metrics.eventsDelivered.inc(replayed);
      // No await from here on: the buffer is drained and the subscriber goes live in one turn.
      const buffered = this.pending.get(sub)?.events ?? [];
      this.pending.delete(sub);
      if (sub.closed) return { resumed, reset, replayed, lastPos: sub.lastPos };
      for (const ev of buffered) if (applyDurable(sub, ev)) this.metrics.eventsDelivered.inc();
      this.index(sub);
      return { resumed, reset, replayed, lastPos: sub.lastPos };
    } catch (err) {
      this.pending.delete(sub);
      throw err;
    }
  }

  detach(sub: Subscriber): void {
    this.pending.delete(sub);
    for (const ch of sub.channels) this.removeFrom(this.byChannel, ch, sub);
    this.removeFrom(this.byUser, sub.userId, sub);
  }

  /** A durable event from the log, in pos order. */
  dispatch(ev: StreamEvent): void {
    this.dispatchedPos = ev.pos!;
    this.onDurable?.();
    if (this.pending.size) {
      for (const [sub, buf] of this.pending) {
        if (!buf) continue;
        buf.events.push(ev);
        buf.bytes += ev.json.length;
        if (buf.bytes > PENDING_MAX_BYTES) this.pending.set(sub, null);
      }
    }
    const subject = isMembershipEvent(ev.type) && ev.subjectUserId ? this.byUser.get(ev.subjectUserId) : undefined;
    let delivered = 0;
    if (!ev.targetUserIds && !subject) {
      // The common case (a message, a reaction to a channel): walk the channel's own set, no copy.
      // Sending never removes a subscriber synchronously (a closed stream detaches on its 'close').
      for (const s of this.byChannel.get(ev.channelId ?? '') ?? []) if (deliverIndexed(s, ev)) delivered++;
      if (delivered) this.metrics.eventsDelivered.inc(delivered);
      return;
    }
    const candidates = new Set<Subscriber>();
    if (ev.targetUserIds) {
      for (const u of ev.targetUserIds) for (const s of this.byUser.get(u) ?? []) candidates.add(s);
    } else if (ev.channelId) {
      for (const s of this.byChannel.get(ev.channelId) ?? []) candidates.add(s);
    }
    for (const s of subject ?? []) candidates.add(s);
    for (const s of candidates) if (applyDurable(s, ev)) delivered++;
    if (delivered) this.metrics.eventsDelivered.inc(delivered);
    if (subject && ev.channelId) {
      for (const s of subject) {
        if (s.channels.has(ev.channelId)) this.addTo(this.byChannel, ev.channelId, s);
        else this.removeFrom(this.byChannel, ev.channelId, s);
      }
    }
  }

  /** Every stream of the user on this node, live or starting. */
  streamsOf(userId: string): Subscriber[] {
    const live = [...(this.byUser.get(userId) ?? [])];
    for (const s of this.pending.keys()) if (s.userId === userId) live.push(s);
    return live;
  }

  /**
   * An ephemeral event (typing, presence): to the channel's members, or to `channels`' members;
   * `skip` leaves out the streams it says (typing of a user they block).
   */
  dispatchEphemeral(ev: StreamEvent, channels?: string[], skip?: (s: Subscriber) => boolean): void {
    const seen = new Set<Subscriber>();
    if (skip)
      for (const ch of channels ?? (ev.channelId ? [ev.channelId] : [])) {
        for (const s of this.byChannel.get(ch) ?? []) if (skip(s)) seen.add(s);
      }
    const ids = channels ?? (ev.channelId ? [ev.channelId] : []);
    for (const ch of ids) {
      for (const s of this.byChannel.get(ch) ?? []) {
        if (seen.has(s)) continue;
        seen.add(s);
        if (s.send(ev)) this.metrics.eventsDelivered.inc();
      }
    }
    for (const u of ev.targetUserIds ?? []) {
      for (const s of this.byUser.get(u) ?? []) {
        if (seen.has(s)) continue;
        seen.add(s);
        if (s.send(ev)) this.metrics.eventsDelivered.inc();
      }
    }
  }

  private index(sub: Subscriber): void {
    this.addTo(this.byUser, sub.userId, sub);
    for (const ch of sub.channels) this.addTo(this.byChannel, ch, sub);
  }

  private addTo(map: Map<string, Set<Subscriber>>, key: string, sub: Subscriber): void {
    const set = map.get(key);
    if (set) set.add(sub);
    else map.set(key, new Set([sub]));
  }

  private removeFrom(map: Map<string, Set<Subscriber>>, key: string, sub: Subscriber): void {
    const set = map.get(key);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) map.delete(key);
  }
}
