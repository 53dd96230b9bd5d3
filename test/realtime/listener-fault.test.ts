import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkDelivery, eventually } from '../helpers/delivery.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { SseClient } from '../helpers/sse.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

/** Terminates the listener's backend, waiting first until it is connected again (it may still be reconnecting). */
async function terminateListener(): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rows = await s.sql`
      SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE application_name LIKE 'parley-listener:%' AND datname = current_database()`;
    const n = rows.filter((r) => r.ok).length;
    if (n > 0 || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('terminating the listener backend while writers run loses nothing, repeats nothing', async () => {
  const users = ['lf-u1', 'lf-u2', 'lf-u3'];
  const channels: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await s.as('lf-owner').post('/api/v1/channels', {
      type: 'group',
      members: users.filter((_, j) => j !== i).map((user_id) => ({ user_id })),
    });
    channels.push(r.body.id as string);
  }
  // Streams open before the writes; one of them also drops and resumes repeatedly.
  const streams = new Map<string, SseClient>();
  for (const u of users) streams.set(u, await s.sse(u));
  for (const c of streams.values()) await c.waitFor(() => c.lastEventId !== undefined, 5000, 'resume point');
  const from = new Map([...streams].map(([u, c]) => [u, Number(c.lastEventId)]));
  const resumedEvents: SseClient['events'] = [];

  let writing = true;
  const apiWriter = async (ch: string, n: number) => {
    for (let i = 0; writing && i < n; i++) {
      const r = await s.as('lf-owner').post(`/api/v1/channels/${ch}/messages`, { content: `api ${i}` });
      assert.ok(r.status === 201, `POST gave ${r.status}`);
    }
  };
  const sqlWriter = async (n: number) => {
    for (let i = 0; writing && i < n; i++) {
      // One transaction touching two channels.
      await s.sql.begin(async (tx) => {
        await tx`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channels[0]!}, 'lf-owner', ${`sql a ${i}`})`;
        await tx`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channels[1]!}, 'lf-owner', ${`sql b ${i}`})`;
      });
    }
  };
  const writers = Promise.all([...channels.map((c) => apiWriter(c, 150)), sqlWriter(150)]);

  let killed = 0;
  for (let round = 0; round < 4; round++) {
    await new Promise((r) => setTimeout(r, 150));
    killed += await terminateListener();
    // The client side fault at the same time: u1 drops and resumes from its last id.
    const u1 = streams.get('lf-u1')!;
    u1.close();
    resumedEvents.push(...u1.events.filter((e) => e.pos !== undefined));
    const next = await s.sse('lf-u1', { lastEventId: u1.lastEventId });
    streams.set('lf-u1', next);
  }
  await writers;
  writing = false;
  assert.equal(killed, 4, `terminated the listener ${killed} times`);

  for (const [u, c] of streams) {
    const [last] = await s.sql`
      SELECT max(e.pos)::int AS pos FROM event_log e JOIN channel_members m ON m.channel_id = e.channel_id
       WHERE m.user_id = ${u} AND e.target_user_ids IS NULL`;
    await eventually(() => c.events.some((e) => e.pos === last!.pos), 20000, `${u} caught up to ${last!.pos}`);
  }
  await eventually(async () => (await s.raw('GET', '/readyz')).status === 200, 10000, 'ready again');
  for (const [u, c] of streams) {
    const received = u === 'lf-u1' ? [...resumedEvents, ...c.events] : c.events;
    const report = await checkDelivery(s.sql, u, from.get(u)!, received);
    assert.deepEqual(
      { lost: report.lost, repeated: report.repeated, outOfOrder: report.outOfOrder, unexpected: report.unexpected },
      { lost: [], repeated: [], outOfOrder: 0, unexpected: [] },
      `${u}: ${JSON.stringify({ expected: report.expected, received: report.received })}`,
    );
    assert.ok(report.expected > 300, `${u} expected ${report.expected} events`);
    c.close();
  }
  const metrics = await s.raw('GET', '/metrics');
  const reconnects = Number(/parley_listener_reconnects_total (\d+)/.exec(metrics.body as string)?.[1]);
  assert.ok(reconnects >= 3, `listener reconnects metric is ${reconnects}`);
});

test('the listener killed over and over, at any moment of its reconnect, never leaves an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    let kills = 0;
    // 150 tries at random moments, and on until ten kills have landed: the listener's reconnect
    // backoff grows with each kill, so on a slow machine 150 tries can come too quickly.
    const deadline = Date.now() + 30_000;
    for (let i = 0; i < 150 || (kills < 10 && Date.now() < deadline); i++) {
      const rows = await s.sql`
        SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE application_name LIKE 'parley-listener:%' AND datname = current_database()`;
      kills += rows.filter((r) => r.ok).length;
      await new Promise((r) => setTimeout(r, Math.random() * 30));
    }
    assert.ok(kills >= 10, `killed the listener ${kills} times`);
    await eventually(async () => (await s.raw('GET', '/readyz')).status === 200, 15_000, 'ready again');
    // Still delivering after all that.
    const r = await s.as('lf-owner').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'lf-after' }] });
    const c = await s.sse('lf-after');
    // The stream starts at its snapshot; post only once it has one, or the message predates it.
    await c.waitFor(() => c.lastEventId !== undefined, 10_000, 'resume point');
    await s.as('lf-owner').post(`/api/v1/channels/${r.body.id}/messages`, { content: 'still here' });
    await c.waitFor((e) => e.some((x) => x.data.content === 'still here'), 10_000, 'delivery after the kills');
    c.close();
    assert.deepEqual(unhandled.map(String), []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
