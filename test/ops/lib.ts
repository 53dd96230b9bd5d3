/** Helpers for the operations tests: the real `parley` command as a child process, and process checks. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/db/embedded.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'parley.js');

/** The test runner's environment without any Parley setting, so each test states exactly what it sets. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PARLEY_') || k === 'DATABASE_URL' || k === 'HOST' || k === 'PORT' || k === 'LOG_LEVEL') continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/parley.js …` (the package's bin) to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`parley ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface Served {
  child: ChildProcess;
  url: string;
  port: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Signals the process alone, or its whole process group as a terminal's Ctrl-C would. */
  signal(sig: NodeJS.Signals, group?: boolean): void;
}

/**
 * Spawns `node bin/parley.js serve` in a process group of its own (so an `after` hook can kill it and
 * its embedded postgres together, and a test can send Ctrl-C to the group).
 */
export async function spawnServe(env: NodeJS.ProcessEnv, port?: number): Promise<Served> {
  const p = port ?? (await freePort());
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: { PORT: String(p), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-40_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const host = env.HOST ?? '127.0.0.1';
  return {
    child,
    port: p,
    url: `http://${host}:${p}`,
    output: () => out,
    exited,
    signal: (sig, group = false) => {
      try {
        process.kill(group ? -child.pid! : child.pid!, sig);
      } catch {
        // already gone
      }
    },
  };
}

/** Polls GET /readyz until 200; fails with the server's output if it exits or the deadline passes. */
export async function waitReady(s: Served, deadlineMs = 90_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (s.child.exitCode !== null || s.child.signalCode !== null) {
      throw new Error(`parley serve exited (${s.child.exitCode ?? s.child.signalCode}) before ready:\n${s.output()}`);
    }
    try {
      const r = await fetch(`${s.url}/readyz`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`parley serve not ready in ${deadlineMs} ms:\n${s.output()}`);
    await sleep(50);
  }
}

/** Waits for a process to exit, up to a deadline; returns its exit or undefined. */
export async function exitWithin(
  s: Served,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    s.exited,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]);
  clearTimeout(timer);
  return r;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function ppid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((f) => /^\d+$/.test(f))
    .map(Number);
}

/**
 * Every live process that belongs to the embedded PostgreSQL of `dataDir`: a postmaster whose command
 * line names the directory, and the children of any such process (checkpointer, backends …), whose
 * titles do not name it.
 */
export function postgresOf(dataDir: string): number[] {
  const all = pids();
  const masters = all.filter((p) => cmdline(p).includes(` -D ${join(dataDir, 'pg')} `));
  const kids = all.filter((p) => masters.includes(ppid(p) ?? -1));
  return [...masters, ...kids];
}

/** The postmaster pid the data directory's lock file names, if the file exists. */
export function postmasterPid(dataDir: string): number | undefined {
  const f = join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(f)) return undefined;
  return Number(readFileSync(f, 'utf8').split('\n')[0]);
}

/** Waits until no process of the data directory's PostgreSQL is left (a shutdown takes a moment). */
export async function noPostgresLeft(dataDir: string, ms = 15_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = postgresOf(dataDir);
  while (left.length && Date.now() < deadline) {
    await sleep(100);
    left = postgresOf(dataDir);
  }
  return left;
}

/** For `after` hooks: kills a serve process group and any PostgreSQL left on its data directory. */
export function killAll(served: Served[], dataDirs: string[]): void {
  for (const s of served) if (s.child.exitCode === null && s.child.signalCode === null) s.signal('SIGKILL', true);
  for (const dir of dataDirs) {
    for (const pid of postgresOf(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

/** Live (non-zombie) processes of a process group. */
export function groupMembers(pgid: number): number[] {
  return pids().filter((p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[2]) === pgid && fields[0] !== 'Z';
    } catch {
      return false;
    }
  });
}
