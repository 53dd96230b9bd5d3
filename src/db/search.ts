import type { PendingQuery, Row } from 'postgres';
import type { Message } from '../contract/resources.ts';
import { limit, type Sql } from './client.ts';

type Fragment = PendingQuery<Row[]>;

/** One side of an `or` of the search syntax: each `must` term occurs, no `not` term does. */
export interface TermGroup {
  must: readonly { text: string }[];
  not: readonly { text: string }[];
}

/** Where a page of ranked results starts after: the last result's score and seq. */
export interface RankCursor {
  score: number;
  seq: number;
}

export interface SearchHit extends RankCursor {
  message: Message;
}

/**
 * The messages matching `groups` in the channels `userId` is a member of now (or in `channelId`
 * only), deleted ones never, best first: score descending, then newest (seq) first. The score is
 * ts_rank_cd (cover density: how many of the terms occur, and how close together), normalised by
 * the text's length (flag 1: a short message that is about the term ranks above a long one that
 * mentions it) and into [0, 1) (flag 32), as an integer of millionths, so that a cursor can carry
 * it exactly. It depends only on the message and the query, so it is the same on every page.
 *
 * The tsqueries are built once (q, an InitPlan) from the terms, each by parley_search_term: the
 * index scan gets them as values, and no row pays for building them.
 */
export async function searchMessages(
  sql: Sql,
  opts: { userId: string; channelId?: string; groups: readonly TermGroup[]; after?: RankCursor; limit: number },
): Promise<SearchHit[]> {
  const term = (text: string): Fragment => sql`parley_search_term(${text})`;
  const join = (parts: Fragment[], op: string): Fragment =>
    parts.reduce((acc, p) => sql`${acc} ${sql.unsafe(op)} ${p}`);
  const match = join(
    opts.groups.map(
      (g) => sql`(${join([...g.must.map((t) => term(t.text)), ...g.not.map((t) => sql`!!${term(t.text)}`)], '&&')})`,
    ),
    '||',
  );
  const rank = join(
    opts.groups.flatMap((g) => g.must.map((t) => term(t.text))),
    '||',
  );
  const channel = opts.channelId ? sql`AND cm.channel_id = ${opts.channelId}` : sql``;
  const after = opts.after ? sql`WHERE (h.score, h.seq) < (${opts.after.score}, ${opts.after.seq})` : sql``;
  const rows = await sql`
    WITH q AS MATERIALIZED (SELECT ${match} AS match, ${rank} AS rank),
    hits AS MATERIALIZED (
      SELECT h.id, h.seq, h.score FROM (
        SELECT m.id, m.seq, (ts_rank_cd(m.search_tsv, (SELECT rank FROM q), 1 | 32) * 1000000)::bigint AS score
          FROM channel_messages m
         WHERE m.search_tsv @@ (SELECT match FROM q)
           AND m.deleted_at IS NULL
           AND m.channel_id IN (SELECT cm.channel_id FROM channel_members cm WHERE cm.user_id = ${opts.userId} ${channel})
      ) h ${after}
      ORDER BY h.score DESC, h.seq DESC ${limit(sql, opts.limit)}
    ), page AS MATERIALIZED (
      SELECT m, h.score FROM hits h JOIN channel_messages m ON m.id = h.id
    )
    SELECT p.score, (p.m).seq AS seq, parley_message_json_with(p.m, x.attachments, x.reactions) AS m
      FROM page p LEFT JOIN (
        SELECT e.* FROM (SELECT array_agg((m).id) AS ids FROM page) i CROSS JOIN LATERAL parley_page_extras(i.ids) e
      ) x ON x.message_id = (p.m).id
     ORDER BY p.score DESC, seq DESC`;
  return rows.map((r) => ({ score: r.score as number, seq: r.seq as number, message: r.m as Message }));
}
