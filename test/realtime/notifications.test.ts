/**
 * Offline notifications, delivered by webhook to a real receiver: a `notification` event when a
 * message mentions a user, is sent in their direct channel, or replies in their thread, and the user
 * had no open stream for PARLEY_NOTIFY_AFTER (1 s here) and had not read it by then. Muted members,
 * notification_level, read receipts and open streams are honoured; user streams never get it; a
 * second node and a re-run of the same window write nothing twice; PARLEY_NOTIFICATION_CONTENT=0
 * leaves the text out.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createServerKey } from '../../src/db/server-keys.ts';
import { eventually } from '../helpers/delivery.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { Receiver } from '../helpers/webhook-receiver.ts';
import { group, send } from '../rest/lib.ts';

const SECRET = `whsec_${Buffer.from('notification-tests-0123456789abcdef').toString('base64')}`;
const FAST = {
  webhookRetryMinMs: 100,
  webhookPollMs: 500,
  webhookLeaseMs: 2_000,
  notifyAfterMs: 1_000,
  presenceGraceMs: 300,
};
const receivers: Receiver[] = [];
const servers: TestServer[] = [];
after(async () => {
  for (const r of receivers) await r.stop();
  for (const s of servers) await s.close();
});

async function setup(overrides: Record<string, unknown> = {}) {
  const s = await startTestServer({ ...FAST, ...overrides });
  servers.push(s);
  const r = new Receiver();
  r.secret = SECRET;
  receivers.push(r);
  await r.start();
  const key = (await createServerKey(s.sql, 'notifications')).key;
  const res = await s.raw('POST', '/api/v1/server/webhooks', {
    body: { url: r.url, secret: SECRET, events: ['notification'] },
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(res.status, 201);
  return { s, r };
}

/** Waits until the job has passed every event so far and the webhook has delivered what it wrote. */
async function settled(s: TestServer): Promise<void> {
  const [h] = await s.sql`SELECT max(pos)::bigint AS pos FROM event_log WHERE type = 'new_message'`;
  await eventually(
    async () => {
      const [w] = await s.sql`SELECT value FROM parley_state WHERE key = 'notified_through'`;
      return Number(w!.value) >= Number(h!.pos);
    },
    15_000,
    'the notification job past every message',
  );
  await eventually(
    async () => {
      const [x] = await s.sql`
        SELECT (SELECT coalesce(max(pos), 0) FROM event_log) <= min(cursor_pos) AS done FROM webhook_endpoints`;
      return Boolean(x!.done);
    },
    15_000,
    'the webhook caught up',
  );
}

let main: { s: TestServer; r: Receiver };
before(async () => {
  main = await setup();
});

test('mention, direct, reply: one notification each, with the reason and the content; nothing on user streams', async () => {
  const { s, r } = main;
  const ch = await group(s, 'n-ann', ['n-bob', 'n-eve']);
  const authorStream = await s.sse('n-ann');
  const mention = await send(s, 'n-ann', ch, { content: 'see you @n-bob', mentions: ['n-bob'] });
  const dm = await s.as('n-ann').post('/api/v1/direct-messages', { user_id: 'n-dan' });
  assert.ok([200, 201].includes(dm.status));
  const direct = await send(s, 'n-ann', dm.body.id, 'a direct word');
  const parent = await send(s, 'n-eve', ch, 'my question');
  const reply = await send(s, 'n-ann', ch, { content: 'my answer', parent_message_id: parent.id });
  await settled(s);
  const got = r.acked().map((h) => h.event);
  const find = (user: string, message: string) =>
    got.filter((e) => e.data.user_id === user && e.data.message_id === message);
  assert.deepEqual(
    find('n-bob', mention.id).map((e) => e.data),
    [{ user_id: 'n-bob', channel_id: ch, message_id: mention.id, reason: 'mention', content: 'see you @n-bob' }],
  );
  assert.deepEqual(
    find('n-dan', direct.id).map((e) => e.data.reason),
    ['direct'],
  );
  assert.deepEqual(
    find('n-eve', reply.id).map((e) => e.data.reason),
    ['reply'],
  );
  for (const e of got) {
    assert.equal(e.type, 'notification');
    assert.equal(e.channel_id, e.data.channel_id);
    assert.notEqual(e.data.user_id, 'n-ann', 'the author is never told of their own message');
  }
  // Bob was mentioned in a message Eve also got (a member, not mentioned): only Bob is told.
  assert.deepEqual(find('n-eve', mention.id), []);
  assert.equal(
    authorStream.events.some((e) => e.type === 'notification'),
    false,
    'not on a member stream',
  );
  authorStream.close();
  // A replay of the whole log to a member sends none either.
  const replay = await s.sse('n-bob', { lastEventId: '0' });
  await replay.waitFor(
    () => replay.events.some((e) => e.pos === reply.pos || (e.data as { id?: string }).id === reply.id),
    10_000,
    'the replay',
  );
  assert.equal(
    replay.events.some((e) => e.type === 'notification'),
    false,
    'not in a replay',
  );
  replay.close();
});

test('muted, notification_level, read before the delay, online now: no notification', async () => {
  const { s, r } = main;
  const ch = await group(s, 'q-ann', ['q-muted', 'q-none', 'q-ment', 'q-read', 'q-online']);
  assert.equal((await s.as('q-muted').patch(`/api/v1/channels/${ch}/members/me`, { muted: true })).status, 200);
  assert.equal(
    (await s.as('q-none').patch(`/api/v1/channels/${ch}/members/me`, { notification_level: 'none' })).status,
    200,
  );
  assert.equal(
    (await s.as('q-ment').patch(`/api/v1/channels/${ch}/members/me`, { notification_level: 'mentions' })).status,
    200,
  );
  const online = await s.sse('q-online');
  await eventually(
    async () => (await s.as('q-ann').get('/api/v1/user/q-online/status')).body.online === true,
    5_000,
    'q-online online',
  );
  const everyone = ['q-muted', 'q-none', 'q-ment', 'q-read', 'q-online'];
  const m = await send(s, 'q-ann', ch, { content: 'all of you', mentions: everyone });
  // Read at once, well before the delay.
  assert.equal((await s.as('q-read').post(`/api/v1/channels/${ch}/read`, { message_id: m.id })).status, 204);
  // A reply in q-ment's thread: their level lets mentions through, not replies.
  const parent = await send(s, 'q-ment', ch, 'thread of mine');
  const reply = await send(s, 'q-ann', ch, { content: 'a reply', parent_message_id: parent.id });
  await settled(s);
  const got = r.acked().map((h) => h.event.data);
  const about = (id: string) => got.filter((d) => d.message_id === id).map((d) => `${d.user_id}:${d.reason}`);
  assert.deepEqual(about(m.id), ['q-ment:mention'], 'only the member whose level lets a mention through');
  assert.deepEqual(about(reply.id), [], 'a reply is not a mention');
  online.close();
});

test('idempotent: a second node, and the same window run again, write no second notification', async () => {
  const { s } = main;
  const other = await s.startNode({ ...FAST, nodeId: 'notify-2' });
  const ch = await group(s, 'i-ann', ['i-bob']);
  const m = await send(s, 'i-ann', ch, { content: 'once', mentions: ['i-bob'] });
  await settled(s);
  const count = async () =>
    Number((await s.sql`SELECT count(*) AS n FROM event_log WHERE type = 'notification'`)[0]!.n);
  const before = await count();
  const [n] = await s.sql`SELECT count(*)::int AS n FROM notifications WHERE message_id = ${m.id}`;
  assert.equal(n!.n, 1);
  // Both nodes go over everything again, from the start.
  await s.sql`UPDATE parley_state SET value = 0 WHERE key = 'notified_through'`;
  await Promise.all([s.parley.notifier.runOnce(), other.notifier.runOnce()]);
  await s.parley.notifier.runOnce();
  assert.equal(await count(), before, 'no notification event written again');
  const pairs = await s.sql`
    SELECT data->>'user_id' AS u, data->>'message_id' AS m, count(*)::int AS n FROM event_log
     WHERE type = 'notification' GROUP BY 1, 2 HAVING count(*) > 1`;
  assert.deepEqual([...pairs], [], 'never two notifications for one user and message');
});

test('PARLEY_NOTIFICATION_CONTENT=0: the notification has no content', async () => {
  const { s, r } = await setup({ notificationContent: false });
  const ch = await group(s, 'c-ann', ['c-bob']);
  const m = await send(s, 'c-ann', ch, { content: 'a secret address', mentions: ['c-bob'] });
  await settled(s);
  const got = r.acked().map((h) => h.event.data);
  assert.deepEqual(got, [{ user_id: 'c-bob', channel_id: ch, message_id: m.id, reason: 'mention' }]);
  assert.equal(
    r.hits.some((h) => h.body.includes('secret address')),
    false,
  );
});
