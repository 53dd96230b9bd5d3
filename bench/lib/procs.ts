import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './clock.ts';

/**
 * Every process the bench starts, so that one place can stop them all: on success, on failure, on
 * Ctrl-C. Node programs are started as `node --import tsx <script>` (no npx/tsx wrapper process), so
 * the pid we hold is the process that serves and whose VmRSS we read.
 */

export const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

const live = new Set<Proc>();

export interface NodeOptions {
  name: string;
  script: string;
  args?: string[];
  env?: Record<string, string | undefined>;
  logDir: string;
  /** Extra modules to --import (e.g. the write probe). */
  preload?: string[];
  /** RLIMIT_NOFILE the child needs; raised with prlimit(1) when the current hard limit is lower. */
  nofile?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(
    readonly name: string,
    child: ChildProcess,
    readonly logFile: string,
  ) {
    this.child = child;
    live.add(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        live.delete(this);
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new Error(`${name} exited (code ${code}, signal ${signal}) during a call; log:\n${this.logTail()}`));
        }
        this.pending.clear();
        resolve(code);
      });
    });
    child.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (typeof m?.id !== 'number') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${this.name}: ${m.error}`));
    });
    child.on('error', () => {});
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  call<T = unknown>(cmd: string, params?: unknown, timeoutMs = 120_000): Promise<T> {
    if (!this.alive) return Promise.reject(new Error(`${this.name} is not running; log:\n${this.logTail()}`));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: "${cmd}" did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ id, cmd, params });
    });
  }

  /** Resident set size from /proc/<pid>/status, in kB. */
  rssKb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!m) throw new Error(`no VmRSS for ${this.name}`);
    return Number(m[1]);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Set when stop() had to SIGKILL: the process did not exit within the grace period. */
  killed = false;
  stopMs: number | undefined;

  /** SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.alive) return;
    const t0 = performance.now();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.killed = true;
      this.child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
    this.stopMs = performance.now() - t0;
  }
}

export function nofileLimits(): { soft: number; hard: number } {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  const n = (s: string | undefined) => (s === undefined || s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}

let prlimitPath: string | null | undefined;
function findPrlimit(): string | null {
  if (prlimitPath !== undefined) return prlimitPath;
  prlimitPath = null;
  for (const p of ['/usr/bin/prlimit', '/bin/prlimit', '/usr/sbin/prlimit']) if (existsSync(p)) prlimitPath = p;
  if (!prlimitPath) {
    try {
      prlimitPath = execFileSync('sh', ['-c', 'command -v prlimit'], { encoding: 'utf8' }).trim() || null;
    } catch {
      prlimitPath = null;
    }
  }
  return prlimitPath;
}

/**
 * The command prefix that gives a child `need` open files. Node raises its soft limit to the hard
 * limit by itself, so only a hard limit below `need` matters: then prlimit(1) raises it (root, or
 * CAP_SYS_RESOURCE), or we stop with a message that says what to do.
 */
function withNofile(need: number | undefined): string[] {
  if (!need) return [];
  const { hard } = nofileLimits();
  if (hard >= need) return [];
  const prlimit = findPrlimit();
  if (prlimit && canPrlimit(prlimit, need)) return [prlimit, `--nofile=${need}:${need}`, '--'];
  throw new Error(
    `The bench needs ${need} open files per process (10,000 sockets), but the hard limit is ${hard}` +
      (prlimit
        ? ' and prlimit(1) may not raise it here (needs root with CAP_SYS_RESOURCE).'
        : ' and prlimit(1) is not installed.') +
      ` Raise it before running, e.g. as root: ulimit -Hn ${need} && ulimit -n ${need}`,
  );
}

const prlimitOk = new Map<number, boolean>();
function canPrlimit(prlimit: string, need: number): boolean {
  let ok = prlimitOk.get(need);
  if (ok === undefined) {
    try {
      execFileSync(prlimit, [`--nofile=${need}:${need}`, '--', 'true'], { stdio: 'ignore' });
      ok = true;
    } catch {
      ok = false;
    }
    prlimitOk.set(need, ok);
  }
  return ok;
}

let closed = false;

export function startNode(o: NodeOptions): Proc {
  if (closed) throw new Error('the bench is stopping; not starting ' + o.name);
  const logFile = join(o.logDir, `${o.name}.log`);
  const fd = openSync(logFile, 'a');
  const argv = [
    ...withNofile(o.nofile),
    process.execPath,
    ...(o.nodeFlags ?? []),
    '--import',
    'tsx',
    ...(o.preload ?? []).flatMap((p) => ['--import', p]),
    o.script,
    ...(o.args ?? []),
  ];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...o.env })) if (v !== undefined) env[k] = v;
  const child = spawn(argv[0]!, argv.slice(1), { cwd: REPO, env, stdio: ['ignore', fd, fd, 'ipc'] });
  closeSync(fd);
  // The IPC channel must not keep the orchestrator alive once everything else is done.
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  return new Proc(o.name, child, logFile);
}

/** Stops every process still running, in parallel: SIGTERM, then SIGKILL after graceMs; starts no more. */
export async function stopAll(graceMs = 8_000): Promise<void> {
  closed = true;
  await Promise.all([...live].map((p) => p.stop(graceMs).catch(() => {})));
}

/** Last resort from a synchronous exit handler. */
export function killAllNow(): void {
  for (const p of live) {
    try {
      p.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function liveCount(): number {
  return live.size;
}

export async function waitHttpOk(url: string, proc: Proc, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  const deadline = t0 + timeoutMs;
  for (;;) {
    if (!proc.alive) throw new Error(`${proc.name} exited before ${url} answered; log:\n${proc.logTail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - t0;
    } catch {
      // not up yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await sleep(20);
  }
}
