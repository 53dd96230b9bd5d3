import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, ISO_RE, MISSING_UUID, send, storesNothing } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

async function counts(user: string, ch: string) {
  const list = await s.as(user).get('/api/v1/channels');
  const c = list.body.channels.find((x: { id: string }) => x.id === ch);
  const one = await s.as(user).get(`/api/v1/channels/${ch}`);
  const view = { unread: c.unread_count, mentions: c.mention_count, last: c.last_read_message_id };
  // GET /channels/{id} agrees with the list.
  assert.deepEqual(
    { unread: one.body.unread_count, mentions: one.body.mention_count, last: one.body.last_read_message_id },
    view,
  );
  return view;
}

async function member(user: string, ch: string) {
  const res = await s.as(user).get(`/api/v1/channels/${ch}/members`);
  return res.body.members.find((m: { user_id: string }) => m.user_id === user);
}

test("unread_count counts others' non-deleted messages after the read point; mention_count the caller's mentions", async () => {
  const ch = await group(s, 'rd-alice', ['rd-bob', 'rd-carol']);
  assert.deepEqual(await counts('rd-bob', ch), { unread: 0, mentions: 0, last: null });

  await send(s, 'rd-alice', ch, 'one');
  const m2 = await send(s, 'rd-alice', ch, { content: '@bob two', mentions: ['rd-bob'] });
  await send(s, 'rd-bob', ch, 'my own does not count');
  await send(s, 'rd-carol', ch, { content: '@carol only', mentions: ['rd-carol'] });
  const m5 = await send(s, 'rd-alice', ch, { content: '@bob again', mentions: ['rd-bob', 'rd-carol'] });
  const gone = await send(s, 'rd-alice', ch, 'deleted later');
  await s.as('rd-alice').delete(`/api/v1/messages/${gone.id}`);

  assert.deepEqual(await counts('rd-bob', ch), { unread: 4, mentions: 2, last: null });
  assert.deepEqual(await counts('rd-carol', ch), { unread: 4, mentions: 1, last: null });
  assert.deepEqual(await counts('rd-alice', ch), { unread: 2, mentions: 0, last: null });

  const read = await s.as('rd-bob').post(`/api/v1/channels/${ch}/read`, { message_id: m2.id });
  assert.equal(read.status, 204);
  assert.equal(read.body, null);
  assert.deepEqual(await counts('rd-bob', ch), { unread: 2, mentions: 1, last: m2.id });
  const me = await member('rd-bob', ch);
  assert.equal(me.last_read_message_id, m2.id);
  assert.match(me.last_read_at, ISO_RE);

  await s.as('rd-bob').post(`/api/v1/channels/${ch}/read`, { message_id: m5.id });
  assert.deepEqual(await counts('rd-bob', ch), { unread: 0, mentions: 0, last: m5.id });
  // Carol is untouched by Bob's receipts.
  assert.deepEqual(await counts('rd-carol', ch), { unread: 4, mentions: 1, last: null });
});

test('the read point only moves forward: an older message_id leaves it where it is', async () => {
  const ch = await group(s, 'rd-alice', ['rd-bob']);
  const m1 = await send(s, 'rd-alice', ch, 'one');
  const m2 = await send(s, 'rd-alice', ch, 'two');
  const m3 = await send(s, 'rd-alice', ch, 'three');
  await s.as('rd-bob').post(`/api/v1/channels/${ch}/read`, { message_id: m2.id });
  const before = await member('rd-bob', ch);

  await storesNothing(s, async () => {
    const older = await s.as('rd-bob').post(`/api/v1/channels/${ch}/read`, { message_id: m1.id });
    assert.equal(older.status, 204);
    const same = await s.as('rd-bob').post(`/api/v1/channels/${ch}/read`, { message_id: m2.id });
    assert.equal(same.status, 204);
  });
  assert.deepEqual(await member('rd-bob', ch), before);
  assert.deepEqual(await counts('rd-bob', ch), { unread: 1, mentions: 0, last: m2.id });

  await s.as('rd-bob').post(`/api/v1/channels/${ch}/read`, { message_id: m3.id });
  assert.equal((await member('rd-bob', ch)).last_read_message_id, m3.id);
});

test("read receipts: another channel's message 400, non-member 403, unknown channel 404, bad body 400", async () => {
  const ch = await group(s, 'rd-alice', ['rd-bob']);
  const other = await group(s, 'rd-alice');
  const foreign = await send(s, 'rd-alice', other, 'elsewhere');
  const m = await send(s, 'rd-alice', ch, 'here');
  await storesNothing(s, async () => {
    const base = `/api/v1/channels/${ch}/read`;
    assertError(await s.as('rd-bob').post(base, { message_id: foreign.id }), 400, 'invalid_request', 'body.message_id');
    assertError(
      await s.as('rd-bob').post(base, { message_id: MISSING_UUID }),
      400,
      'invalid_request',
      'body.message_id',
    );
    assertError(await s.as('rd-bob').post(base, { message_id: 'x' }), 400, 'invalid_request', 'body.message_id');
    assertError(await s.as('rd-bob').post(base, {}), 400, 'invalid_request', 'body.message_id');
    assertError(await s.as('rd-eve').post(base, { message_id: m.id }), 403, 'forbidden');
    assertError(
      await s.as('rd-bob').post(`/api/v1/channels/${MISSING_UUID}/read`, { message_id: m.id }),
      404,
      'not_found',
    );
  }, ['rd-eve']);
});
