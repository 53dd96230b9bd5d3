import { randomUUID } from 'node:crypto';
import { Batcher, type Pending as BatchItem } from '../batcher.ts';
import type { Message } from '../contract/resources.ts';
import { isDatabaseUnavailable } from '../errors.ts';
import type { Sql } from './client.ts';
import type { DedicatedConnection } from './dedicated.ts';
import type { NewMessage } from './messages.ts';

export type WriteResult =
  | { status: 'created'; id: string; message: Message }
  /** Not written: not a member (or an observer), the channel archived, frozen, in slow mode, a blocked direct channel, gone, or client_id already used. */
  | { status: 'skipped' };

type Pending = BatchItem<{ id: string; message: NewMessage }, WriteResult>;

const MAX_BATCH = 500;

/** A request's row is among those returned if it was written; otherwise it was skipped. */
function settle(p: Pending, rows: Map<string, Message>): void {
  const message = rows.get(p.input.id);
  p.resolve(message ? { status: 'created', id: p.input.id, message } : { status: 'skipped' });
}

/**
 * Group commit for messages. One message per transaction is capped by PostgreSQL's commit-time NOTIFY
 * lock (every notifying commit takes it), so concurrent sends are written together: while batches are
 * being written (two at most, see below), newcomers queue and go in the next one, in one INSERT. A lone send is written at once
 * (no added wait). Membership and "not archived" are checked inside the statement, so a batch needs a
 * single round trip; ids are chosen here so each caller finds its row among those returned.
 */
export class MessageWriter {
  /**
   * Two batches in flight on the one connection: postgres.js pipelines the second behind the first,
   * so PostgreSQL starts it as soon as the first has committed, not a round trip through this
   * process later (which, on a busy node, also waits for the event loop). They cannot overtake each
   * other: one connection runs its statements in turn, so a batch commits, and its events draw
   * their pos, after the batch sent before it. Only a failed batch's messages, retried one by one,
   * may land after the batch behind them; their senders have had no answer yet, so no order a client
   * waited for changes.
   */
  private readonly batcher = new Batcher<{ id: string; message: NewMessage }, WriteResult>(
    MAX_BATCH,
    (batch) => this.writeBatch(batch),
    2,
  );

  constructor(private readonly conn: DedicatedConnection) {}

  write(input: NewMessage): Promise<WriteResult> {
    return this.batcher.add({ id: randomUUID(), message: input });
  }

  private async writeBatch(batch: Pending[]): Promise<(() => void) | undefined> {
    try {
      const rows = await this.conn.run((sql) => this.insert(sql, batch));
      return () => {
        for (const p of batch) settle(p, rows);
      };
    } catch (err) {
      // With the database unreachable, writing singly would only fail each one again, one by one.
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        for (const p of batch) p.reject(err);
        return undefined;
      }
      // One bad row (say, a parent deleted meanwhile) must not fail its neighbours: write singly.
      for (const p of batch) {
        await this.conn
          .run((sql) => this.insert(sql, [p]))
          .then(
            (rows) => settle(p, rows),
            (e) => p.reject(e),
          );
      }
      return undefined;
    }
  }

  private async insert(sql: Sql, batch: Pending[]): Promise<Map<string, Message>> {
    const rows = await sql`
      WITH input AS (
        SELECT * FROM unnest(
          ${batch.map((p) => p.input.id)}::uuid[], ${batch.map((p) => p.input.message.channelId)}::uuid[],
          ${batch.map((p) => p.input.message.userId)}::text[], ${batch.map((p) => p.input.message.content)}::text[],
          ${batch.map((p) => p.input.message.parentMessageId)}::uuid[],
          ${batch.map((p) => JSON.stringify(p.input.message.mentions))}::text[],
          ${batch.map((p) => p.input.message.clientId)}::text[]
        ) WITH ORDINALITY AS t(id, channel_id, user_id, content, parent_message_id, mentions, client_id, ord)
      ), ins AS (
        INSERT INTO channel_messages (id, channel_id, user_id, content, parent_message_id, mentions, client_id)
        SELECT i.id, i.channel_id, i.user_id, i.content, i.parent_message_id,
               ARRAY(SELECT jsonb_array_elements_text(i.mentions::jsonb)), i.client_id
          FROM input i
          -- Only a channel that takes anyone's message as it comes: archived, frozen and slow-mode
          -- channels, observers and blocked direct channels are left to sendMessage's checked path.
          JOIN channels c ON c.id = i.channel_id AND NOT c.is_archived AND NOT c.is_frozen AND c.slow_mode_seconds = 0
         WHERE EXISTS (SELECT 1 FROM channel_members m
                        WHERE m.channel_id = i.channel_id AND m.user_id = i.user_id AND m.role <> 'observer')
           AND NOT EXISTS (SELECT 1 FROM direct_messages d
                             JOIN user_blocks b ON b.blocked = i.user_id
                              AND b.blocker = CASE WHEN d.user_a = i.user_id THEN d.user_b ELSE d.user_a END
                            WHERE d.channel_id = i.channel_id)
         ORDER BY i.ord
        ON CONFLICT (channel_id, user_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
        RETURNING id, channel_id, parent_message_id, created_at
      )
      SELECT ins.id, ins.channel_id, ins.parent_message_id, parley_ts(ins.created_at) AS created_at FROM ins`;
    const byId = new Map(batch.map((p) => [p.input.id, p.input.message]));
    return new Map(
      rows.map((r) => {
        const id = r.id as string;
        const m = byId.get(id)!;
        return [
          id,
          newMessageJson(id, r.channel_id as string, r.parent_message_id as string | null, m, r.created_at as string),
        ];
      }),
    );
  }
}

/**
 * A message just written, in the contract's shape, from what was sent and what the database chose
 * (ids as PostgreSQL spells them, the time of the insert). Built here rather than by
 * parley_message_json_with in the statement: that JSON was built, sent as text and parsed again for
 * every message, on top of the one the event trigger builds. A test holds the two shapes equal.
 */
function newMessageJson(
  id: string,
  channelId: string,
  parentMessageId: string | null,
  m: NewMessage,
  createdAt: string,
): Message {
  return {
    id,
    channel_id: channelId,
    user_id: m.userId,
    system: false,
    content: m.content,
    parent_message_id: parentMessageId,
    thread_reply_count: 0,
    last_reply_at: null,
    mentions: m.mentions,
    attachments: [],
    reactions: [],
    created_at: createdAt,
    edited_at: null,
    deleted_at: null,
  };
}
