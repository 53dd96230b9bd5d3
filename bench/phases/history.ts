import type { Sql as AppSql } from '../../src/db/client.ts';
import { history } from '../../src/db/messages.ts';
import type { Ctx } from '../lib/context.ts';
import { createGroup, fillHistory } from '../lib/fixtures.ts';
import { type Summary, summarize } from '../lib/stats.ts';

/**
 * history_page: GET /channels/{id}/messages?before=<random message>&limit=50 in a channel of
 * `rows` messages, one request at a time over keep-alive from a separate process. Clock: request
 * written → response body read, per request; warm-up requests are not measured. The same page query
 * is also run straight against PostgreSQL, to split database time from HTTP/JSON time.
 */
export async function historyPage(ctx: Ctx) {
  const { P, sql } = ctx;
  const h = P.history;
  const g = await createGroup(sql, 'hist', 1, 1);
  const channel = g.channels[0]!;
  const reader = g.members[0]![0]!;
  const fillMs = await fillHistory(sql, channel, g.posters[0]!, h.rows);
  ctx.log(`  ${h.rows} messages written in ${Math.round(fillMs)} ms`);
  // The fill leaves ~1 GB of WAL and most of shared_buffers dirty: without a checkpoint here, the
  // checkpoints it triggers run during the measurement (seen in postgres.log: two, writing 6,443 and
  // 14,943 buffers, inside the history window of a full run). pgbench checkpoints before a run too.
  await sql`CHECKPOINT`;
  const picks = await sql`
    SELECT id::text AS id FROM channel_messages WHERE channel_id = ${channel}
     ORDER BY random() LIMIT ${h.requests + h.warmup}`;
  const cursors = picks.map((r) => r.id as string);

  const server = await ctx.parley('parley-history');
  const poster = ctx.node({ name: 'history-client', script: 'bench/load/poster.ts' });
  await poster.call('init', { base: server.url, secret: ctx.secret, users: [reader], sockets: 1 });
  const r = await poster.call<{ latency: Summary; errors: number; firstError: string; meanRows: number }>(
    'history',
    { channel, user: reader, cursors, warmup: h.warmup, limit: 50 },
    300_000,
  );
  ctx.log(`  p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms (${r.errors} errors)`);

  // The endpoint's own statement (src/db/messages.ts history()), straight on the database.
  const dbLat: number[] = [];
  for (const id of cursors.slice(0, 200)) {
    const t0 = performance.now();
    await history(sql as unknown as AppSql, channel, reader, { before: id, limit: 50, includeReplies: false });
    dbLat.push(performance.now() - t0);
  }
  const db = summarize(dbLat.slice(20));
  // Where a page's database time goes (one cursor from the middle of the channel).
  const mid = cursors[Math.floor(cursors.length / 2)]!;
  const [mc] = await sql`SELECT seq FROM channel_messages WHERE id = ${mid}`;
  const plan = await sql.unsafe(
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
     SELECT parley_message_json_with(m, x.attachments, x.reactions) AS m
       FROM channel_messages m CROSS JOIN LATERAL parley_message_extras(m.id) x
      WHERE m.channel_id = $1 AND m.parent_message_id IS NULL AND m.seq < $2
      ORDER BY m.seq DESC LIMIT 51`,
    [channel, mc!.seq as number],
  );
  const explain = plan.map((r) => String(r['QUERY PLAN']));
  return {
    p99_ms: r.latency.p99,
    rows: h.rows,
    p50_ms: r.latency.p50,
    requests: r.latency.count,
    page_size: 50,
    mean_rows_returned: r.meanRows,
    latency_ms: r.latency,
    errors: r.errors,
    first_error: r.firstError || undefined,
    db_only_latency_ms: db,
    db_page_plan: explain,
    fill_ms: fillMs,
    fill_note:
      'INSERT … SELECT generate_series in batches of 100,000 with session_replication_role = replica (no triggers)',
  };
}
