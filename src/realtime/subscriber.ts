import type { StreamEvent } from './event.ts';

/**
 * Why a stream ends, as the client is told: `shutdown` (reconnect to another node), `slow_consumer`
 * (it did not read; resume), `token_expired` and `token_revoked` (reconnect with a fresh token),
 * `unavailable` (could not start; retry), `closed` (the client went away).
 */
export type CloseReason = 'shutdown' | 'slow_consumer' | 'token_expired' | 'token_revoked' | 'unavailable' | 'closed';

/** What the hub needs of one client stream, whatever its transport. */
export interface Subscriber {
  readonly userId: string;
  /** Channels the user is a member of, as of `lastPos`. */
  channels: Set<string>;
  /** Users this stream's user blocks: none of their typing reaches it. */
  blocks: Set<string>;
  /** The last durable pos sent on this stream; anything at or below it is a repeat. */
  lastPos: number;
  /** Closed streams take nothing more, and are not (or no longer) indexed. */
  readonly closed: boolean;
  /** Bytes written for this stream that its client has not taken yet. */
  readonly buffered: number;
  /** Writes the event; returns false when the stream is gone or was closed for being too slow. */
  send(ev: StreamEvent): boolean;
  /**
   * Resolves true once fewer than `belowBytes` are unsent; false if the stream closed meanwhile or its
   * reader took nothing for `stallMs` (the stream is then closed as a slow consumer).
   */
  drained(belowBytes: number, stallMs: number): Promise<boolean>;
  close(reason: CloseReason): void;
}

/**
 * Whether the user behind `sub` may see `ev`, judged by the membership the subscriber holds,
 * which is the membership at the event's pos when events are applied in pos order.
 */
export function entitled(sub: Subscriber, ev: StreamEvent): boolean {
  if (ev.targetUserIds) {
    if (!ev.targetUserIds.includes(sub.userId)) return false;
    // channel_created precedes the creator's member_joined events of the same transaction.
    if (ev.type === 'channel_created' || ev.channelId === null) return true;
  }
  return ev.channelId !== null && sub.channels.has(ev.channelId);
}

/**
 * Applies a durable event to one subscriber: membership first for joins (the new member sees their
 * own join), after delivery for leaves (the leaving member sees their own `member_left`, then nothing).
 */
export function applyDurable(sub: Subscriber, ev: StreamEvent): boolean {
  const mine = ev.subjectUserId === sub.userId && ev.channelId !== null;
  if (mine && ev.type === 'member_joined') sub.channels.add(ev.channelId!);
  let sent = false;
  if (ev.pos! > sub.lastPos) {
    sent = entitled(sub, ev) && sub.send(ev);
    sub.lastPos = ev.pos!;
  }
  if (mine && ev.type === 'member_left') sub.channels.delete(ev.channelId!);
  return sent;
}

/**
 * A channel-wide event (no target list, no member of this node joining or leaving) to a stream the
 * hub found under the event's channel in its index. The hub keeps that index in step with each
 * stream's `channels`, in pos order, so the stream is a member and entitlement is not looked up
 * again: at 10,000 streams that lookup (the stream's own Set, another object to fetch from memory
 * per stream) was as costly as the write.
 */
export function deliverIndexed(sub: Subscriber, ev: StreamEvent): boolean {
  if (ev.pos! <= sub.lastPos) return false;
  sub.lastPos = ev.pos!;
  return sub.send(ev);
}
