import type { StreamEvent } from './event.ts';

/** What the hub needs of one client stream, whatever its transport. */
export interface Subscriber {
  readonly userId: string;
  /** Channels the user is a member of, as of `lastPos`. */
  channels: Set<string>;
  /** The last durable pos sent on this stream; anything at or below it is a repeat. */
  lastPos: number;
  /** Writes the event; returns false when the stream is gone or was closed for being too slow. */
  send(ev: StreamEvent): boolean;
  close(reason: string): void;
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
