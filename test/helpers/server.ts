import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config.ts';
import type { Sql } from '../../src/db/client.ts';
import { createLogger } from '../../src/log.ts';
import { type Parley, startParley } from '../../src/server.ts';
import { freshDatabase, sqlClient } from './db.ts';
import { SseClient } from './sse.ts';

export const TEST_SECRET = 'parley-test-secret-0123456789abcdef';

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field and assert on them
export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestServer {
  parley: Parley;
  url: string;
  databaseUrl: string;
  /** A direct SQL connection: "another program" writing the tables. */
  sql: Sql;
  token(userId: string, name?: string): Promise<string>;
  /** Calls the API as `userId` (a token is made and cached). */
  as(userId: string): Api;
  /** Calls the API with an explicit Authorization header (or none). */
  raw(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string> }): Promise<HttpResult>;
  sse(userId: string, opts?: { lastEventId?: string; path?: string }): Promise<SseClient>;
  /** Starts another node on the same database (for multi-node tests in one process). */
  startNode(overrides?: Partial<Config>): Promise<Parley>;
  close(): Promise<void>;
}

export interface Api {
  get(path: string): Promise<HttpResult>;
  post(path: string, body?: unknown): Promise<HttpResult>;
  put(path: string, body?: unknown): Promise<HttpResult>;
  patch(path: string, body?: unknown): Promise<HttpResult>;
  delete(path: string): Promise<HttpResult>;
}

export async function request(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  // A request that never gets an answer fails the test with its own message instead of hanging it.
  const res = await fetch(new URL(path, base), { method, headers, body, signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export function testConfig(databaseUrl: string, overrides: Partial<Config> = {}): Config {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-node-'));
  return {
    ...loadConfig({}),
    databaseUrl,
    host: '127.0.0.1',
    port: 0,
    jwtSecret: TEST_SECRET,
    devAuth: true,
    dataDir,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    heartbeatMs: 500,
    presenceGraceMs: 1_000,
    // Tests send faster than people; test/rest/rate-limits.test.ts turns the limits on.
    rateLimits: {},
    ...overrides,
  };
}

/**
 * A Parley node on a fresh database of the test PostgreSQL, listening on a free port.
 * `databaseOptions`: CREATE DATABASE options for that database (e.g. an ICU collation).
 */
export async function startTestServer(overrides: Partial<Config> = {}, databaseOptions = ''): Promise<TestServer> {
  const db = await freshDatabase(databaseOptions);
  const nodes: Parley[] = [];
  const start = async (o: Partial<Config>) => {
    const config = testConfig(db.url, { nodeId: `test-node-${nodes.length + 1}`, ...overrides, ...o });
    const p = await startParley(config, { log: createLogger(config.logLevel) });
    nodes.push(p);
    return p;
  };
  const parley = await start({});
  const sql = sqlClient(db.url);
  const tokens = new Map<string, string>();
  const token = async (userId: string, name?: string) => {
    const key = `${userId}\u0000${name ?? ''}`;
    const cached = tokens.get(key);
    if (cached !== undefined) return cached;
    const res = await parley.app.inject({
      method: 'POST',
      url: '/api/v1/dev/token',
      payload: { user_id: userId, name },
    });
    const t = (res.json() as { token: string }).token;
    tokens.set(key, t);
    return t;
  };
  const as = (userId: string): Api => {
    const call = async (method: string, path: string, body?: unknown) =>
      request(parley.url, method, path, { body, headers: { authorization: `Bearer ${await token(userId)}` } });
    return {
      get: (p) => call('GET', p),
      post: (p, b) => call('POST', p, b ?? {}),
      put: (p, b) => call('PUT', p, b),
      patch: (p, b) => call('PATCH', p, b ?? {}),
      delete: (p) => call('DELETE', p),
    };
  };
  return {
    parley,
    url: parley.url,
    databaseUrl: db.url,
    sql,
    token,
    as,
    raw: (method, path, opts) => request(parley.url, method, path, opts),
    sse: async (userId, opts = {}) => {
      const c = await SseClient.open(parley.url, opts.path ?? '/api/v1/events', {
        token: await token(userId),
        lastEventId: opts.lastEventId,
      });
      // The stream starts at its snapshot; the server sends an id right after it. Returning only then
      // means a write the test makes next is after the start, as it would be for a real client.
      if (c.status === 200) await c.waitFor(() => c.lastEventId !== undefined, 15_000, 'the stream to start');
      return c;
    },
    startNode: (o = {}) => start(o),
    close: async () => {
      await sql.end({ timeout: 1 });
      for (const n of nodes.reverse()) {
        await n.close().catch(() => {});
        rmSync(n.config.dataDir, { recursive: true, force: true });
      }
      await db.drop();
    },
  };
}
