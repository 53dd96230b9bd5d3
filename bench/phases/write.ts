import type { Ctx } from '../lib/context.ts';
import { cpuMs, cpuWindow, treeCpuMs } from '../lib/cpu.ts';
import { createGroup } from '../lib/fixtures.ts';
import { resetStatements, topStatements } from '../lib/pg.ts';
import type { Summary } from '../lib/stats.ts';

interface Run {
  ok: number;
  errors: number;
  firstError: string;
  rate: number;
  latency: Summary;
}

/**
 * write_throughput: messages/s accepted by POST /channels/{id}/messages from 64 concurrent
 * closed-loop posters (64 users over 16 channels, keep-alive), against 64 direct SQL writers into
 * the origin's per-row NOTIFY design (seed) and into a table with no trigger (plain).
 * Clock: answers (201) completed within the measured window after a warm-up, divided by the window.
 */
export async function writeThroughput(ctx: Ctx) {
  const { P, db } = ctx;
  const w = P.write;
  const baseline = async (kind: 'seed' | 'plain') => {
    const proc = ctx.node({ name: `sql-writers-${kind}`, script: 'bench/load/sql-writers.ts' });
    const win = cpuWindow({ postgres: () => treeCpuMs(db.pid), loadgen: () => cpuMs(proc.pid) });
    const r = await proc.call<Run & { notificationsReceived: number }>(
      'run',
      { url: db.url, kind, writers: w.writers, channels: w.channels, warmupMs: w.warmupMs, durationMs: w.durationMs },
      w.warmupMs + w.durationMs + 60_000,
    );
    const cpu = win.end();
    await proc.stop();
    ctx.log(`  ${kind}: ${Math.round(r.rate)} msg/s (p50 ${r.latency.p50.toFixed(1)} ms, errors ${r.errors})`);
    return { ...r, cpu };
  };

  const seed = await baseline('seed');

  const g = await createGroup(ctx.sql, 'wt', w.channels, w.writers / w.channels);
  const server = await ctx.parley('parley-write');
  const poster = ctx.node({ name: 'posters-write', script: 'bench/load/poster.ts' });
  await poster.call('init', { base: server.url, secret: ctx.secret, users: g.members.flat(), sockets: w.writers });
  const targets = g.members.flatMap((ms, c) => ms.map((user) => ({ user, channel: g.channels[c]! })));
  const win = cpuWindow({
    server: () => cpuMs(server.proc.pid),
    postgres: () => treeCpuMs(db.pid),
    loadgen: () => cpuMs(poster.pid),
  });
  await resetStatements(ctx.sql);
  await server.proc.call('probe.loop');
  const [stat0] =
    await ctx.sql`SELECT xact_commit::float8 AS c FROM pg_stat_database WHERE datname = current_database()`;
  const parley = await poster.call<Run & { total: number }>(
    'closed',
    { targets, warmupMs: w.warmupMs, durationMs: w.durationMs },
    w.warmupMs + w.durationMs + 60_000,
  );
  const cpu = win.end();
  const [stat1] =
    await ctx.sql`SELECT xact_commit::float8 AS c FROM pg_stat_database WHERE datname = current_database()`;
  const statements = await topStatements(ctx.sql);
  const loop = await server.proc.call('probe.loop');
  if (parley.errors) ctx.warn(`write: ${parley.errors} posts failed: ${parley.firstError}`);
  ctx.log(
    `  parley: ${Math.round(parley.rate)} msg/s (p50 ${parley.latency.p50.toFixed(1)} ms, errors ${parley.errors})`,
  );
  await poster.stop();
  await server.proc.stop();

  const plain = await baseline('plain');

  return {
    value: parley.rate,
    unit: 'msg/s',
    baselines: { seed_notify_trigger: seed.rate, plain_insert: plain.rate },
    writers: w.writers,
    channels: w.channels,
    seconds: w.durationMs / 1000,
    post_latency_ms: parley.latency,
    errors: parley.errors,
    first_error: parley.firstError || undefined,
    // Every transaction PostgreSQL committed during the run (autocommit SELECTs count), per message.
    xacts_per_message: (Number(stat1!.c) - Number(stat0!.c)) / Math.max(1, parley.total),
    cpu,
    top_statements: statements,
    server_event_loop_delay: loop,
    baseline_detail: {
      seed: { latency_ms: seed.latency, errors: seed.errors, notifications: seed.notificationsReceived, cpu: seed.cpu },
      plain: { latency_ms: plain.latency, errors: plain.errors, cpu: plain.cpu },
    },
  };
}
