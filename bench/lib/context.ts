import { join } from 'node:path';
import type { BenchDb, Sql } from './pg.ts';
import { type NodeOptions, type Proc, startNode } from './procs.ts';
import { type Server, startBaseline, startParley } from './servers.ts';

export interface Params {
  write: { writers: number; channels: number; warmupMs: number; durationMs: number };
  e2e: { channels: number; perChannel: number; rate: number; seconds: number; warmupSeconds: number };
  /**
   * users: distinct users behind the `clients` streams (clients/users streams each). Parley tells
   * every member of a channel when a member comes online, so 10,000 distinct users connecting to one
   * channel cost n²/2 presence frames; presenceUsers measures that wave on its own.
   */
  fanout: { clients: number; users: number; messages: number; intervalMs: number; presenceUsers: number[] };
  storm: {
    channels: number;
    perChannel: number;
    rate: number;
    beforeDropMs: number;
    flowMs: number;
    resumeTimeoutMs: number;
  };
  history: { rows: number; requests: number; warmup: number };
  startup: { warm: number };
  /** Source addresses for client sockets (127.0.0.2 …). */
  sources: number;
  /** Streams opened at once while setting up (not during the storm, where all go at once). */
  connectConcurrency: number;
}

export function params(quick: boolean): Params {
  return {
    write: { writers: 64, channels: 16, warmupMs: quick ? 1_000 : 2_000, durationMs: quick ? 5_000 : 15_000 },
    e2e: { channels: 100, perChannel: 10, rate: 500, seconds: quick ? 10 : 30, warmupSeconds: 2 },
    fanout: {
      clients: 10_000,
      users: 100,
      messages: 20,
      intervalMs: 250,
      presenceUsers: quick ? [300, 600] : [1000, 2000],
    },
    storm: {
      channels: 100,
      perChannel: 100,
      rate: 100,
      beforeDropMs: 3_000,
      flowMs: quick ? 12_000 : 20_000,
      // Past Linux's SYN retry limit (~127 s) in a full run, so every client gets its stream back.
      resumeTimeoutMs: quick ? 30_000 : 140_000,
    },
    history: { rows: quick ? 100_000 : 1_000_000, requests: 500, warmup: 50 },
    startup: { warm: quick ? 2 : 3 },
    sources: 8,
    connectConcurrency: 500,
  };
}

export interface Ctx {
  quick: boolean;
  P: Params;
  db: BenchDb;
  sql: Sql;
  work: string;
  logDir: string;
  secret: string;
  profile: boolean;
  log(msg: string): void;
  /** Something that makes a result suspect (e.g. failed requests): printed, kept in the JSON, logs kept. */
  warn(msg: string): void;
  /** Starts a process that is stopped when the phase ends. */
  node(o: Omit<NodeOptions, 'logDir'>): Proc;
  parley(name: string, opts?: { probe?: boolean; env?: Record<string, string> }): Promise<Server>;
  baseline(name: string, script: string, probe: boolean): Promise<Server>;
}

export function makeCtx(base: Omit<Ctx, 'node' | 'parley' | 'baseline'>, tracked: Proc[]): Ctx {
  const track = <T extends Proc>(p: T) => {
    tracked.push(p);
    return p;
  };
  // One directory per server: node writes a profile per thread (tsx's loader runs in a worker thread).
  const profileFlags = (name: string) =>
    base.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(base.logDir, 'profiles', name)}`] : [];
  return {
    ...base,
    node: (o) => track(startNode({ ...o, logDir: base.logDir })),
    parley: async (name, opts = {}) => {
      const s = await startParley({
        name,
        logDir: base.logDir,
        secret: base.secret,
        dataDir: join(base.work, `data-${name}`),
        databaseUrl: base.db.url,
        probe: opts.probe ?? true,
        env: opts.env,
        nodeFlags: ['--expose-gc', ...profileFlags(name)],
      });
      track(s.proc);
      return s;
    },
    baseline: async (name, script, probe) => {
      const s = await startBaseline(name, script, base.logDir, probe, ['--expose-gc', ...profileFlags(name)]);
      track(s.proc);
      return s;
    },
  };
}
