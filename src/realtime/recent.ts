import type { StreamEvent } from './event.ts';

/**
 * The durable events this node dispatched most recently, in pos order: a resuming stream whose resume
 * point lies inside the window is replayed from memory instead of the database. Thousands of clients
 * reconnecting at once (a deploy, a network blip) then cost no queries beyond their snapshot.
 */
export class RecentEvents {
  private events: StreamEvent[] = [];
  /** The window covers (start, end]: every durable event in that range, none missing. */
  private start = 0;
  end = 0;
  private waiters: { pos: number; resolve: () => void }[] = [];

  constructor(private readonly capacity = 50_000) {}

  /** Where the live feed begins (nothing before it is in memory). */
  reset(pos: number): void {
    this.events = [];
    this.start = this.end = pos;
    this.wake();
  }

  push(ev: StreamEvent): void {
    this.events.push(ev);
    this.end = ev.pos!;
    if (this.events.length > this.capacity) {
      // Drop the oldest tenth at once rather than shifting one by one.
      const drop = Math.ceil(this.capacity / 10);
      this.start = this.events[drop - 1]!.pos!;
      this.events = this.events.slice(drop);
    }
    this.wake();
  }

  /** The events in (from, to], or undefined if the window does not hold all of them. */
  range(from: number, to: number): StreamEvent[] | undefined {
    if (from < this.start || to > this.end) return undefined;
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid]!.pos! <= from) lo = mid + 1;
      else hi = mid;
    }
    const out: StreamEvent[] = [];
    for (let i = lo; i < this.events.length && this.events[i]!.pos! <= to; i++) out.push(this.events[i]!);
    return out;
  }

  /** Resolves once the feed has passed `pos`, or after `ms` (the caller then checks `end`). */
  reached(pos: number, ms: number): Promise<void> {
    if (this.end >= pos) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push({
        pos,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.pos <= this.end);
    this.waiters = this.waiters.filter((w) => w.pos > this.end);
    for (const w of ready) w.resolve();
  }
}
