/**
 * Parley's benchmark: `npm run bench` (full, minutes) or `npm run bench -- --quick` (under 5 minutes).
 *
 * This process only orchestrates. It starts an embedded PostgreSQL of its own, Parley servers
 * (`src/cli.ts serve`, each phase a fresh one), the baseline servers (bench/baselines/*) and the load
 * generators (bench/load/*), each as a separate process driven over an IPC channel, and stops every
 * one of them and the database on exit, failure or Ctrl-C. Results go to bench/results/<date>.json
 * (or --out FILE) and a table with each target's PASS/MISS, judged only against baselines measured
 * in the same run.
 *
 * Options: --quick, --out FILE, --only write,e2e,history,fanout,storm,startup,activity,contact,search,
 * tokens,webhook,uploads, --profile (CPU
 * profiles of every server into the log directory), --keep (keep the work directory), --backlog N
 * (experiment: servers listen with an accept queue of N instead of Node's 511; see lib/probe.ts).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { type Ctx, makeCtx, params } from './lib/context.ts';
import { type BenchDb, connectDb, type Sql, startPostgres } from './lib/pg.ts';
import { killAllNow, type Proc, REPO, stopAll } from './lib/procs.ts';
import { roundDeep, type Target, table, targets } from './lib/report.ts';
import { activity } from './phases/activity.ts';
import { contactPolicyCost } from './phases/contact.ts';
import { e2eLatency } from './phases/e2e.ts';
import { fanout } from './phases/fanout.ts';
import { historyPage } from './phases/history.ts';
import { searchPhase } from './phases/search.ts';
import { startup, stopOrphan } from './phases/startup.ts';
import { reconnectStorm } from './phases/storm.ts';
import { tokens } from './phases/tokens.ts';
import { uploads } from './phases/uploads.ts';
import { webhookDelivery } from './phases/webhook.ts';
import { writeThroughput } from './phases/write.ts';

const PHASES = [
  'write',
  'e2e',
  'history',
  'fanout',
  'storm',
  'startup',
  'activity',
  'contact',
  'search',
  'tokens',
  'webhook',
  'uploads',
] as const;
type Phase = (typeof PHASES)[number];

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    backlog: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log(
    'Usage: npm run bench -- [--quick] [--out FILE] [--only write,e2e,history,fanout,storm,startup] [--profile] [--keep] [--backlog N]',
  );
  process.exit(0);
}
const only = new Set((opts.only ?? PHASES.join(',')).split(',').map((s) => s.trim()));
for (const p of only) {
  if (!PHASES.includes(p as Phase)) {
    console.error(`bench: unknown phase "${p}"; phases are ${PHASES.join(', ')}`);
    process.exit(2);
  }
}

const t0 = performance.now();
const log = (msg: string) => {
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
  console.log(`[${s}s] ${msg}`);
};

let db: BenchDb | undefined;
let sql: Sql | undefined;
let work: string | undefined;
let failed = false;
let cleaning: Promise<void> | undefined;

/** Stops every child process, then the database; removes the work directory unless asked to keep it. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll();
    await sql?.end({ timeout: 1 }).catch(() => {});
    await db?.stop().catch(() => {});
    if (work) {
      stopOrphan(join(work, 'startup-data'));
      if (opts.keep || failed) {
        // Keep the logs to read; the database files are large and of no use.
        rmSync(join(work, 'pg'), { recursive: true, force: true });
        console.log(`bench: logs kept in ${join(work, 'logs')}`);
      } else {
        rmSync(work, { recursive: true, force: true });
      }
    }
  })();
  return cleaning;
}

let interrupted = 0;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    interrupted++;
    if (interrupted > 1) {
      killAllNow();
      process.exit(130);
    }
    console.error(`\nbench: ${sig}: stopping servers, load generators and PostgreSQL…`);
    failed = true;
    cleanup().finally(() => process.exit(130));
  });
}
process.on('uncaughtException', (err) => {
  if (interrupted) return;
  console.error('bench: uncaught', err);
  failed = true;
  cleanup().finally(() => process.exit(1));
});
process.on('exit', () => killAllNow());

/** Which Parley was measured: the commit, and whether the work tree had uncommitted changes in src/ or db/. */
function gitInfo(): { commit: string; dirty_src: boolean } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'db'], {
      cwd: REPO,
      encoding: 'utf8',
    }).trim();
    return { commit, dirty_src: dirty !== '' };
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const quick = opts.quick;
  if (opts.backlog) process.env.BENCH_LISTEN_BACKLOG = opts.backlog;
  const P = params(quick);
  work = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  // PostgreSQL runs as the `postgres` user when we are root: it must pass through this directory.
  chmodSync(work, 0o711);
  const logDir = join(work, 'logs');
  mkdirSync(logDir, { recursive: true });
  log(`Parley bench (${quick ? 'quick' : 'full'}): phases ${[...only].join(', ')}; logs in ${logDir}`);

  db = await startPostgres(join(work, 'pg'), logDir);
  sql = connectDb(db.url, 4);
  log(`PostgreSQL ${db.version} on ${new URL(db.url).port}`);
  {
    const m = connect(db.url, { max: 1, applicationName: 'bench-migrate' });
    await migrate(m);
    await m.end({ timeout: 1 });
  }

  const secret = randomBytes(24).toString('base64url');
  const date = new Date();
  const results: Record<string, unknown> = {
    date: date.toISOString(),
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      memory_gb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      postgres: db.version,
      loadavg_at_start: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    quick,
    git: gitInfo(),
    ...(opts.backlog ? { experiment: { listen_backlog: Number(opts.backlog) } } : {}),
    metrics: {} as Record<string, unknown>,
  };
  const metrics = results.metrics as Record<string, unknown>;
  const errors: Record<string, string> = {};
  const timings: Record<string, number> = {};

  const tracked: Proc[] = [];
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    failed = true;
    log(`  ! ${m}`);
  };
  const ctx: Ctx = makeCtx(
    { quick, P, db, sql, work, logDir, secret, profile: opts.profile, log: (m) => log(m), warn },
    tracked,
  );
  const run = async (name: Phase, fn: () => Promise<void>) => {
    if (!only.has(name) || interrupted) return;
    const start = performance.now();
    log(`▶ ${name}`);
    try {
      await fn();
      log(`✓ ${name} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed = true;
      if (interrupted) return;
      errors[name] = (err as Error).stack ?? String(err);
      log(`✗ ${name}: ${(err as Error).message}`);
    } finally {
      const procs = tracked.splice(0);
      await Promise.all(procs.map((p) => p.stop().catch(() => {})));
      for (const p of procs) if (p.killed) warn(`${p.name} did not exit within 20 s of SIGTERM and was killed`);
      timings[name] = (performance.now() - start) / 1000;
    }
  };

  await run('write', async () => {
    metrics.write_throughput = await writeThroughput(ctx);
  });
  await run('e2e', async () => {
    metrics.e2e_latency = await e2eLatency(ctx);
  });
  await run('history', async () => {
    metrics.history_page = await historyPage(ctx);
  });
  await run('fanout', async () => {
    const r = await fanout(ctx);
    metrics.fanout_10k = r.fanout_10k;
    metrics.memory_per_connection = r.memory_per_connection;
  });
  await run('storm', async () => {
    metrics.reconnect_storm = await reconnectStorm(ctx);
  });
  await run('startup', async () => {
    metrics.startup = await startup(ctx);
  });
  await run('activity', async () => {
    metrics.activity = await activity(ctx);
  });
  await run('contact', async () => {
    metrics.contact_policy = contactPolicyCost(ctx);
  });
  await run('search', async () => {
    metrics.search = await searchPhase(ctx);
  });
  await run('tokens', async () => {
    metrics.tokens = await tokens(ctx);
  });
  await run('webhook', async () => {
    metrics.webhook = await webhookDelivery(ctx);
  });
  await run('uploads', async () => {
    metrics.uploads = await uploads(ctx);
  });

  if (interrupted) return 130;
  const judged: Target[] = targets(metrics);
  results.targets = judged;
  results.phase_seconds = timings;
  results.total_seconds = (performance.now() - t0) / 1000;
  results.loadavg_at_end = loadavg().map((x) => Math.round(x * 100) / 100);
  if (Object.keys(errors).length) results.errors = errors;
  if (warnings.length) results.warnings = warnings;

  const outFile = opts.out
    ? resolve(opts.out)
    : join(REPO, 'bench', 'results', `${date.toISOString().slice(0, 10)}${quick ? '-quick' : ''}.json`);
  const partial = only.size < PHASES.length;
  if (!partial || opts.out) {
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(roundDeep(results), null, 2)}\n`);
  }
  console.log(`\n${table(judged)}`);
  for (const [name, e] of Object.entries(errors)) console.log(`\n${name} failed:\n${e}`);
  if (!partial || opts.out) console.log(`\nresults: ${outFile}`);
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return Object.keys(errors).length ? 1 : 0;
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (err) => {
    failed = true;
    console.error('bench failed:', err);
    await cleanup();
    process.exit(1);
  });
