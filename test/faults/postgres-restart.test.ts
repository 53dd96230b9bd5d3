import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { Sql } from '../../src/db/client.ts';
import { EmbeddedPostgres } from '../../src/db/embedded.ts';
import { createLogger } from '../../src/log.ts';
import { type Parley, startParley } from '../../src/server.ts';
import { sqlClient } from '../helpers/db.ts';
import { checkDelivery, eventually } from '../helpers/delivery.ts';
import { request, testConfig } from '../helpers/server.ts';
import { type Received, SseClient } from '../helpers/sse.ts';

/** This test stops and starts PostgreSQL itself, so it has a server of its own. */
let pg: EmbeddedPostgres;
let dir: string;
let parley: Parley;
let sql: Sql;
const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => unhandled.push(err);

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  dir = mkdtempSync(join(tmpdir(), 'parley-restart-'));
  pg = new EmbeddedPostgres({ dataDir: dir });
  await pg.start();
  parley = await startParley(testConfig(pg.url, { nodeId: 'restart-node' }), {
    log: process.env.TEST_LOG_LEVEL
      ? pino({ level: process.env.TEST_LOG_LEVEL }, pino.destination(2))
      : createLogger('silent'),
  });
  sql = sqlClient(pg.url);
});

after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await sql?.end({ timeout: 1 }).catch(() => {});
  await parley?.close().catch(() => {});
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const token = (u: string) =>
  parley.app
    .inject({ method: 'POST', url: '/api/v1/dev/token', payload: { user_id: u } })
    .then((r) => (r.json() as { token: string }).token);

test('PostgreSQL stopped and started: 503s while away, ready again after, nothing lost', async () => {
  const t = { owner: await token('owner'), a: await token('pa'), b: await token('pb') };
  const api = (tok: string, method: string, path: string, body?: unknown) =>
    request(parley.url, method, path, { body, headers: { authorization: `Bearer ${tok}` } });
  const channels: string[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await api(t.owner, 'POST', '/api/v1/channels', {
      type: 'group',
      members: [{ user_id: 'pa' }, { user_id: 'pb' }],
    });
    channels.push(r.body.id);
  }
  const a = await SseClient.open(parley.url, '/api/v1/events', { token: t.a });
  let b = await SseClient.open(parley.url, '/api/v1/events', { token: t.b });
  await a.waitFor(() => a.lastEventId !== undefined);
  await b.waitFor(() => b.lastEventId !== undefined);
  const from = { pa: Number(a.lastEventId), pb: Number(b.lastEventId) };
  const bEarlier: Received[] = [];

  // Writers that retry until their write is acknowledged, as a client of a 503 should.
  let writing = true;
  let accepted = 0;
  let unavailable = 0;
  const apiWriter = async (ch: string) => {
    for (let i = 0; writing; i++) {
      const r = await api(t.owner, 'POST', `/api/v1/channels/${ch}/messages`, {
        content: `m ${i}`,
        client_id: `${ch}-${i}`,
      }).catch(() => ({ status: 0, headers: new Headers(), body: null }));
      if (r.status === 201 || r.status === 200) accepted++;
      else {
        assert.equal(r.status, 503, `a write while the database is away gave ${r.status}`);
        assert.ok(r.headers.get('retry-after'), '503 carries Retry-After');
        unavailable++;
        i--;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  };
  const sqlWriter = async () => {
    for (let i = 0; writing; i++) {
      try {
        await sql.begin(async (tx) => {
          await tx`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channels[0]!}, 'owner', ${`s ${i}`})`;
          await tx`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channels[1]!}, 'owner', ${`s ${i}`})`;
        });
      } catch {
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  };
  const writers = Promise.all([apiWriter(channels[0]!), apiWriter(channels[1]!), sqlWriter()]);
  // Counted, not timed: traffic before the outage and after it, however loaded the machine is.
  await eventually(() => accepted >= 20, 30_000, 'writes before the outage');

  await pg.stop();
  // While away: a write answers 503 promptly (never hangs, never 500), readyz says not ready.
  const t0 = Date.now();
  const during = await api(t.owner, 'POST', `/api/v1/channels/${channels[0]}/messages`, { content: 'while down' });
  const took = Date.now() - t0;
  assert.equal(during.status, 503);
  assert.equal(during.body.error.code, 'unavailable');
  assert.ok(took < 8000, `the 503 took ${took} ms`);
  const ready = await request(parley.url, 'GET', '/readyz');
  assert.equal(ready.status, 503);
  // A client drops and tries to come back while the database is away: told to retry, not crashed.
  b.close();
  bEarlier.push(...b.events);
  const duringStream = await SseClient.open(parley.url, '/api/v1/events', { token: t.b, lastEventId: b.lastEventId });
  await eventually(() => duringStream.closed, 10_000, 'stream opened while the database is away closes');
  await new Promise((r) => setTimeout(r, 1000));

  await pg.start();
  const back = Date.now();
  await eventually(async () => (await request(parley.url, 'GET', '/readyz')).status === 200, 15_000, 'ready again');
  const recoveryMs = Date.now() - back;
  console.log(`# ready again ${recoveryMs} ms after PostgreSQL came back`);
  b = await SseClient.open(parley.url, '/api/v1/events', { token: t.b, lastEventId: b.lastEventId });
  const backAt = accepted;
  await eventually(() => accepted >= backAt + 20, 30_000, 'writes after the outage');
  writing = false;
  await writers;
  assert.ok(unavailable > 0, 'writers saw the outage');
  assert.ok(accepted >= 40, `writers wrote ${accepted} messages`);

  const [last] = await sql`SELECT max(pos)::int AS pos FROM event_log WHERE target_user_ids IS NULL`;
  await eventually(() => a.events.some((e) => e.pos === last!.pos), 20_000, 'pa caught up');
  await eventually(() => b.events.some((e) => e.pos === last!.pos), 20_000, 'pb caught up');
  for (const [user, events] of [
    ['pa', a.events],
    ['pb', [...bEarlier, ...b.events]],
  ] as const) {
    const report = await checkDelivery(sql, user, from[user], events);
    assert.deepEqual(
      { lost: report.lost.length, repeated: report.repeated.length, outOfOrder: report.outOfOrder },
      { lost: 0, repeated: 0, outOfOrder: 0 },
      `${user}: ${JSON.stringify(report).slice(0, 400)}`,
    );
  }
  assert.equal(a.closed, false, 'a stream open through the outage stayed open');
  assert.deepEqual(unhandled, [], 'no unhandled rejection');
  a.close();
  b.close();
});
