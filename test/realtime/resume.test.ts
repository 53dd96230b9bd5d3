import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { SseClient } from '../helpers/sse.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

async function channel(owner: string, members: string[]): Promise<string> {
  const r = await s.as(owner).post('/api/v1/channels', {
    type: 'group',
    members: members.map((user_id) => ({ user_id })),
  });
  assert.equal(r.status, 201);
  return r.body.id as string;
}

const send = (user: string, ch: string, content: string) =>
  s.as(user).post(`/api/v1/channels/${ch}/messages`, { content });

test('a client that reconnects with Last-Event-ID gets what it missed, once, in order', async () => {
  const ch = await channel('r-alice', ['r-bob']);
  const first = await s.sse('r-bob');
  await send('r-alice', ch, 'one');
  await first.waitFor((e) => e.some((x) => x.data.content === 'one'));
  const resumeFrom = first.lastEventId!;
  first.close();
  await send('r-alice', ch, 'two');
  await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'r-alice', 'three')`;
  const second = await s.sse('r-bob', { lastEventId: resumeFrom });
  await second.waitFor((e) => e.filter((x) => x.type === 'new_message').length >= 2, 5000, 'two missed messages');
  await send('r-alice', ch, 'four');
  await second.waitFor((e) => e.some((x) => x.data.content === 'four'));
  assert.equal(second.events[0]!.type, 'connection');
  assert.equal(second.events[0]!.data.resumed, true);
  assert.deepEqual(
    second.of('new_message').map((e) => e.data.content),
    ['two', 'three', 'four'],
  );
  const pos = second.events.filter((e) => e.pos !== undefined).map((e) => e.pos!);
  assert.deepEqual(
    pos,
    [...pos].sort((a, b) => a - b),
  );
  assert.ok(pos[0]! > Number(resumeFrom));
  second.close();
});

test('?last_event_id works like the header; a bad one is a 400', async () => {
  const ch = await channel('q-alice', ['q-bob']);
  const first = await s.sse('q-bob');
  await send('q-alice', ch, 'a');
  await first.waitFor((e) => e.some((x) => x.data.content === 'a'));
  const from = first.lastEventId!;
  first.close();
  await send('q-alice', ch, 'b');
  const token = await s.token('q-bob');
  const viaQuery = await SseClient.open(s.url, `/api/v1/events?access_token=${token}&last_event_id=${from}`);
  await viaQuery.waitFor((e) => e.some((x) => x.data.content === 'b'));
  assert.deepEqual(
    viaQuery.of('new_message').map((e) => e.data.content),
    ['b'],
  );
  viaQuery.close();
  const bad = await SseClient.open(s.url, `/api/v1/events?access_token=${token}&last_event_id=abc`);
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.errorBody).error.code, 'invalid_request');
});

test('a fresh stream sets a resume point at once, so a reconnect before any event loses nothing', async () => {
  const ch = await channel('f-alice', ['f-bob']);
  const first = await s.sse('f-bob');
  await first.waitFor((e) => e.some((x) => x.type === 'connection'));
  await first.waitFor(() => first.lastEventId !== undefined, 2000, 'an id-only block');
  const from = first.lastEventId!;
  first.close();
  await send('f-alice', ch, 'sent while away');
  const second = await s.sse('f-bob', { lastEventId: from });
  await second.waitFor((e) => e.some((x) => x.data.content === 'sent while away'));
  second.close();
});

test('membership changes while away are judged at each event: added sees from the join, removed up to the leave', async () => {
  const ch = await channel('m-alice', ['m-gone']);
  const gone = await s.sse('m-gone');
  const late = await s.sse('m-late');
  await Promise.all([gone, late].map((c) => c.waitFor(() => c.lastEventId !== undefined, 3000, 'resume point')));
  const goneFrom = gone.lastEventId!;
  const lateFrom = late.lastEventId!;
  gone.close();
  late.close();
  await send('m-alice', ch, 'm1');
  await s.as('m-alice').delete(`/api/v1/channels/${ch}/members/m-gone`);
  await send('m-alice', ch, 'm2');
  await s.as('m-alice').post(`/api/v1/channels/${ch}/members`, { user_id: 'm-late' });
  await send('m-alice', ch, 'm3');
  const goneBack = await s.sse('m-gone', { lastEventId: goneFrom });
  const lateBack = await s.sse('m-late', { lastEventId: lateFrom });
  await lateBack.waitFor((e) => e.some((x) => x.data.content === 'm3'));
  await goneBack.waitFor((e) => e.some((x) => x.type === 'member_left'));
  // A later event elsewhere, for m-gone, shows the replay is complete.
  const other = await channel('m-alice', ['m-gone']);
  await goneBack.waitFor((e) => e.some((x) => x.type === 'channel_created' && x.channel_id === other));
  assert.deepEqual(
    goneBack.events
      .filter((e) => e.channel_id === ch)
      .map((e) => e.type + (e.data.content ? `:${e.data.content}` : '')),
    ['new_message:m1', 'member_left'],
  );
  assert.deepEqual(
    lateBack.events
      .filter((e) => e.channel_id === ch)
      .map((e) => e.type + (e.data.content ? `:${e.data.content}` : '')),
    ['member_joined', 'new_message:m3'],
  );
  goneBack.close();
  lateBack.close();
});

test('a resume point older than the kept history gets reset', async () => {
  const ch = await channel('p-alice', ['p-bob']);
  await send('p-alice', ch, 'old');
  const [{ head }] = (await s.sql`SELECT max(pos) AS head FROM event_log`) as unknown as [{ head: number }];
  // What retention does: remove old rows and record how far it went.
  await s.sql`
    INSERT INTO parley_state (key, value) VALUES ('pruned_through', ${head})
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`;
  const c = await s.sse('p-bob', { lastEventId: '1' });
  await c.waitFor((e) => e.some((x) => x.type === 'reset'));
  assert.equal(c.events[0]!.type, 'connection');
  assert.equal(c.events[0]!.data.resumed, false);
  assert.equal(c.events[1]!.type, 'reset');
  assert.equal(c.events[1]!.pos, undefined);
  await send('p-alice', ch, 'new');
  await c.waitFor((e) => e.some((x) => x.data.content === 'new'));
  c.close();
  await s.sql`DELETE FROM parley_state WHERE key = 'pruned_through'`;
  // A resume point from the future (another database) is a reset too, not silence.
  const future = await s.sse('p-bob', { lastEventId: String(Number(head) + 1_000_000) });
  await future.waitFor((e) => e.some((x) => x.type === 'reset'));
  future.close();
});

test('a resume on a node started after the events replays them from the log', async () => {
  const ch = await channel('db-alice', ['db-bob']);
  const first = await s.sse('db-bob');
  await first.waitFor(() => first.lastEventId !== undefined);
  const from = first.lastEventId!;
  first.close();
  await send('db-alice', ch, 'before the new node');
  await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'db-alice', 'also before')`;
  await s.as('db-alice').delete(`/api/v1/channels/${ch}/members/db-bob`);
  await send('db-alice', ch, 'after bob left');
  const late = await s.startNode();
  const c = await SseClient.open(late.url, '/api/v1/events', { token: await s.token('db-bob'), lastEventId: from });
  await c.waitFor((e) => e.some((x) => x.type === 'member_left'));
  assert.deepEqual(
    c.events.filter((e) => e.channel_id === ch).map((e) => e.type + (e.data.content ? `:${e.data.content}` : '')),
    ['new_message:before the new node', 'new_message:also before', 'member_left'],
  );
  const metrics = (await late.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /parley_replayed_events_total [1-9]/);
  c.close();
});
