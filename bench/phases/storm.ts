import { join } from 'node:path';
import { sleep } from '../lib/clock.ts';
import type { Ctx } from '../lib/context.ts';
import { cpuMs, cpuWindow, treeCpuMs } from '../lib/cpu.ts';
import { createGroup } from '../lib/fixtures.ts';
import { loopbackSources } from '../lib/http.ts';
import { tcpCounters, tcpDelta } from '../lib/net.ts';
import { resetStatements, topStatements } from '../lib/pg.ts';
import { CLIENT_NOFILE } from '../lib/servers.ts';
import type { Summary } from '../lib/stats.ts';

/**
 * reconnect_storm: 10,000 SSE clients (100 channels × 100 members) on one node; a separate process
 * posts `rate` messages/s round-robin over the channels throughout. After beforeDropMs every client's
 * socket is destroyed at the same instant and every client reconnects at once with Last-Event-ID.
 * Clock: starts at the drop. A client has caught up when (a) its new stream is live (Parley's resume
 * point, the `id:` block it sends after the replay, has arrived) and (b) it holds every message of
 * its channel up to the log head read right after the drop. catch_up_ms is the slowest client.
 * lost is counted from the log afterwards: every new_message of a client's channel after its first
 * resume point is due to it; each one missing at a client that has its stream back counts
 * (duplicates, out-of-order and foreign events are reported too). A client still without a stream
 * when the window closes is reported as not resumed (and not caught up), not as a loss.
 */
export async function reconnectStorm(ctx: Ctx) {
  const { P, db, sql } = ctx;
  const s = P.storm;
  const g = await createGroup(sql, 'storm', s.channels, s.perChannel);
  const server = await ctx.parley('parley-storm');
  const users = g.members.flat();
  const groups = g.members.flatMap((ms, c) => ms.map(() => c));
  const sse = ctx.node({ name: 'sse-storm', script: 'bench/load/sse-clients.ts', nofile: CLIENT_NOFILE });
  await sse.call('init', { base: server.url, secret: ctx.secret, users, groups, sources: loopbackSources(P.sources) });
  const conn = await sse.call<{ ms: number; attached: number; lastError: string }>(
    'connect',
    { concurrency: P.connectConcurrency, timeoutMs: 240_000 },
    250_000,
  );
  if (conn.attached < users.length)
    throw new Error(`only ${conn.attached}/${users.length} streams opened: ${conn.lastError}`);
  const settle = await sse.call<{ ms: number; frames: number }>(
    'quiesce',
    { quietMs: 1_500, timeoutMs: 240_000 },
    250_000,
  );
  ctx.log(`  ${users.length} streams open in ${Math.round(conn.ms)} ms, quiet ${Math.round(settle.ms)} ms later`);
  const [h0] = await sql`SELECT coalesce(max(pos), 0)::float8 AS head FROM event_log`;
  const startPos = Number(h0!.head);

  const poster = ctx.node({ name: 'poster-storm', script: 'bench/load/poster.ts' });
  await poster.call('init', { base: server.url, secret: ctx.secret, users: g.posters, sockets: 128 });
  const targets = g.posters.map((user, c) => ({ user, channel: g.channels[c]! }));
  const count = Math.round((s.rate * s.flowMs) / 1000);
  const win = cpuWindow({
    server: () => cpuMs(server.proc.pid),
    postgres: () => treeCpuMs(db.pid),
    clients: () => cpuMs(sse.pid),
    poster: () => cpuMs(poster.pid),
  });
  const flow = poster.call<{ ok: number; errors: number; firstError: string; postLatency: Summary }>(
    'open',
    { targets, tag: 'st', intervalMs: 1000 / s.rate, count },
    s.flowMs + 120_000,
  );
  flow.catch(() => {}); // awaited below; a failure before then must not be an unhandled rejection
  await sleep(s.beforeDropMs);
  await resetStatements(sql);
  await server.proc.call('probe.loop');
  const [x0] = await sql`SELECT xact_commit::float8 AS c FROM pg_stat_database WHERE datname = current_database()`;
  const tcp0 = tcpCounters();
  // CPU from the drop until every stream is back, per process: who the storm's seconds went to.
  const stormWin = cpuWindow({
    server: () => cpuMs(server.proc.pid),
    postgres: () => treeCpuMs(db.pid),
    clients: () => cpuMs(sse.pid),
    poster: () => cpuMs(poster.pid),
  });
  const profileFile = ctx.profile ? join(ctx.logDir, 'storm-window.cpuprofile') : undefined;
  if (profileFile) await server.proc.call('probe.profile.start');
  const drop = await sse.call<{ tDropNs: number; headAtDrop: number }>('drop', { dbUrl: db.url });
  const resumed = await sse.call<{
    resumed: number;
    maxMs: number | null;
    resumedPerSecond: number[];
    retries: number;
    errors: number;
    non200: number;
    lastError: string;
  }>('waitResumed', { timeoutMs: s.resumeTimeoutMs }, s.resumeTimeoutMs + 10_000);
  const stormCpu = stormWin.end();
  if (profileFile) {
    await server.proc.call('probe.profile.stop', { file: profileFile }, 60_000);
    ctx.log(`  server CPU profile of the storm window: ${profileFile}`);
  }
  const tcp = tcpDelta(tcp0);
  const [x1] = await sql`SELECT xact_commit::float8 AS c FROM pg_stat_database WHERE datname = current_database()`;
  const statements = await topStatements(sql);
  const loop = await server.proc.call('probe.loop');
  ctx.log(`  ${resumed.resumed}/${users.length} streams resumed; the last after ${resumed.maxMs?.toFixed(0)} ms`);
  ctx.log(`  live again per second after the drop: ${resumed.resumedPerSecond.join(' ')}`);
  ctx.log(
    `  TCP: ${Object.entries(tcp)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  const posted = await flow;
  if (posted.errors) ctx.warn(`storm: ${posted.errors} of ${count} posts failed: ${posted.firstError}`);
  const cpu = win.end();
  // Let the last messages arrive, then compare with the log.
  await sse.call('quiesce', { quietMs: 1_500, timeoutMs: 60_000 }, 70_000);
  const rows = await sql`
    SELECT pos::float8 AS pos, channel_id::text AS channel_id FROM event_log
     WHERE type = 'new_message' AND pos > ${startPos} AND channel_id = ANY(${g.channels}::uuid[])
     ORDER BY pos`;
  const index = new Map(g.channels.map((c, i) => [c, i]));
  const expected: Record<string, number[]> = {};
  for (const r of rows) {
    const key = String(index.get(r.channel_id as string));
    expected[key] ??= [];
    expected[key].push(Number(r.pos));
  }
  const v = await sse.call<{
    due: number;
    missing: number;
    duplicates: number;
    outOfOrder: number;
    foreign: number;
    clientsWithLoss: number;
    notCaughtUp: number;
    notResumed: number;
    dueNotResumed: number;
    catchUp: Summary | null;
  }>('verify', { expected, headAtDrop: drop.headAtDrop }, 120_000);
  await sse.call('close');
  const catchUp = v.notCaughtUp > 0 || !v.catchUp ? null : v.catchUp.max;
  ctx.log(
    `  caught up: ${catchUp === null ? `no (${v.notCaughtUp} clients not)` : `${Math.round(catchUp)} ms`}; ` +
      `lost ${v.missing} of ${v.due} due, duplicates ${v.duplicates}, out of order ${v.outOfOrder}; ` +
      `${v.notResumed} clients without a stream yet (${v.dueNotResumed} events waiting for them)`,
  );
  return {
    clients: users.length,
    catch_up_ms: catchUp,
    lost: v.missing,
    channels: s.channels,
    rate_per_s: s.rate,
    messages_posted: posted.ok,
    post_errors: posted.errors,
    first_error: posted.firstError || undefined,
    deliveries_due: v.due,
    duplicates: v.duplicates,
    out_of_order: v.outOfOrder,
    foreign: v.foreign,
    clients_with_loss: v.clientsWithLoss,
    clients_not_caught_up: v.notCaughtUp,
    clients_not_resumed: v.notResumed,
    events_waiting_for_unresumed: v.dueNotResumed,
    resumed_per_second: resumed.resumedPerSecond,
    tcp,
    // From the drop until every stream was back (or the wait ended): what the database did meanwhile.
    xacts_until_resumed: Number(x1!.c) - Number(x0!.c),
    top_statements_until_resumed: statements,
    server_event_loop_delay_until_resumed: loop,
    catch_up_ms_distribution: v.catchUp,
    all_streams_live_ms: resumed.maxMs,
    reconnect_retries: resumed.retries,
    reconnect_errors: resumed.errors,
    reconnect_non_200: resumed.non200,
    last_error: resumed.lastError || undefined,
    head_at_drop: drop.headAtDrop,
    cpu,
    cpu_drop_to_resumed: stormCpu,
  };
}
