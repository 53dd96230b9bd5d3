import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ctx } from '../lib/context.ts';
import { startParley } from '../lib/servers.ts';
import { median } from '../lib/stats.ts';

/**
 * startup: `node --import tsx src/cli.ts serve` with no DATABASE_URL, so it runs its embedded
 * PostgreSQL on a data directory of its own. Clock: spawn → first 200 from /readyz (polled every
 * 20 ms). cold = empty data directory (initdb, first start, migrations); warm = the same directory
 * again after a clean SIGTERM shutdown. Node's module loading (tsx transpiles from its cache) is
 * part of both.
 */
export async function startup(ctx: Ctx) {
  const dataDir = join(ctx.work, 'startup-data');
  const once = async (label: string) => {
    const s = await startParley({ name: `parley-startup-${label}`, logDir: ctx.logDir, secret: ctx.secret, dataDir });
    try {
      return s.readyMs;
    } finally {
      await s.proc.stop(15_000);
      stopOrphan(dataDir);
    }
  };
  const cold = await once('cold');
  ctx.log(`  cold: ${Math.round(cold)} ms`);
  const warm: number[] = [];
  for (let i = 0; i < ctx.P.startup.warm; i++) {
    warm.push(await once(`warm${i + 1}`));
    ctx.log(`  warm: ${Math.round(warm[i]!)} ms`);
  }
  return { cold_ms: cold, warm_ms: median(warm), warm_runs_ms: warm };
}

/** If the server was killed before it could stop its embedded PostgreSQL, stop that one too. */
export function stopOrphan(dataDir: string): void {
  const pidFile = join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // not running
    }
  }
}
