import { freePort } from '../../src/db/embedded.ts';
import { type Proc, startNode, waitHttpOk } from './procs.ts';

export const PROBE = './bench/lib/probe.ts';
/** Sockets per server process: 10,000 streams plus database and listener connections, with room. */
export const SERVER_NOFILE = 16_384;
/** Sockets per load process: 10,000 clients, with room for a reconnect wave's stragglers. */
export const CLIENT_NOFILE = 16_384;

export interface Server {
  proc: Proc;
  url: string;
  port: number;
  readyMs: number;
}

export interface ParleyOptions {
  name: string;
  logDir: string;
  secret: string;
  dataDir: string;
  databaseUrl?: string;
  probe?: boolean;
  nodeFlags?: string[];
  env?: Record<string, string>;
}

/** `src/cli.ts serve` as a process of its own; ready when /readyz answers 200. */
const BENCH_RATE_LIMITS =
  'send=1000000000/1s,typing=1000000000/1s,reaction=1000000000/1s,upload=1000000000/1s,channel=1000000000/1s';

export async function startParley(o: ParleyOptions): Promise<Server> {
  const port = await freePort();
  const proc = startNode({
    name: o.name,
    script: 'src/cli.ts',
    args: ['serve'],
    logDir: o.logDir,
    preload: o.probe ? [PROBE] : [],
    nofile: SERVER_NOFILE,
    nodeFlags: o.nodeFlags,
    env: {
      DATABASE_URL: o.databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      PARLEY_JWT_SECRET: o.secret,
      PARLEY_DEV_AUTH: '1',
      PARLEY_NODE_ID: o.name,
      PARLEY_DATA_DIR: o.dataDir,
      // The load generators are a few users sending thousands of messages a second and holding
      // 100 streams each: limits meant for people would throttle the measurement. The limiter still
      // runs (limits far above the load), so its cost is in the figures.
      PARLEY_RATE_LIMITS: BENCH_RATE_LIMITS,
      PARLEY_MAX_STREAMS_PER_USER: '100000',
      PARLEY_MAX_CONNECTIONS: '100000',
      ...o.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const readyMs = await ready(proc, `${url}/readyz`, 120_000);
  return { proc, url, port, readyMs };
}

export async function startBaseline(
  name: string,
  script: string,
  logDir: string,
  probe: boolean,
  nodeFlags?: string[],
): Promise<Server> {
  const port = await freePort();
  const proc = startNode({
    name,
    script,
    logDir,
    preload: probe ? [PROBE] : [],
    nofile: SERVER_NOFILE,
    nodeFlags,
    env: { HOST: '127.0.0.1', PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  const readyMs = await ready(proc, `${url}/healthz`, 60_000);
  return { proc, url, port, readyMs };
}

/** Milliseconds from spawn to the first 200 from `url`; a server that never gets there is stopped. */
async function ready(proc: Proc, url: string, timeoutMs: number): Promise<number> {
  try {
    return await waitHttpOk(url, proc, timeoutMs);
  } catch (err) {
    await proc.stop(5_000);
    throw err;
  }
}
