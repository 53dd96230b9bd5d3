import { Batcher, type Pending } from '../batcher.ts';
import type { Sql } from '../db/client.ts';
import { fromLogRow } from './event.ts';
import { memberEvents, readChannelsLog } from './log.ts';
import { applyDurable, type Subscriber } from './subscriber.ts';

const PAGE = 500;
/** A stream replayed on its own holds one page while it waits for its reader: keep it small. */
const FORWARD_PAGE = 100;
const MAX_BATCH = 1000;
/**
 * Streams resuming within this many positions of their head are replayed together; one further
 * back is replayed on its own, so it does not make the others read the log from where it stopped.
 */
const SHARED_WINDOW = 20_000;

export interface ReplayRequest {
  sub: Subscriber;
  /** The user's channels at `head` (from the stream's snapshot). */
  channelsAtHead: string[];
  from: number;
  head: number;
}

/**
 * Membership at the resume point, from membership at the head and the user's own joins and leaves
 * in between (undone newest first); also every channel the user was in at any point of the range.
 */
export function membershipAt(
  channelsAtHead: string[],
  changes: { type: string; channel_id: string }[],
): { channels: Set<string>; everMember: Set<string> } {
  const channels = new Set(channelsAtHead);
  const everMember = new Set(channelsAtHead);
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i]!;
    everMember.add(c.channel_id);
    if (c.type === 'member_joined') channels.delete(c.channel_id);
    else channels.add(c.channel_id);
  }
  return { channels, everMember };
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export interface Replayed {
  sent: number;
  /**
   * The stream stopped taking events before `head` (its unsent bytes passed the high-water mark):
   * it holds everything up to its lastPos and continues on its own with replayForward, paced by its
   * socket, so a stream that reads slowly neither holds memory nor holds up the others.
   */
  parked: boolean;
}

/**
 * Sends each stream every event in (from, head] it is entitled to, in pos order, judging entitlement
 * by membership at each event (rebuilt at `from` by undoing the user's own joins and leaves). Streams
 * are replayed together: one query for their membership changes, one read of the log for the union
 * of their channels, each event object shared (and so serialised once).
 */
export async function replayTogether(sql: Sql, reqs: ReplayRequest[], highWater: number): Promise<Replayed[]> {
  const minFrom = Math.min(...reqs.map((r) => r.from));
  const maxHead = Math.max(...reqs.map((r) => r.head));
  const users = [...new Set(reqs.map((r) => r.sub.userId))];
  const changesOf = new Map<string, { pos: number; type: string; channel_id: string }[]>();
  for (const c of await memberEvents(sql, users, minFrom, maxHead)) append(changesOf, c.subject_user_id, c);
  const out: Replayed[] = reqs.map(() => ({ sent: 0, parked: false }));
  const byChannel = new Map<string, number[]>();
  reqs.forEach((r, i) => {
    const mine = (changesOf.get(r.sub.userId) ?? []).filter((c) => c.pos > r.from && c.pos <= r.head);
    const { channels, everMember } = membershipAt(r.channelsAtHead, mine);
    r.sub.channels = channels;
    r.sub.lastPos = r.from;
    for (const ch of everMember) append(byChannel, ch, i);
  });
  if (byChannel.size) {
    const ids = [...byChannel.keys()];
    for (let after = minFrom; ; ) {
      const rows = await readChannelsLog(sql, ids, after, maxHead, PAGE);
      for (const row of rows) {
        const ev = fromLogRow(row);
        for (const i of byChannel.get(row.channel_id) ?? []) {
          const r = reqs[i]!;
          const o = out[i]!;
          if (o.parked || row.pos <= r.from || row.pos > r.head) continue;
          if (r.sub.buffered > highWater) {
            o.parked = true;
            continue;
          }
          if (applyDurable(r.sub, ev)) o.sent++;
        }
      }
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]!.pos;
    }
  }
  reqs.forEach((r, i) => {
    if (!out[i]!.parked) r.sub.lastPos = r.head;
  });
  return out;
}

/** How a replay that runs on its own waits for its reader. */
export interface Pace {
  /** Unsent bytes above which the replay waits for the socket to drain. */
  highWater: number;
  /** A reader that takes nothing for this long is closed as a slow consumer. */
  stallMs: number;
}

/**
 * Continues a stream's replay from its lastPos through `through`, a small page at a time, waiting
 * whenever its socket holds more than the high-water mark until it has drained: memory per stream
 * stays at most that mark plus one event and one page of rows, however long the backlog. Membership goes forward from the stream's
 * own (as of lastPos): every channel the user joins in the range is read too, and applyDurable
 * judges each event at its pos. Returns the number of events sent.
 */
export async function replayForward(sql: Sql, sub: Subscriber, through: number, pace: Pace): Promise<number> {
  let sent = 0;
  const joined = await memberEvents(sql, [sub.userId], sub.lastPos, through);
  const ids = [...new Set([...sub.channels, ...joined.map((c) => c.channel_id)])];
  if (ids.length === 0) {
    sub.lastPos = Math.max(sub.lastPos, through);
    return 0;
  }
  for (;;) {
    const rows = await readChannelsLog(sql, ids, sub.lastPos, through, FORWARD_PAGE);
    for (const row of rows) {
      if (sub.buffered > pace.highWater && !(await sub.drained(pace.highWater, pace.stallMs))) return sent;
      if (applyDurable(sub, fromLogRow(row))) sent++;
    }
    if (rows.length < FORWARD_PAGE) break;
  }
  sub.lastPos = Math.max(sub.lastPos, through);
  return sent;
}

/**
 * Replays for streams that are resuming. Streams that resume together (a reconnect storm) share
 * their queries: 10,000 clients resuming cost a handful of statements instead of 20,000.
 */
export class Replays {
  private readonly batcher = new Batcher<ReplayRequest, Replayed>(MAX_BATCH, (batch) => this.run(batch));

  constructor(
    private readonly sql: Sql,
    private readonly highWater: number,
  ) {}

  /** Replays (from, head] to the request's stream, or as much as it takes before it is parked. */
  of(req: ReplayRequest): Promise<Replayed> {
    return this.batcher.add(req);
  }

  private async run(batch: Pending<ReplayRequest, Replayed>[]): Promise<void> {
    const near = batch.filter((p) => p.input.head - p.input.from <= SHARED_WINDOW);
    const far = batch.filter((p) => p.input.head - p.input.from > SHARED_WINDOW);
    const groups = [...(near.length ? [near] : []), ...far.map((p) => [p])];
    for (const group of groups) {
      try {
        const done = await replayTogether(
          this.sql,
          group.map((p) => p.input),
          this.highWater,
        );
        for (const [i, p] of group.entries()) p.resolve(done[i]!);
      } catch (err) {
        for (const p of group) p.reject(err);
      }
    }
  }
}
