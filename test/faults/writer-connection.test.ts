import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import type { Sql } from '../../src/db/client.ts';
import { DedicatedConnection } from '../../src/db/dedicated.ts';
import { databaseForSuite } from '../helpers/db.ts';
import { eventually } from '../helpers/delivery.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * The message writer's own connection (src/db/dedicated.ts): a connection that the database dropped
 * under a call is replaced, so one stuck connection never outlives the call that found it broken.
 * Faults are caused with pg_terminate_backend, not simulated.
 */
const db = databaseForSuite();

const pidOf = (sql: Sql) => sql`SELECT pg_backend_pid() AS pid`.then((r) => Number(r[0]!.pid));

test('a connection terminated under a call is replaced; a SQL error keeps it', async () => {
  const replaced: unknown[] = [];
  const conn = new DedicatedConnection(db.url, 'test-dedicated', 10_000, (err) => replaced.push(err));
  try {
    const first = await conn.run(pidOf);
    // A statement error is the caller's problem, not the connection's: same backend afterwards.
    await assert.rejects(
      conn.run((sql) => sql`SELECT 1 / 0`),
      { code: '22012' },
    );
    assert.equal(await conn.run(pidOf), first);
    assert.equal(replaced.length, 0);

    const sleeping = conn.run((sql) => sql`SELECT pg_sleep(30)`);
    const caught = sleeping.catch((e: unknown) => e);
    await eventually(
      async () => {
        const r = await db.sql`SELECT 1 FROM pg_stat_activity WHERE pid = ${first} AND query LIKE '%pg_sleep%'`;
        return r.length === 1;
      },
      10_000,
      'the pg_sleep call is running',
    );
    await db.sql`SELECT pg_terminate_backend(${first})`;
    const err = (await caught) as { code?: string };
    assert.ok(err && typeof err.code === 'string', 'the call in flight fails');
    assert.equal(replaced.length, 1, 'the connection is replaced');
    assert.equal(replaced[0], err);

    const second = await conn.run(pidOf);
    assert.notEqual(second, first, 'a new backend serves the next call');
    const named = await db.sql`
      SELECT pid FROM pg_stat_activity WHERE application_name = 'test-dedicated' AND datname = current_database()`;
    assert.deepEqual(
      named.map((r) => Number(r.pid)),
      [second],
      'the old connection is gone, only the new one is open',
    );
  } finally {
    await conn.end(1);
  }
});

test('message sends go through one writer connection, which comes back after being terminated', async () => {
  const server: TestServer = await startTestServer({ nodeId: 'writer-node' });
  try {
    const owner = server.as('w-owner');
    const channel = (await owner.post('/api/v1/channels', { type: 'group' })).body.id as string;
    const writerPids = async () => {
      const r = await server.sql`
        SELECT pid FROM pg_stat_activity
         WHERE application_name = 'parley:writer-node:writer' AND datname = current_database()`;
      return r.map((x) => Number(x.pid));
    };
    for (let i = 0; i < 5; i++) {
      assert.equal((await owner.post(`/api/v1/channels/${channel}/messages`, { content: `m${i}` })).status, 201);
    }
    const pids = await writerPids();
    assert.equal(pids.length, 1, 'one writer connection');

    await server.sql`SELECT pg_terminate_backend(${pids[0]!})`;
    // The next send may find the connection closed (503, retry) but a retry is written.
    let status = 0;
    for (let i = 0; i < 3 && status !== 201; i++) {
      status = (await owner.post(`/api/v1/channels/${channel}/messages`, { content: 'after', client_id: 'after' }))
        .status;
    }
    assert.equal(status, 201);
    const now = await writerPids();
    assert.equal(now.length, 1);
    assert.notEqual(now[0], pids[0]);
  } finally {
    await server.close();
  }
});

test('a connection that stops answering fails the call after the timeout and is replaced', {
  timeout: 30_000,
}, async () => {
  // A TCP proxy in front of PostgreSQL. The fault: the connections open at that moment stop carrying
  // anything either way (a half-open network path); connections made afterwards work.
  const target = new URL(db.url);
  const links = new Set<{ hung: boolean; sockets: net.Socket[] }>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    const link = { hung: false, sockets: [client, upstream] };
    links.add(link);
    for (const s of link.sockets) {
      s.on('error', () => {});
      s.on('close', () => {
        for (const x of link.sockets) x.destroy();
        links.delete(link);
      });
    }
    client.on('data', (d) => link.hung || upstream.write(d));
    upstream.on('data', (d) => link.hung || client.write(d));
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const via = new URL(db.url);
  via.hostname = '127.0.0.1';
  via.port = String((proxy.address() as net.AddressInfo).port);
  const replaced: unknown[] = [];
  const conn = new DedicatedConnection(via.toString(), 'test-dedicated-hang', 1_000, (err) => replaced.push(err));
  try {
    const first = await conn.run(pidOf);
    for (const link of links) link.hung = true;
    const t0 = Date.now();
    await assert.rejects(conn.run(pidOf), { code: 'QUERY_TIMEOUT' });
    const took = Date.now() - t0;
    assert.ok(took >= 900 && took < 10_000, `failed after ${took} ms`);
    assert.equal(replaced.length, 1);
    const second = await conn.run(pidOf);
    assert.notEqual(second, first, 'a new connection answers');
  } finally {
    await conn.end(1);
    for (const link of links) for (const x of link.sockets) x.destroy();
    await new Promise((r) => proxy.close(r));
  }
});
