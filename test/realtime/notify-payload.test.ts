import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mac, parseNotification } from '../../src/realtime/notification.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

// Message batches travel in the server's own notification (db/live/event-log.sql); the listener
// dispatches them without reading the log when they verify and continue exactly from its last pos.

const KEY = new Uint8Array(32).fill(7);
const signed = (body: string, key = KEY) => `v2 ${mac(key, body)}\n${body}`;
const rowsOf = (payload: string) => {
  const n = parseNotification(payload, KEY);
  return n.kind === 'events' ? n.rows : undefined;
};

test('parseNotification reads a signed v2 payload and refuses anything it cannot use as is', () => {
  const line = (pos: number, targets = '', subject = '') =>
    `${pos}\tnew_message\t0f8fad5b-d9cb-469f-a165-70867728950e\t${subject}\t${targets}\t2026-11-24T00:00:00.000Z\t{"id": 1}`;
  const rows = rowsOf(signed(`${line(7)}\n${line(8, '["u1"]', '"a\\tb"')}`));
  assert.deepEqual(
    rows?.map((r) => [r.pos, r.type, r.subject_user_id, r.target_user_ids, r.data, r.ts]),
    [
      [7, 'new_message', null, null, '{"id": 1}', '2026-11-24T00:00:00.000Z'],
      [8, 'new_message', 'a\tb', ['u1'], '{"id": 1}', '2026-11-24T00:00:00.000Z'],
    ],
  );
  assert.equal(parseNotification('', KEY).kind, 'look', 'the empty payload only says "look"');
  assert.equal(rowsOf(line(7)), undefined, 'no version line');
  assert.equal(rowsOf(`v1\n${line(7)}`), undefined, 'the unsigned format of 0007/0008');
  assert.equal(rowsOf(signed(line(7), new Uint8Array(32).fill(8))), undefined, 'signed with another key');
  assert.equal(rowsOf(signed(line(7)).replace('\n7\t', '\n8\t')), undefined, 'changed after signing');
  assert.equal(rowsOf(signed(`${line(7)}\n${line(9)}`)), undefined, 'a gap inside the batch');
  assert.equal(rowsOf(signed(line(7, '[1]'))), undefined, 'targets not strings');
  assert.equal(rowsOf(signed(line(7, '['))), undefined, 'targets not JSON');
  assert.equal(rowsOf(signed(line(7, '', 'bob'))), undefined, 'subject not a JSON string');
  assert.equal(rowsOf(signed('7\tnew_message')), undefined, 'too few fields');
});

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

async function notified(): Promise<number> {
  const r = await s.raw('GET', '/metrics');
  const m = /^parley_listener_notified_events_total (\d+)/m.exec(String(r.body));
  return m ? Number(m[1]) : 0;
}

test('a small message is dispatched from the notification, a large one from the log; both arrive alike', async () => {
  const created = await s.as('np-alice').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'np-bob' }] });
  const ch = created.body.id as string;
  const bob = await s.sse('np-bob');
  await bob.waitFor(() => bob.lastEventId !== undefined);
  const start = bob.lastEventId!;

  const before = await notified();
  const small = await s.as('np-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'small' });
  await bob.waitFor((e) => e.some((x) => x.data.id === small.body.id), 5000, 'the small message');
  assert.ok((await notified()) > before, 'the small message came from the notification');

  // Over NOTIFY's limit: the notification says only "look", and the node reads the log.
  const afterSmall = await notified();
  const big = await s.as('np-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'x'.repeat(20_000) });
  await bob.waitFor((e) => e.some((x) => x.data.id === big.body.id), 5000, 'the large message');
  const sql =
    await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'np-alice', 'by sql') RETURNING id`;
  await bob.waitFor((e) => e.some((x) => x.data.id === sql[0]!.id), 5000, 'the SQL message');
  assert.equal(await notified(), afterSmall + 1, 'only the SQL message came from a notification');
  const live = bob.of('new_message');
  bob.close();

  // The same events replayed from the log are identical, ts included.
  const replay = await s.sse('np-bob', { lastEventId: start });
  await replay.waitFor((e) => e.filter((x) => x.type === 'new_message').length === 3, 5000, 'the replay');
  assert.deepEqual(replay.of('new_message'), live);
  replay.close();
});

test('a batch bigger than one notification travels in several, in order; an event too big for any ends them', async () => {
  const created = await s.as('np-carol').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'np-dan' }] });
  const ch = created.body.id as string;
  const dan = await s.sse('np-dan');
  await dan.waitFor(() => dan.lastEventId !== undefined);

  // 40 messages of ~500 bytes in one statement: ~30 KB of lines, four or five notifications.
  const before = await notified();
  const rows = await s.sql`
    INSERT INTO channel_messages (channel_id, user_id, content)
    SELECT ${ch}, 'np-carol', 'part ' || g || ' ' || repeat('x', 500) FROM generate_series(1, 40) g
    RETURNING id`;
  await dan.waitFor((e) => e.filter((x) => x.type === 'new_message').length === 40, 5000, 'the 40 messages');
  assert.equal((await notified()) - before, 40, 'all 40 came from notifications, none read from the log');
  assert.deepEqual(
    dan.of('new_message').map((x) => x.data.id),
    rows.map((r) => r.id),
    'in insert order, each once',
  );

  // Small, too big, small in one statement: the first from a notification, the rest from the log.
  const mid = await notified();
  const mixed = await s.sql`
    INSERT INTO channel_messages (channel_id, user_id, content)
    SELECT ${ch}, 'np-carol', CASE WHEN g = 2 THEN repeat('y', 20000) ELSE 'mixed ' || g END
      FROM generate_series(1, 3) g ORDER BY g
    RETURNING id`;
  await dan.waitFor((e) => e.filter((x) => x.type === 'new_message').length === 43, 5000, 'the mixed batch');
  assert.equal((await notified()) - mid, 1, 'only the message before the big one came from a notification');
  const ids = dan.of('new_message').map((x) => x.data.id);
  assert.deepEqual(
    ids.slice(40),
    mixed.map((r) => r.id),
  );
  assert.equal(new Set(ids).size, 43, 'nothing repeated');
  const pos = dan.of('new_message').map((x) => x.pos!);
  assert.deepEqual(
    pos,
    [...pos].sort((a, b) => a - b),
    'in pos order',
  );
  dan.close();
});
