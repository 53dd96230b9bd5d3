import { Batcher, type Pending } from '../batcher.ts';
import type { Sql } from '../db/client.ts';

export interface Snapshot {
  head: number;
  prunedThrough: number;
  channels: string[];
  /** Users the user blocks. */
  blocks: string[];
}

const MAX_BATCH = 1000;

/**
 * Snapshots for streams that are starting: the head of the log and each user's channels as of that
 * head. Streams that start together (a reconnect storm) share one statement — and so one snapshot,
 * which is what makes "channels as of head" exact: pos is drawn in commit order, so a snapshot that
 * sees pos N sees every event up to N and no other.
 */
export class Snapshots {
  private readonly batcher = new Batcher<string, Snapshot>(MAX_BATCH, (batch) => this.take(batch));

  constructor(private readonly sql: Sql) {}

  of(userId: string): Promise<Snapshot> {
    return this.batcher.add(userId);
  }

  private async take(batch: Pending<string, Snapshot>[]): Promise<void> {
    const users = [...new Set(batch.map((b) => b.input))];
    const rows = await this.sql`
      WITH pruned AS (
             SELECT coalesce((SELECT value FROM parley_state WHERE key = 'pruned_through'), 0) AS p),
           h AS (SELECT greatest((SELECT max(pos) FROM event_log), (SELECT p FROM pruned), 0) AS head)
      SELECT u.user_id, h.head, pruned.p AS pruned_through,
             coalesce((SELECT array_agg(m.channel_id::text) FROM channel_members m WHERE m.user_id = u.user_id),
                      '{}') AS channels,
             coalesce((SELECT array_agg(b.blocked) FROM user_blocks b WHERE b.blocker = u.user_id), '{}') AS blocks
        FROM unnest(${users}::text[]) AS u(user_id), h, pruned`;
    const byUser = new Map(rows.map((r) => [r.user_id as string, r]));
    for (const b of batch) {
      const r = byUser.get(b.input)!;
      b.resolve({
        head: Number(r.head),
        prunedThrough: Number(r.pruned_through),
        channels: r.channels as string[],
        blocks: r.blocks as string[],
      });
    }
  }
}
