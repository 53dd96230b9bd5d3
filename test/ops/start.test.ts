import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../../src/db/embedded.ts';
import { freshDatabase, sqlClient } from '../helpers/db.ts';
import { request } from '../helpers/server.ts';
import { SseClient } from '../helpers/sse.ts';
import {
  cleanEnv,
  exitWithin,
  groupMembers,
  killAll,
  noPostgresLeft,
  postgresOf,
  postmasterPid,
  ROOT,
  runCli,
  type Served,
  sleep,
  spawnServe,
  waitReady,
} from './lib.ts';

const served: Served[] = [];
const dirs: string[] = [];
after(() => {
  killAll(served, dirs);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'parley-start-'));
  dirs.push(d);
  return d;
}

async function serve(env: Record<string, string | undefined>, port?: number): Promise<Served> {
  const s = await spawnServe(cleanEnv({ LOG_LEVEL: 'info', ...env }), port);
  served.push(s);
  return s;
}

/** Time from spawn to the first 200 from /readyz, as a client polling every 50 ms sees it. */
async function timedReady(s: Served): Promise<number> {
  const t0 = performance.now();
  await waitReady(s);
  return Math.round(performance.now() - t0);
}

async function stopAndCheck(s: Served, dir: string, sig: NodeJS.Signals, group = false): Promise<void> {
  const pgPid = postmasterPid(dir);
  assert.ok(pgPid && postgresOf(dir).includes(pgPid), 'the embedded postgres runs while serving');
  s.signal(sig, group);
  const exit = await exitWithin(s, 10_000);
  assert.ok(exit, `parley did not exit within 10 s of ${sig}:\n${s.output()}`);
  assert.deepEqual(exit, { code: 0, signal: null }, s.output());
  assert.deepEqual(await noPostgresLeft(dir), [], 'no postgres process of the data directory is left');
  assert.equal(existsSync(join(dir, 'pg', 'postmaster.pid')), false, 'postgres shut down cleanly');
}

async function devToken(url: string, user: string): Promise<string> {
  const r = await request(url, 'POST', '/api/v1/dev/token', { body: { user_id: user, name: user } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.token as string;
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('parley serve on the embedded PostgreSQL', () => {
  const dir = dataDir();
  let token = '';
  let channelId = '';

  test('a cold start (initdb) becomes ready, honours PORT, HOST and PARLEY_NODE_ID, and stops on SIGTERM', async (t) => {
    const s = await serve({
      PARLEY_DATA_DIR: dir,
      PARLEY_DEV_AUTH: '1',
      PARLEY_NODE_ID: 'ops-node-1',
      HOST: '127.0.0.1',
    });
    const ms = await timedReady(s);
    t.diagnostic(`cold start (initdb + migrations) to /readyz 200: ${ms} ms`);
    assert.ok(existsSync(join(dir, 'pg', 'PG_VERSION')), 'the database lives under PARLEY_DATA_DIR');
    assert.ok(existsSync(join(dir, 'jwt-secret')), 'the generated secret is kept in PARLEY_DATA_DIR');
    const ready = await request(s.url, 'GET', '/readyz');
    assert.equal(ready.body.status, 'ready');

    token = await devToken(s.url, 'alice');
    const created = await request(s.url, 'POST', '/api/v1/channels', {
      headers: auth(token),
      body: { type: 'group', name: 'survives restarts' },
    });
    assert.equal(created.status, 201);
    channelId = created.body.id;

    const stream = await SseClient.open(s.url, '/api/v1/events', { token });
    await stream.waitFor((e) => e.some((x) => x.type === 'connection'), 10_000, 'the connection event');
    assert.equal(stream.of('connection')[0]!.data.node_id, 'ops-node-1');

    await stopAndCheck(s, dir, 'SIGTERM');
    await stream.waitFor(() => stream.closed, 5_000, 'the stream to be closed by the shutdown');
    assert.match(s.output(), /PARLEY_DEV_AUTH=1/, 'dev auth is logged as a warning');
  });

  test('a warm start reuses the data directory; without PARLEY_DEV_AUTH dev tokens are 404; SIGINT exits 0', async (t) => {
    assert.ok(channelId, 'runs after the cold start');
    const s = await serve({ PARLEY_DATA_DIR: dir });
    const ms = await timedReady(s);
    t.diagnostic(`warm start (existing data directory) to /readyz 200: ${ms} ms`);
    assert.doesNotMatch(s.output(), /applied migration/, 'nothing to migrate the second time');
    // Same database and same generated secret: the old token works and the channel is still there.
    const got = await request(s.url, 'GET', `/api/v1/channels/${channelId}`, { headers: auth(token) });
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(got.body.name, 'survives restarts');
    const dev = await request(s.url, 'POST', '/api/v1/dev/token', { body: { user_id: 'mallory' } });
    assert.equal(dev.status, 404);
    assert.equal(dev.body.error.code, 'not_found');
    await stopAndCheck(s, dir, 'SIGINT');
  });

  test('Ctrl-C (SIGINT to the whole process group, postgres included) still exits 0 and leaves nothing', async () => {
    const s = await serve({ PARLEY_DATA_DIR: dir });
    await waitReady(s);
    const stream = await SseClient.open(s.url, '/api/v1/events', { token });
    await stream.waitFor((e) => e.some((x) => x.type === 'connection'), 10_000, 'the connection event');
    await stopAndCheck(s, dir, 'SIGINT', true);
  });

  test('after a SIGKILL the orphaned postgres is adopted by the next start and stopped by its SIGTERM', async () => {
    const s = await serve({ PARLEY_DATA_DIR: dir });
    await waitReady(s);
    const orphan = postmasterPid(dir)!;
    s.signal('SIGKILL');
    await s.exited;
    assert.ok(postgresOf(dir).includes(orphan), 'SIGKILL leaves the postgres running');
    const again = await serve({ PARLEY_DATA_DIR: dir });
    await waitReady(again);
    assert.equal(postmasterPid(dir), orphan, 'the running postgres was reused, not a second one started');
    const got = await request(again.url, 'GET', `/api/v1/channels/${channelId}`, { headers: auth(token) });
    assert.equal(got.status, 200);
    await stopAndCheck(again, dir, 'SIGTERM');
  });

  test('a doctor run against a serving data directory shares its postgres and leaves it running', async () => {
    const s = await serve({ PARLEY_DATA_DIR: dir });
    await waitReady(s);
    const pid = postmasterPid(dir);
    const r = await runCli(['doctor'], cleanEnv({ PARLEY_DATA_DIR: dir }));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(postmasterPid(dir), pid);
    assert.ok(postgresOf(dir).includes(pid!), 'the server keeps its database');
    assert.equal((await request(s.url, 'GET', '/readyz')).status, 200);
    await stopAndCheck(s, dir, 'SIGTERM');
  });

  test('a stale postmaster.pid naming a live process that is not postgres does not block the start', async () => {
    // As after a crash and a container restart: the old postmaster's pid now belongs to something else.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const stale = ['', dir, '0', '5432', '', '127.0.0.1', '  1234  5678', 'ready', ''];
      stale[0] = String(other.pid);
      writeFileSync(join(dir, 'pg', 'postmaster.pid'), stale.join('\n'));
      const s = await serve({ PARLEY_DATA_DIR: dir });
      await waitReady(s, 60_000);
      const got = await request(s.url, 'GET', `/api/v1/channels/${channelId}`, { headers: auth(token) });
      assert.equal(got.status, 200);
      await stopAndCheck(s, dir, 'SIGTERM');
    } finally {
      other.kill('SIGKILL');
    }
  });
});

describe('parley serve: start-up edge cases', () => {
  test('DATABASE_URL switches off the embedded server; PARLEY_JWT_SECRET signs what `parley token` prints', async () => {
    const dir = dataDir();
    const db = await freshDatabase();
    try {
      const secret = 'ops-start-secret-0123456789abcdef0123';
      const env = { PARLEY_DATA_DIR: dir, DATABASE_URL: db.url, PARLEY_JWT_SECRET: secret, PARLEY_NODE_ID: 'ext-db' };
      const s = await serve(env);
      await waitReady(s);
      assert.equal(existsSync(join(dir, 'pg')), false, 'no embedded database was created');
      assert.equal(existsSync(join(dir, 'jwt-secret')), false, 'no secret was generated');
      assert.equal((await request(s.url, 'GET', '/readyz')).body.node_id, 'ext-db');
      const printed = await runCli(['token', 'carol', '--name', 'Carol'], cleanEnv({ PARLEY_JWT_SECRET: secret }));
      const me = await request(s.url, 'GET', '/api/v1/me', { headers: auth(printed.stdout.trim()) });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.deepEqual(me.body, { id: 'carol', name: 'Carol' });
      const other = await runCli(['token', 'carol'], cleanEnv({ PARLEY_JWT_SECRET: `${secret}-other` }));
      const refused = await request(s.url, 'GET', '/api/v1/me', { headers: auth(other.stdout.trim()) });
      assert.equal(refused.status, 401);
      // Migrated into the external database, once.
      const sql = sqlClient(db.url);
      const [n] = await sql`SELECT count(*)::int AS n FROM parley_migrations`;
      await sql.end({ timeout: 1 });
      assert.ok(n!.n > 0);
      s.signal('SIGTERM');
      assert.deepEqual(await exitWithin(s, 10_000), { code: 0, signal: null }, s.output());
    } finally {
      await db.drop();
    }
  });

  test('HOST is honoured: listening on 127.0.0.2 is not listening on 127.0.0.1', async () => {
    const dir = dataDir();
    const s = await serve({ PARLEY_DATA_DIR: dir, HOST: '127.0.0.2' });
    await waitReady(s);
    assert.equal(s.url, `http://127.0.0.2:${s.port}`);
    await assert.rejects(fetch(`http://127.0.0.1:${s.port}/healthz`));
    await stopAndCheck(s, dir, 'SIGTERM');
  });

  test('a port already in use is a clear error, a non-zero exit and no postgres left behind', async () => {
    const dir = dataDir();
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const s = await serve({ PARLEY_DATA_DIR: dir }, port);
      const exit = await exitWithin(s, 60_000);
      assert.ok(exit, 'parley exits');
      assert.notEqual(exit.code, 0);
      assert.match(s.output(), /EADDRINUSE|address already in use/);
      assert.deepEqual(await noPostgresLeft(dir), [], `no orphan postgres:\n${s.output()}`);
    } finally {
      blocker.close();
    }
  });

  test('SIGTERM during start-up (initdb, migrations) still exits 0 with no postgres left', async () => {
    const dir = dataDir();
    const s = await serve({ PARLEY_DATA_DIR: dir });
    // Signal as soon as the database directory appears: initdb is running or postgres is starting.
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(dir, 'pg')) && Date.now() < deadline) await sleep(5);
    s.signal('SIGTERM');
    const exit = await exitWithin(s, 60_000);
    assert.deepEqual(exit, { code: 0, signal: null }, s.output());
    assert.deepEqual(await noPostgresLeft(dir), [], s.output());
  });

  test('a first start killed outright during initdb does not leave a broken data directory', async () => {
    const dir = dataDir();
    const s = await serve({ PARLEY_DATA_DIR: dir });
    const initStarted = () =>
      existsSync(join(dir, 'pg.partial', 'PG_VERSION')) || existsSync(join(dir, 'pg', 'PG_VERSION'));
    const deadline = Date.now() + 60_000;
    while (!initStarted() && Date.now() < deadline) await sleep(2);
    const caughtMidway = !existsSync(join(dir, 'embedded.json'));
    s.signal('SIGKILL', true); // node, initdb and its bootstrap postgres: as an OOM kill or power loss would
    await s.exited;
    await noPostgresLeft(dir);
    const again = await serve({ PARLEY_DATA_DIR: dir });
    await waitReady(again);
    await stopAndCheck(again, dir, 'SIGTERM');
    assert.ok(caughtMidway, 'the kill landed before initdb had finished (else this test proved less)');
  });

  test('a bad setting fails fast with a message naming it', async () => {
    const dir = dataDir();
    const s = await serve({ PARLEY_DATA_DIR: dir, PARLEY_EVENT_RETENTION: 'forever' });
    const exit = await exitWithin(s, 60_000);
    assert.equal(exit?.code, 1);
    assert.match(s.output(), /PARLEY_EVENT_RETENTION/);
    assert.deepEqual(postgresOf(dir), []);
    for (const port of ['http', '70000', '-1']) {
      const bad = await spawnServe(cleanEnv({ PARLEY_DATA_DIR: dir, PORT: port }), undefined);
      served.push(bad);
      const e = await exitWithin(bad, 60_000);
      assert.equal(e?.code, 1, bad.output());
      assert.match(bad.output(), /PORT must be/);
    }
    assert.equal(existsSync(join(dir, 'pg')), false, 'no database was started for a bad setting');
  });

  test('a secret that cannot be trusted is refused at start, before any database starts', async () => {
    const dir = dataDir();
    const cases: [Record<string, string>, RegExp][] = [
      [{ PARLEY_JWT_SECRET: '' }, /PARLEY_JWT_SECRET: the HS256 secret must be at least 32 bytes \(it is 0\)/],
      [{ PARLEY_JWT_SECRET: 'short-secret' }, /at least 32 bytes \(it is 12\)/],
      // A shared database with no secret: every node would make up its own.
      [{ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, /PARLEY_JWT_SECRET is not set: with DATABASE_URL/],
    ];
    for (const [env, message] of cases) {
      const bad = await serve({ PARLEY_DATA_DIR: dir, ...env });
      const e = await exitWithin(bad, 60_000);
      assert.equal(e?.code, 1, bad.output());
      assert.match(bad.output(), message);
    }
    // An empty secret file in the data directory.
    writeFileSync(join(dir, 'jwt-secret'), '\n');
    const empty = await serve({ PARLEY_DATA_DIR: dir });
    assert.equal((await exitWithin(empty, 60_000))?.code, 1, empty.output());
    assert.match(
      empty.output(),
      /jwt-secret \(delete it and a new secret is generated\): the HS256 secret must be at least 32 bytes/,
    );
    assert.equal(existsSync(join(dir, 'pg')), false, 'no database was started');
  });
});

describe('npm start', () => {
  test('serves with dev auth on by default; Ctrl-C stops npm, parley and postgres', async (t) => {
    const dir = dataDir();
    const port = await freePort();
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: cleanEnv({ PARLEY_DATA_DIR: dir, PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
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
    const ms = await timedReady(s);
    t.diagnostic(`npm start, cold, to /readyz 200: ${ms} ms`);
    await devToken(s.url, 'demo');
    s.signal('SIGINT', true);
    const exit = await exitWithin(s, 15_000);
    assert.ok(exit, `npm start did not stop on Ctrl-C:\n${out}`);
    assert.deepEqual(await noPostgresLeft(dir), [], out);
    // Everything in the group is gone, not only npm.
    const left = groupMembers(child.pid!);
    assert.deepEqual(left, [], `processes left in the group: ${left.join(', ')}`);
  });
});
