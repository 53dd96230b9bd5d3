import type { Message } from '../contract/resources.ts';
import { ApiError, invalid } from '../errors.ts';
import { limit, type Sql } from './client.ts';

export interface MessageRow {
  id: string;
  channel_id: string;
  /** null: a system message. */
  user_id: string | null;
  seq: number;
  parent_message_id: string | null;
  deleted_at: Date | null;
}

export async function findMessage(sql: Sql, id: string): Promise<MessageRow | undefined> {
  const [row] = await sql`
    SELECT id, channel_id, user_id, seq, parent_message_id, deleted_at FROM channel_messages WHERE id = ${id}`;
  return row as MessageRow | undefined;
}

export async function findByClientId(
  sql: Sql,
  channelId: string,
  userId: string,
  clientId: string,
): Promise<string | undefined> {
  const [row] = await sql`
    SELECT id FROM channel_messages WHERE channel_id = ${channelId} AND user_id = ${userId} AND client_id = ${clientId}`;
  return row?.id as string | undefined;
}

/**
 * `seq` and `m` (the message's JSON) for each row of `page`, a CTE of channel_messages rows in a
 * column `m`. The attachments and reactions of the whole page come from one scan of each table
 * (parley_page_extras, migration 0009), not from two subqueries per message; and the body of
 * parley_message_json is written inline, since a call of it per row could not be inlined.
 */
function pageJson(sql: Sql) {
  return sql`SELECT (p.m).seq AS seq, parley_message_json_with(p.m, x.attachments, x.reactions) AS m
    FROM page p LEFT JOIN (
      SELECT e.* FROM (SELECT array_agg((m).id) AS ids FROM page) i CROSS JOIN LATERAL parley_page_extras(i.ids) e
    ) x ON x.message_id = (p.m).id`;
}

export async function messageJson(sql: Sql, id: string): Promise<Message | undefined> {
  const [row] = await sql`SELECT parley_message_json(m) AS m FROM channel_messages m WHERE m.id = ${id}`;
  return row?.m as Message | undefined;
}

export async function editMessage(sql: Sql, id: string, content: string, mentions?: string[]): Promise<void> {
  await sql`
    UPDATE channel_messages
       SET content = ${content}, edited_at = now(),
           mentions = ${mentions ? sql`${mentions}::text[]` : sql`mentions`}
     WHERE id = ${id} AND deleted_at IS NULL`;
}

/** Soft delete: content emptied, deleted_at set; the row stays for threads and read points. */
export async function deleteMessage(sql: Sql, id: string): Promise<void> {
  await sql`
    UPDATE channel_messages SET content = '', mentions = '{}', deleted_at = now()
     WHERE id = ${id} AND deleted_at IS NULL`;
}

export interface HistoryPage {
  /** Whether the channel exists, and the user's role in it (null: not a member, and no page). */
  found: boolean;
  role: string | null;
  beforeFound: boolean;
  afterFound: boolean;
  /** The response body: `{"messages": [...], "has_more": …}`. */
  body: string;
}

/**
 * A page of history, oldest to newest, for a member of the channel (no page for a non-member; the
 * caller judges `found` and `role`). With `after`: the `limit` messages following it; otherwise the `limit`
 * messages preceding `before` (or the newest). has_more says whether the page was cut. Membership,
 * cursors and page are one statement: a page costs one round trip. Returns the response body: the
 * messages' JSON as PostgreSQL wrote it, not parsed and serialised again on the way out.
 *
 * The page matches the channel id that meta found, not the parameter. Seeing the value, the planner
 * costs a page of a channel holding most of the rows below the generic plan, so PostgreSQL kept
 * planning every page anew (~0.4 ms each); through the join every channel costs the same and the
 * generic plan is kept.
 */
export async function history(
  sql: Sql,
  channelId: string,
  userId: string,
  opts: { before?: string; after?: string; limit: number; includeReplies: boolean },
): Promise<HistoryPage> {
  const topLevel = opts.includeReplies ? sql`` : sql`AND m.parent_message_id IS NULL`;
  const lower = opts.after ? sql`AND m.seq > meta.after_seq` : sql``;
  const upper = opts.before ? sql`AND m.seq < meta.before_seq` : sql``;
  const ascending = opts.after !== undefined;
  const order = ascending ? sql`ASC` : sql`DESC`;
  const rows = await sql`
    WITH meta AS (
      SELECT c.id IS NOT NULL AS found, c.id AS channel_id, mm.role, b.seq AS before_seq, a.seq AS after_seq
        FROM (SELECT 1) one
        LEFT JOIN channels c ON c.id = ${channelId}
        LEFT JOIN channel_members mm ON mm.channel_id = c.id AND mm.user_id = ${userId}
        LEFT JOIN channel_messages b ON b.id = ${opts.before ?? null}::uuid AND b.channel_id = ${channelId}
        LEFT JOIN channel_messages a ON a.id = ${opts.after ?? null}::uuid AND a.channel_id = ${channelId}
    ), page AS MATERIALIZED (
      SELECT p.m FROM meta CROSS JOIN LATERAL (
        SELECT m FROM channel_messages m
         WHERE meta.role IS NOT NULL AND m.channel_id = meta.channel_id ${topLevel} ${lower} ${upper}
         ORDER BY m.seq ${order} ${limit(sql, opts.limit + 1)}) p
    )
    SELECT meta.found, meta.role, meta.before_seq, meta.after_seq, j.m::text AS m
      FROM meta LEFT JOIN LATERAL (${pageJson(sql)}) j ON true
     ORDER BY j.seq ${order}`;
  const meta = rows[0]!;
  const found = rows.filter((r) => r.m !== null);
  const has_more = found.length > opts.limit;
  const page = found.slice(0, opts.limit).map((r) => r.m as string);
  if (!ascending) page.reverse();
  return {
    found: meta.found as boolean,
    role: meta.role as string | null,
    beforeFound: meta.before_seq !== null,
    afterFound: meta.after_seq !== null,
    body: `{"messages":[${page.join(',')}],"has_more":${has_more}}`,
  };
}

/** A page of a thread's replies; undefined when `after` is not a reply of this thread. */
export async function thread(
  sql: Sql,
  parentId: string,
  opts: { after?: string; limit: number },
): Promise<{ replies: Message[]; has_more: boolean } | undefined> {
  let after = 0;
  if (opts.after) {
    const [row] =
      await sql`SELECT seq FROM channel_messages WHERE id = ${opts.after} AND parent_message_id = ${parentId}`;
    if (!row) return undefined;
    after = row.seq as number;
  }
  const rows = await sql`
    WITH page AS MATERIALIZED (
      SELECT m FROM channel_messages m
       WHERE m.parent_message_id = ${parentId} AND m.seq > ${after}
       ORDER BY m.seq ${limit(sql, opts.limit + 1)}
    )
    SELECT j.m FROM (${pageJson(sql)}) j ORDER BY j.seq`;
  return { replies: rows.slice(0, opts.limit).map((r) => r.m as Message), has_more: rows.length > opts.limit };
}

export interface NewMessage {
  channelId: string;
  userId: string;
  content: string;
  parentMessageId: string | null;
  mentions: string[];
  attachmentIds: string[];
  clientId: string | null;
}

/** Of `userIds`, those who are not members of the channel (observers counted as not, if asked). */
export async function nonMembers(
  sql: Sql,
  channelId: string,
  userIds: string[],
  exceptObservers = false,
): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await sql`
    SELECT user_id FROM channel_members
     WHERE channel_id = ${channelId} AND user_id = ANY(${userIds}::text[])
       ${exceptObservers ? sql`AND role <> 'observer'` : sql``}`;
  const members = new Set(rows.map((r) => r.user_id as string));
  return userIds.filter((u) => !members.has(u));
}

/** How many of `ids` are uploads of `userId` not yet attached to a message. */
export async function countFreeUploads(sql: Sql, ids: string[], userId: string): Promise<number> {
  const [row] = await sql`
    SELECT count(*)::int AS n FROM attachments
     WHERE id = ANY(${ids}::uuid[]) AND uploader_id = ${userId} AND message_id IS NULL AND attached_at IS NULL`;
  return row!.n as number;
}

/**
 * Inserts a message and links its attachments in one statement, so the message's statement
 * trigger (which builds new_message at the end of the statement) sees them: the event carries
 * the attachments. An upload links only if it is the sender's and was never attached; if any named
 * one did not link (another send took it meanwhile), nothing is written. With a client_id already
 * used by this user in this channel, returns the earlier message instead: retries are idempotent.
 */
export async function insertMessage(sql: Sql, m: NewMessage): Promise<{ id: string; created: boolean }> {
  return sql.begin(async (tx) => {
    const [row] = await tx`
      WITH ins AS (
        INSERT INTO channel_messages (channel_id, user_id, content, parent_message_id, mentions, client_id)
        VALUES (${m.channelId}, ${m.userId}, ${m.content}, ${m.parentMessageId}, ${m.mentions}::text[], ${m.clientId})
        ON CONFLICT (channel_id, user_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
        RETURNING id
      ), linked AS (
        UPDATE attachments a SET message_id = ins.id, attached_at = now()
          FROM ins
         WHERE a.id = ANY(${m.attachmentIds}::uuid[]) AND a.uploader_id = ${m.userId}
           AND a.message_id IS NULL AND a.attached_at IS NULL
        RETURNING a.id
      )
      SELECT ins.id, (SELECT count(*)::int FROM linked) AS linked FROM ins`;
    if (!row) {
      const [existing] = await tx`
        SELECT id FROM channel_messages
         WHERE channel_id = ${m.channelId} AND user_id = ${m.userId} AND client_id = ${m.clientId}`;
      if (!existing) throw new ApiError('conflict', 'A message with this client_id is being written; retry.');
      return { id: existing.id as string, created: false };
    }
    // Thrown inside the transaction: the message is rolled back with it.
    if (row.linked !== m.attachmentIds.length) {
      throw invalid('attachment_ids', 'attachment_ids must name your own uploads not yet attached.');
    }
    return { id: row.id as string, created: true };
  });
}

/**
 * A message from the host application (no author), idempotent on client_id like a user's.
 * Returns the id, and whether it was created (false: an earlier one with this client_id).
 */
export async function insertSystemMessage(
  sql: Sql,
  m: {
    channelId: string;
    content: string;
    parentMessageId: string | null;
    mentions: string[];
    clientId: string | null;
  },
): Promise<{ id: string; created: boolean }> {
  const [row] = await sql`
    INSERT INTO channel_messages (channel_id, user_id, content, parent_message_id, mentions, client_id)
    VALUES (${m.channelId}, NULL, ${m.content}, ${m.parentMessageId}, ${m.mentions}::text[], ${m.clientId})
    ON CONFLICT (channel_id, client_id) WHERE user_id IS NULL AND client_id IS NOT NULL DO NOTHING
    RETURNING id`;
  if (row) return { id: row.id as string, created: true };
  const [earlier] = await sql`
    SELECT id FROM channel_messages WHERE channel_id = ${m.channelId} AND user_id IS NULL AND client_id = ${m.clientId}`;
  return { id: earlier!.id as string, created: false };
}
