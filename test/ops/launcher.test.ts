/**
 * `npx parley serve` and `npm start` put npm and a shell between the caller and the server. A signal
 * sent to npm alone (what a process manager or `timeout` does) must stop the server too: it exits,
 * its embedded PostgreSQL stops and its port is free again.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../../src/db/embedded.ts';
import {
  cleanEnv,
  exitWithin,
  groupMembers,
  killAll,
  noPostgresLeft,
  postgresOf,
  ROOT,
  type Served,
  sleep,
  waitReady,
} from './lib.ts';

const served: Served[] = [];
const dirs: string[] = [];
after(() => {
  killAll(served, dirs);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Spawns npm (`npx …` or `npm start`) in a process group of its own, so `after` can clean it all up. */
function launch(cmd: string, args: string[], dir: string, port: number): Served {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: cleanEnv({ PARLEY_DATA_DIR: dir, PORT: String(port), PARLEY_DEV_AUTH: '1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-40_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const s: Served = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    exited: new Promise((r) => child.once('exit', (code, signal) => r({ code, signal }))),
    signal: (sig, group) => {
      try {
        process.kill(group ? -child.pid! : child.pid!, sig);
      } catch {
        // gone
      }
    },
  };
  served.push(s);
  return s;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function until(what: string, ms: number, fn: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function signalLauncherOnly(cmd: string, args: string[], sig: NodeJS.Signals): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-launcher-'));
  dirs.push(dir);
  const port = await freePort();
  const s = launch(cmd, args, dir, port);
  await waitReady(s);
  assert.ok(postgresOf(dir).length > 0, 'the embedded postgres runs while serving');
  const pgid = s.child.pid!;
  const others = groupMembers(pgid).filter((p) => p !== s.child.pid);
  assert.ok(others.length >= 2, `npm runs the server in child processes (${others.join(', ')})`);

  s.signal(sig); // npm alone, not its group
  assert.ok(await exitWithin(s, 15_000), `npm did not exit on ${sig}:\n${s.output()}`);
  await until('the port to be free', 20_000, () => portFree(port));
  assert.deepEqual(await noPostgresLeft(dir, 20_000), [], 'the embedded postgres stopped');
  await until('every process npm started to be gone', 20_000, () => groupMembers(pgid).length === 0);
  assert.match(s.output(), /shutting down/, 'the server shut down gracefully, not killed');
}

describe('a signal to npm alone stops the server it launched', () => {
  test('npx parley serve: SIGTERM to npx', () =>
    signalLauncherOnly('npx', ['--no-install', 'parley', 'serve'], 'SIGTERM'));

  // (SIGINT to npx alone is not covered: npm passes it to its `sh -c`, and dash holds a SIGINT until
  // its child exits, passing it on to nobody. Ctrl-C in a terminal reaches the whole process group.)

  test('npm start: SIGTERM to npm', () => signalLauncherOnly('npm', ['start', '--silent'], 'SIGTERM'));

  test('npm start: SIGINT to npm', () => signalLauncherOnly('npm', ['start', '--silent'], 'SIGINT'));
});
