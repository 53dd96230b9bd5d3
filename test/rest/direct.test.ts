import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, CALLER_CHANNEL_KEYS, keys, storesNothing } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

test('POST /direct-messages: 201 new, then 200 with the same channel for the pair in either order', async () => {
  const first = await s.as('d-alice').post('/api/v1/direct-messages', { user_id: 'd-bob' });
  assert.equal(first.status, 201);
  assert.deepEqual(keys(first.body), CALLER_CHANNEL_KEYS);
  assert.equal(first.body.type, 'direct');
  assert.equal(first.body.member_count, 2);
  assert.equal(first.body.created_by, 'd-alice');
  assert.equal(first.body.unread_count, 0);
  const id = first.body.id as string;

  const again = await storesNothing(s, () => s.as('d-alice').post('/api/v1/direct-messages', { user_id: 'd-bob' }));
  assert.equal(again.status, 200);
  assert.equal(again.body.id, id);
  const reverse = await storesNothing(s, () => s.as('d-bob').post('/api/v1/direct-messages', { user_id: 'd-alice' }));
  assert.equal(reverse.status, 200);
  assert.equal(reverse.body.id, id);

  const members = await s.as('d-bob').get(`/api/v1/channels/${id}/members`);
  assert.deepEqual(
    members.body.members.map((m: { user_id: string; role: string }) => `${m.user_id}:${m.role}`).sort(),
    ['d-alice:member', 'd-bob:member'],
  );
  const [row] = await s.sql`SELECT user_a, user_b, channel_id FROM direct_messages WHERE channel_id = ${id}`;
  assert.deepEqual({ ...row }, { user_a: 'd-alice', user_b: 'd-bob', channel_id: id });

  // A third user gets a different channel, and cannot read this one.
  const other = await s.as('d-carol').post('/api/v1/direct-messages', { user_id: 'd-alice' });
  assert.equal(other.status, 201);
  assert.notEqual(other.body.id, id);
  assertError(await s.as('d-carol').get(`/api/v1/channels/${id}`), 403, 'forbidden');
});

test('POST /direct-messages with a user never seen before creates them', async () => {
  const res = await s.as('d-alice').post('/api/v1/direct-messages', { user_id: 'd-newcomer' });
  assert.equal(res.status, 201);
  const list = await s.as('d-newcomer').get('/api/v1/channels');
  assert.deepEqual(
    list.body.channels.map((c: { id: string }) => c.id),
    [res.body.id],
  );
});

test('POST /direct-messages with oneself, or a bad user_id, is 400 and stores nothing', async () => {
  await storesNothing(s, async () => {
    assertError(
      await s.as('d-alice').post('/api/v1/direct-messages', { user_id: 'd-alice' }),
      400,
      'invalid_request',
      'body.user_id',
    );
    assertError(
      await s.as('d-alice').post('/api/v1/direct-messages', { user_id: '' }),
      400,
      'invalid_request',
      'body.user_id',
    );
    assertError(
      await s.as('d-alice').post('/api/v1/direct-messages', { user_id: 7 }),
      400,
      'invalid_request',
      'body.user_id',
    );
    assertError(
      await s.as('d-alice').post('/api/v1/direct-messages', { user_id: 'x'.repeat(129) }),
      400,
      'invalid_request',
      'body.user_id',
    );
    assertError(await s.as('d-alice').post('/api/v1/direct-messages', {}), 400, 'invalid_request', 'body.user_id');
  });
});

test('20 concurrent POST /direct-messages for one pair make exactly one channel', async () => {
  const calls = Array.from({ length: 20 }, (_, i) =>
    i % 2 === 0
      ? s.as('d-race-a').post('/api/v1/direct-messages', { user_id: 'd-race-b' })
      : s.as('d-race-b').post('/api/v1/direct-messages', { user_id: 'd-race-a' }),
  );
  const results = await Promise.all(calls);
  assert.deepEqual(
    results.map((r) => r.status).sort(),
    [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201],
  );
  const ids = new Set(results.map((r) => r.body.id));
  assert.equal(ids.size, 1);
  const dms = await s.sql`SELECT channel_id FROM direct_messages WHERE user_a = 'd-race-a' AND user_b = 'd-race-b'`;
  assert.equal(dms.length, 1);
  assert.equal(dms[0]!.channel_id, [...ids][0]);
  const channels = await s.sql`
    SELECT c.id FROM channels c
     WHERE c.type = 'direct'
       AND EXISTS (SELECT 1 FROM channel_members m WHERE m.channel_id = c.id AND m.user_id = 'd-race-a')
       AND EXISTS (SELECT 1 FROM channel_members m WHERE m.channel_id = c.id AND m.user_id = 'd-race-b')`;
  assert.equal(channels.length, 1);
  const members =
    await s.sql`SELECT count(*)::int AS n FROM channel_members WHERE channel_id = ${[...ids][0] as string}`;
  assert.equal(members[0]!.n, 2);
});

test('every pair can have a direct channel, whatever the database collation orders first', async () => {
  // Byte (code point) order, as on this database and C.UTF-8: 'ｘ' (U+FF58) < '😀' (U+1F600), while
  // UTF-16, which JavaScript sorts by, puts the emoji's surrogates first.
  const a = await s.as('😀').post('/api/v1/direct-messages', { user_id: 'ｘ' });
  assert.equal(a.status, 201, JSON.stringify(a.body));
  const b = await s.as('ｘ').post('/api/v1/direct-messages', { user_id: '😀' });
  assert.equal(b.status, 200);
  assert.equal(b.body.id, a.body.id);
});

test('on an ICU database (en-US: alice < Bob) too', async () => {
  const icu = await startTestServer(
    {},
    "TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'",
  );
  try {
    const [r] = await icu.sql`SELECT 'alice' < 'Bob' AS icu`;
    assert.equal(r!.icu, true, 'the database orders by ICU');
    const a = await icu.as('alice').post('/api/v1/direct-messages', { user_id: 'Bob' });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const b = await icu.as('Bob').post('/api/v1/direct-messages', { user_id: 'alice' });
    assert.equal(b.status, 200);
    assert.equal(b.body.id, a.body.id);
    const [row] = await icu.sql`SELECT user_a, user_b FROM direct_messages WHERE channel_id = ${a.body.id}`;
    assert.deepEqual({ ...row }, { user_a: 'alice', user_b: 'Bob' });
  } finally {
    await icu.close();
  }
});
