import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Sql } from '../../src/db/client.ts';
import { freePort } from '../../src/db/embedded.ts';
import { freshDatabase, sqlClient } from './db.ts';
import { TEST_SECRET } from './server.ts';

export interface NodeProcess {
  id: string;
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  /** A dev token for the user (the node runs with PARLEY_DEV_AUTH=1). */
  token(user: string): Promise<string>;
}

const ROOT = join(import.meta.dirname, '..', '..');

/** A real `parley serve` process (its own pid, port and LISTEN connection) on a shared database. */
export async function spawnNode(
  databaseUrl: string,
  id: string,
  env: Record<string, string> = {},
  /** Modules to load first with `node --import`, e.g. a fixture that injects a fault. */
  preload: string[] = [],
): Promise<NodeProcess> {
  const port = await freePort();
  let out = '';
  const imports = ['tsx', ...preload].flatMap((m) => ['--import', m]);
  const child = spawn(process.execPath, [...imports, join(ROOT, 'src', 'cli.ts'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      PARLEY_NODE_ID: id,
      PARLEY_JWT_SECRET: TEST_SECRET,
      PARLEY_DEV_AUTH: '1',
      PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), `parley-${id}-`)),
      LOG_LEVEL: 'warn',
      PARLEY_RATE_LIMITS: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  child.stderr!.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node ${id} exited during start:\n${out}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node ${id} not ready in 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = async (user: string) => {
    const r = await fetch(`${url}/api/v1/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: user }),
    });
    return ((await r.json()) as { token: string }).token;
  };
  return { id, url, child, output: () => out, exited, kill: (signal = 'SIGTERM') => child.kill(signal), token };
}

/**
 * A `parley serve` process on a fresh database, with a plain SQL client on it, for the suite this
 * is called in: started before its tests, killed (and the database dropped) after them.
 */
export function nodeForSuite(
  id: string,
  env: Record<string, string> = {},
): { readonly node: NodeProcess; readonly sql: Sql } {
  let db: { url: string; drop: () => Promise<void> } | undefined;
  let node: NodeProcess | undefined;
  let sql: Sql | undefined;
  before(async () => {
    db = await freshDatabase();
    node = await spawnNode(db.url, id, env);
    sql = sqlClient(db.url);
  });
  after(async () => {
    node?.kill('SIGKILL');
    await node?.exited;
    await sql?.end({ timeout: 1 });
    await db?.drop();
  });
  return {
    get node() {
      if (!node) throw new Error('nodeForSuite: read node inside a test or hook');
      return node;
    },
    get sql() {
      if (!sql) throw new Error('nodeForSuite: read sql inside a test or hook');
      return sql;
    },
  };
}
