import { MessageRetention } from '../../src/chat/retention.ts';
import { connect } from '../../src/db/client.ts';
import { createLogger } from '../../src/log.ts';
import type { Ctx } from '../lib/context.ts';
import { createGroup } from '../lib/fixtures.ts';
import { connectDb, type Sql } from '../lib/pg.ts';
import { summarize } from '../lib/stats.ts';

const DAY = 86_400_000;
const WRITER_APP = 'bench-retention-writer';

/**
 * retention: PARLEY_MESSAGE_RETENTION deleting `rows` old messages (400 days old, in 20 channels)
 * while 8 writers each insert one message at a time into the same channels (each insert its own
 * transaction, through the triggers and the event log, as any SQL writer's). Reported per batch
 * size: each batch's duration (p50/p99/max: the longest a lock is held), the whole run's rate, the
 * writers' insert latency during the run side by side with the same writers without retention, and
 * the longest a writer was seen waiting on a row or table lock, apart from the event log's
 * commit-order lock the writers take among themselves (pg_stat_activity sampled every 5 ms).
 */
export async function retentionPhase(ctx: Ctx) {
  const rows = ctx.quick ? 50_000 : 200_000;
  const g = await createGroup(ctx.sql, 'ret', 20, 2);
  // The src/ client, to name the writers' connections (the sampler looks for them by name).
  const writers = connect(ctx.db.url, { max: 8, applicationName: WRITER_APP });
  const sampler = connectDb(ctx.db.url, 1);
  const out: Record<string, unknown> = { rows, channels: g.channels.length, writers: 8 };
  try {
    out.edit_ms = await editCost(ctx, ctx.quick ? 20_000 : 100_000);
    const baseline = await writeFor(writers, sampler, g.channels, g.posters, 5_000);
    ctx.log(
      `  writers alone: p50 ${baseline.latency.p50.toFixed(2)} ms, p99 ${baseline.latency.p99.toFixed(2)} ms, ` +
        `longest row/table lock wait ${baseline.longest_lock_wait_ms.toFixed(1)} ms ` +
        `(commit-order lock ${baseline.longest_commit_order_wait_ms.toFixed(1)} ms)`,
    );
    out.writers_alone = baseline;
    for (const batch of [500, 5000]) {
      await loadOld(ctx.sql, g.channels, g.posters, rows);
      const job = new MessageRetention(ctx.sql, createLogger('silent'), {
        messageMs: 365 * DAY,
        auditMs: undefined,
        batch,
        intervalMs: 60_000,
      });
      let done = false;
      const t0 = performance.now();
      const running = job.runOnce().finally(() => {
        done = true;
      });
      const during = await writeFor(writers, sampler, g.channels, g.posters, () => done);
      const run = (await running)!;
      const seconds = (performance.now() - t0) / 1000;
      if (run.messages !== rows) ctx.warn(`retention batch ${batch}: deleted ${run.messages} of ${rows}`);
      const batches = summarize(run.batchMs);
      ctx.log(
        `  batch ${batch}: ${run.messages} in ${seconds.toFixed(1)} s (${Math.round(run.messages / seconds)}/s), ` +
          `${batches.count} batches p50 ${batches.p50.toFixed(1)} ms p99 ${batches.p99.toFixed(1)} ms max ` +
          `${batches.max.toFixed(1)} ms; writers p50 ${during.latency.p50.toFixed(2)} ms p99 ` +
          `${during.latency.p99.toFixed(2)} ms max ${during.latency.max.toFixed(1)} ms, longest row/table lock wait ` +
          `${during.longest_lock_wait_ms.toFixed(1)} ms (commit-order lock ${during.longest_commit_order_wait_ms.toFixed(1)} ms)`,
      );
      out[`batch_${batch}`] = {
        deleted: run.messages,
        seconds,
        rows_per_s: run.messages / seconds,
        batch_ms: batches,
        writers_during: during,
      };
    }
  } finally {
    await writers.end({ timeout: 1 });
    await sampler.end({ timeout: 1 });
  }
  return out;
}

/** `rows` messages 400 days old, spread over the channels, in statements of 20,000. */
async function loadOld(sql: Sql, channels: string[], posters: string[], rows: number): Promise<void> {
  for (let done = 0; done < rows; done += 20_000) {
    const n = Math.min(20_000, rows - done);
    await sql`
      INSERT INTO channel_messages (channel_id, user_id, content, created_at)
      SELECT (${channels}::uuid[])[1 + i % ${channels.length}], (${posters}::text[])[1 + i % ${posters.length}],
             'old message ' || i, now() - interval '400 days'
        FROM generate_series(1, ${n}) i`;
  }
  await sql`VACUUM ANALYZE channel_messages`;
}

/**
 * Eight closed-loop writers until `until` (ms, or a predicate checked after each insert); the
 * latency of every insert, and the longest a writer's statement was seen waiting on a lock.
 */
async function writeFor(
  writers: Sql,
  sampler: Sql,
  channels: string[],
  posters: string[],
  until: number | (() => boolean),
) {
  const end = typeof until === 'number' ? performance.now() + until : Number.POSITIVE_INFINITY;
  const stop = () => (typeof until === 'number' ? performance.now() >= end : until());
  const latencies: number[] = [];
  let longestWait = 0;
  let longestAdvisory = 0;
  const byEvent: Record<string, number> = {};
  let sampling = true;
  const sample = (async () => {
    while (sampling) {
      // The writers' own commit-order lock (advisory) apart from row and table locks, the only
      // ones retention could make them wait on.
      const waits = await sampler`
        SELECT wait_event AS event, max(extract(epoch FROM clock_timestamp() - query_start)) * 1000 AS ms
          FROM pg_stat_activity WHERE application_name = ${WRITER_APP} AND wait_event_type = 'Lock'
         GROUP BY 1`;
      for (const w of waits) {
        const ms = Number(w.ms);
        const event = String(w.event);
        byEvent[event] = Math.max(byEvent[event] ?? 0, ms);
        if (event === 'advisory') longestAdvisory = Math.max(longestAdvisory, ms);
        else longestWait = Math.max(longestWait, ms);
      }
      await new Promise((res) => setTimeout(res, 5));
    }
  })();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop(); i++) {
        const c = (w + i) % channels.length;
        const s = performance.now();
        await writers`
          INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channels[c]!}, ${posters[c]!}, 'now')`;
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  sampling = false;
  await sample;
  return {
    inserts: latencies.length,
    inserts_per_s: latencies.length / seconds,
    latency: summarize(latencies),
    /** Longest wait seen on a row or table lock (what retention could cause). */
    longest_lock_wait_ms: longestWait,
    /** Longest wait seen on the event log's commit-order lock (writers among themselves). */
    longest_commit_order_wait_ms: longestAdvisory,
    /** The longest wait seen per lock kind (pg_stat_activity.wait_event: tuple, transactionid, extend, …). */
    longest_wait_by_lock_ms: byEvent,
  };
}

/**
 * What an edit costs with revisions: the trigger records the old text and rewrites the message's
 * earlier events in the event log (a scan of the channel's logged events since the message was
 * sent). 100 edits of a fresh message in a channel with no other events, and in one with `events`.
 */
async function editCost(ctx: Ctx, events: number) {
  const g = await createGroup(ctx.sql, 'edit', 2, 1);
  await ctx.sql`
    INSERT INTO channel_messages (channel_id, user_id, content)
    SELECT ${g.channels[1]!}, ${g.posters[1]!}, 'filler ' || i FROM generate_series(1, ${events}) i`;
  await ctx.sql`VACUUM ANALYZE event_log`;
  const out: Record<string, unknown> = {};
  for (const [name, c] of [
    ['quiet_channel', 0],
    [`channel_with_${events}_events`, 1],
  ] as const) {
    const [m] = await ctx.sql`
      INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${g.channels[c]!}, ${g.posters[c]!}, 'v0')
      RETURNING id`;
    const ms: number[] = [];
    for (let i = 1; i <= 100; i++) {
      const t = performance.now();
      await ctx.sql`UPDATE channel_messages SET content = ${`v${i}`}, edited_at = now() WHERE id = ${m!.id as string}`;
      ms.push(performance.now() - t);
    }
    out[name] = summarize(ms);
    const x = out[name] as { p50: number; p99: number };
    ctx.log(`  edit in ${name}: p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)} ms`);
  }
  return out;
}
