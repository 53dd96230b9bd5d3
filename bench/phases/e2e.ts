import type { Ctx } from '../lib/context.ts';
import { cpuMs, cpuWindow, treeCpuMs } from '../lib/cpu.ts';
import { createGroup } from '../lib/fixtures.ts';
import { loopbackSources } from '../lib/http.ts';
import { resetStatements, topStatements } from '../lib/pg.ts';
import { CLIENT_NOFILE } from '../lib/servers.ts';
import type { Summary } from '../lib/stats.ts';

/**
 * e2e_latency: 1,000 SSE clients (100 channels × 10 members) on one Parley node; a separate process
 * POSTs 500 messages/s on a fixed schedule, round-robin over the channels, each as the channel's
 * poster (a member with no stream). Clock: starts at the message's *scheduled* send time (stamped
 * into its content), stops when the SSE client process has parsed the event; every receipt by each
 * of the 10 listeners is a sample. The first warmupSeconds of messages are not measured.
 * Baseline: pg_notify → LISTEN through postgres.js at the same rate, same database, same run.
 */
export async function e2eLatency(ctx: Ctx) {
  const { P, db } = ctx;
  const e = P.e2e;
  const count = e.rate * e.seconds;
  const warmupCount = e.rate * e.warmupSeconds;
  const g = await createGroup(ctx.sql, 'e2e', e.channels, e.perChannel);
  const server = await ctx.parley('parley-e2e');

  const rtt = ctx.node({ name: 'notify-rtt', script: 'bench/load/notify-rtt.ts' });
  const base = await rtt.call<{ sent: number; received: number; errors: number; latency: Summary }>(
    'run',
    { url: db.url, rate: e.rate, count: count, warmupCount, senders: 8 },
    e.seconds * 1000 + 60_000,
  );
  await rtt.stop();
  ctx.log(`  notify rtt: p50 ${base.latency.p50.toFixed(2)} ms, p99 ${base.latency.p99.toFixed(2)} ms`);

  const users = g.members.flat();
  const groups = g.members.flatMap((ms, c) => ms.map(() => c));
  const sse = ctx.node({ name: 'sse-e2e', script: 'bench/load/sse-clients.ts', nofile: CLIENT_NOFILE });
  await sse.call('init', { base: server.url, secret: ctx.secret, users, groups, sources: loopbackSources(P.sources) });
  const conn = await sse.call<{ ms: number; attached: number; lastError: string }>(
    'connect',
    { concurrency: P.connectConcurrency, timeoutMs: 120_000 },
    130_000,
  );
  if (conn.attached < users.length)
    throw new Error(`only ${conn.attached}/${users.length} streams opened: ${conn.lastError}`);
  await sse.call('quiesce', { quietMs: 1_000, timeoutMs: 60_000 }, 70_000);
  ctx.log(`  ${users.length} streams open in ${Math.round(conn.ms)} ms`);

  const poster = ctx.node({ name: 'poster-e2e', script: 'bench/load/poster.ts' });
  await poster.call('init', { base: server.url, secret: ctx.secret, users: g.posters, sockets: 256 });
  const targets = g.posters.map((user, c) => ({ user, channel: g.channels[c]! }));
  await resetStatements(ctx.sql);
  await server.proc.call('probe.loop');
  const win = cpuWindow({
    server: () => cpuMs(server.proc.pid),
    postgres: () => treeCpuMs(db.pid),
    clients: () => cpuMs(sse.pid),
    poster: () => cpuMs(poster.pid),
  });
  const sent = await poster.call<{
    ok: number;
    errors: number;
    firstError: string;
    maxLateMs: number;
    postLatency: Summary;
  }>('open', { targets, tag: 'e2e', intervalMs: 1000 / e.rate, count, warmupCount }, e.seconds * 1000 + 120_000);
  const cpu = win.end();
  const statements = await topStatements(ctx.sql);
  const loop = await server.proc.call('probe.loop');
  if (sent.errors) ctx.warn(`e2e: ${sent.errors} of ${count} posts failed: ${sent.firstError}`);
  // Every measured message that was accepted is due at each of its channel's listeners.
  const measuredOk = Math.max(0, sent.ok - warmupCount);
  const expected = measuredOk * e.perChannel;
  const got = await sse.call<{ received: number }>(
    'waitTag',
    { tag: 'e2e', total: expected, timeoutMs: 15_000 },
    20_000,
  );
  const st = await sse.call<{ latency: Summary }>('stats', { tag: 'e2e' });
  await sse.call('close');
  ctx.log(
    `  parley: p50 ${st.latency.p50.toFixed(2)} ms, p99 ${st.latency.p99.toFixed(2)} ms (${got.received}/${expected} receipts)`,
  );
  return {
    p50_ms: st.latency.p50,
    p99_ms: st.latency.p99,
    baselines: { notify_rtt_p50_ms: base.latency.p50, notify_rtt_p99_ms: base.latency.p99 },
    clients: users.length,
    channels: e.channels,
    rate_per_s: e.rate,
    seconds_measured: e.seconds - e.warmupSeconds,
    latency_ms: st.latency,
    receipts: got.received,
    receipts_expected: expected,
    post_errors: sent.errors,
    first_error: sent.firstError || undefined,
    post_latency_ms: sent.postLatency,
    sender_max_late_ms: sent.maxLateMs,
    cpu,
    top_statements: statements,
    server_event_loop_delay: loop,
    baseline_detail: { notify_rtt_ms: base.latency, sent: base.sent, received: base.received },
  };
}
