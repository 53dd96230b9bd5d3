import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, ISO_RE, keys, MESSAGE_KEYS, MISSING_UUID, send, storesNothing, UUID_RE } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

test('POST /channels/{id}/messages: 201 and the Message with every field', async () => {
  const ch = await group(s, 'ms-alice', ['ms-bob']);
  const res = await s.as('ms-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'hello  world\n' });
  assert.equal(res.status, 201);
  const m = res.body;
  assert.deepEqual(keys(m), MESSAGE_KEYS);
  assert.match(m.id, UUID_RE);
  assert.equal(m.channel_id, ch);
  assert.equal(m.user_id, 'ms-alice');
  assert.equal(m.content, 'hello  world\n');
  assert.equal(m.parent_message_id, null);
  assert.equal(m.thread_reply_count, 0);
  assert.equal(m.last_reply_at, null);
  assert.deepEqual(m.mentions, []);
  assert.deepEqual(m.attachments, []);
  assert.deepEqual(m.reactions, []);
  assert.match(m.created_at, ISO_RE);
  assert.equal(m.edited_at, null);
  assert.equal(m.deleted_at, null);
  const [row] = await s.sql`SELECT content, user_id FROM channel_messages WHERE id = ${m.id}`;
  assert.deepEqual({ ...row }, { content: 'hello  world\n', user_id: 'ms-alice' });
  const channel = await s.as('ms-alice').get(`/api/v1/channels/${ch}`);
  assert.equal(channel.body.last_message_at, m.created_at);
});

test('content of exactly 40,000 characters (multi-byte included) is accepted', async () => {
  const ch = await group(s, 'ms-alice');
  const big = `${'é'.repeat(19_999)}${'😀'.repeat(1)}${'a'.repeat(20_000)}`;
  assert.equal([...big].length, 40_000);
  const m = await send(s, 'ms-alice', ch, big);
  assert.equal(m.content, big);
});

test('sending: non-member 403, unknown channel 404', async () => {
  const ch = await group(s, 'ms-alice');
  await storesNothing(s, async () => {
    assertError(await s.as('ms-bob').post(`/api/v1/channels/${ch}/messages`, { content: 'x' }), 403, 'forbidden');
    assertError(
      await s.as('ms-alice').post(`/api/v1/channels/${MISSING_UUID}/messages`, { content: 'x' }),
      404,
      'not_found',
    );
  }, ['ms-bob']);
});

test('client_id: a retry gets the same message back with 200 and no second row', async () => {
  const ch = await group(s, 'ms-alice', ['ms-bob']);
  const first = await s.as('ms-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'once', client_id: 'c-1' });
  assert.equal(first.status, 201);
  const retry = await storesNothing(s, () =>
    s.as('ms-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'once', client_id: 'c-1' }),
  );
  assert.equal(retry.status, 200);
  assert.deepEqual(retry.body, first.body);
  const rows = await s.sql`SELECT count(*)::int AS n FROM channel_messages WHERE channel_id = ${ch}`;
  assert.equal(rows[0]!.n, 1);

  // The same client_id from another user, or another client_id, is a new message.
  const bob = await s.as('ms-bob').post(`/api/v1/channels/${ch}/messages`, { content: 'once', client_id: 'c-1' });
  assert.equal(bob.status, 201);
  assert.notEqual(bob.body.id, first.body.id);
  const other = await s.as('ms-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'once', client_id: 'c-2' });
  assert.equal(other.status, 201);

  // Concurrent retries: one row.
  const burst = await Promise.all(
    Array.from({ length: 10 }, () =>
      s.as('ms-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'burst', client_id: 'c-burst' }),
    ),
  );
  assert.deepEqual(burst.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
  assert.equal(new Set(burst.map((r) => r.body.id)).size, 1);
  const n = await s.sql`SELECT count(*)::int AS n FROM channel_messages WHERE client_id = 'c-burst'`;
  assert.equal(n[0]!.n, 1);
});

test('client_id: a user removed from the channel gets 403 for a retry, not the message as it is now', async () => {
  const ch = await group(s, 'ms-owner', ['ms-gone']);
  const first = await s.as('ms-gone').post(`/api/v1/channels/${ch}/messages`, { content: 'before', client_id: 'c-r' });
  assert.equal(first.status, 201);
  await s.as('ms-owner').put(`/api/v1/messages/${first.body.id}/reactions/${encodeURIComponent('👍')}`);
  assert.equal((await s.as('ms-owner').delete(`/api/v1/channels/${ch}/members/ms-gone`)).status, 204);
  const retry = await s.as('ms-gone').post(`/api/v1/channels/${ch}/messages`, { content: 'before', client_id: 'c-r' });
  assertError(retry, 403, 'forbidden');
  assert.equal(JSON.stringify(retry.body).includes('👍'), false, 'nothing of the channel since the removal');
});

test('mentions must be members of the channel: 400 naming body.mentions, nothing stored', async () => {
  const ch = await group(s, 'ms-alice', ['ms-bob']);
  const ok = await send(s, 'ms-alice', ch, { content: '@bob', mentions: ['ms-bob'] });
  assert.deepEqual(ok.mentions, ['ms-bob']);
  await storesNothing(s, async () => {
    const res = await s.as('ms-alice').post(`/api/v1/channels/${ch}/messages`, {
      content: '@carol',
      mentions: ['ms-bob', 'ms-carol'],
    });
    assertError(res, 400, 'invalid_request', 'body.mentions');
  });
});

test('PATCH /messages/{id}: the author edits (200, edited_at set); others 403; deleted 409', async () => {
  const ch = await group(s, 'ms-alice', ['ms-bob']);
  const m = await send(s, 'ms-alice', ch, 'frist');
  const edited = await s.as('ms-alice').patch(`/api/v1/messages/${m.id}`, { content: 'first', mentions: ['ms-bob'] });
  assert.equal(edited.status, 200);
  assert.deepEqual(keys(edited.body), MESSAGE_KEYS);
  assert.equal(edited.body.id, m.id);
  assert.equal(edited.body.content, 'first');
  assert.deepEqual(edited.body.mentions, ['ms-bob']);
  assert.match(edited.body.edited_at, ISO_RE);
  assert.equal(edited.body.created_at, m.created_at);

  // Editing the content alone keeps the mentions.
  const again = await s.as('ms-alice').patch(`/api/v1/messages/${m.id}`, { content: 'first!' });
  assert.deepEqual(again.body.mentions, ['ms-bob']);

  await storesNothing(s, async () => {
    assertError(await s.as('ms-bob').patch(`/api/v1/messages/${m.id}`, { content: 'mine' }), 403, 'forbidden');
    assertError(await s.as('ms-carol').patch(`/api/v1/messages/${m.id}`, { content: 'mine' }), 403, 'forbidden');
    assertError(await s.as('ms-alice').patch(`/api/v1/messages/${MISSING_UUID}`, { content: 'x' }), 404, 'not_found');
    assertError(
      await s.as('ms-alice').patch(`/api/v1/messages/${m.id}`, { content: 'x', mentions: ['ms-carol'] }),
      400,
      'invalid_request',
      'body.mentions',
    );
  }, ['ms-carol']);

  assert.equal((await s.as('ms-alice').delete(`/api/v1/messages/${m.id}`)).status, 204);
  await storesNothing(s, async () => {
    assertError(await s.as('ms-alice').patch(`/api/v1/messages/${m.id}`, { content: 'back' }), 409, 'conflict');
  });
});

test('DELETE /messages/{id}: author, owner or admin; soft (content emptied, deleted_at set); others 403', async () => {
  const res = await s.as('ms-owner').post('/api/v1/channels', {
    type: 'group',
    members: [{ user_id: 'ms-admin', role: 'admin' }, { user_id: 'ms-m1' }, { user_id: 'ms-m2' }],
  });
  const ch = res.body.id as string;
  const byAuthor = await send(s, 'ms-m1', ch, { content: 'a', mentions: ['ms-m2'] });
  const byOwner = await send(s, 'ms-m1', ch, 'b');
  const byAdmin = await send(s, 'ms-m1', ch, 'c');
  await s.as('ms-m2').put(`/api/v1/messages/${byAuthor.id}/reactions/${encodeURIComponent('👍')}`);

  await storesNothing(s, async () => {
    assertError(await s.as('ms-m2').delete(`/api/v1/messages/${byAuthor.id}`), 403, 'forbidden');
    assertError(await s.as('ms-outsider').delete(`/api/v1/messages/${byAuthor.id}`), 403, 'forbidden');
    assertError(await s.as('ms-m1').delete(`/api/v1/messages/${MISSING_UUID}`), 404, 'not_found');
  }, ['ms-outsider']);

  for (const [who, m] of [
    ['ms-m1', byAuthor],
    ['ms-owner', byOwner],
    ['ms-admin', byAdmin],
  ] as const) {
    const del = await s.as(who).delete(`/api/v1/messages/${m.id}`);
    assert.equal(del.status, 204, `${who}: ${JSON.stringify(del.body)}`);
    assert.equal(del.body, null);
  }
  const [row] = await s.sql`SELECT content, mentions, deleted_at FROM channel_messages WHERE id = ${byAuthor.id}`;
  assert.equal(row!.content, '');
  assert.deepEqual(row!.mentions, []);
  assert.ok(row!.deleted_at instanceof Date);

  const page = await s.as('ms-m2').get(`/api/v1/channels/${ch}/messages`);
  assert.equal(page.body.messages.length, 3);
  for (const m of page.body.messages) {
    assert.equal(m.content, '');
    assert.match(m.deleted_at, ISO_RE);
    assert.deepEqual(m.mentions, []);
    assert.deepEqual(m.reactions, []);
  }
  // Deleting again is harmless.
  const again = await storesNothing(s, () => s.as('ms-m1').delete(`/api/v1/messages/${byAuthor.id}`));
  assert.equal(again.status, 204);
});

test('in a direct channel the other member cannot delete my message', async () => {
  const dm = await s.as('ms-d1').post('/api/v1/direct-messages', { user_id: 'ms-d2' });
  const m = await send(s, 'ms-d1', dm.body.id, 'mine');
  assertError(await s.as('ms-d2').delete(`/api/v1/messages/${m.id}`), 403, 'forbidden');
});

test('the answer to a send is the Message the database builds: history, thread and the live event agree', async () => {
  const ch = await group(s, 'ms-shape-a', ['ms-shape-b']);
  const b = await s.sse('ms-shape-b');
  await b.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'connected');
  // Ids in the path and body in capitals: the answer spells them as PostgreSQL does, like a GET.
  const post = (body: Record<string, unknown>) =>
    s.as('ms-shape-a').post(`/api/v1/channels/${ch.toUpperCase()}/messages`, body);
  const plain = await post({ content: 'plain' });
  const mention = await post({ content: 'hi @b', mentions: ['ms-shape-b'], client_id: 'shape-1' });
  const reply = await post({ content: 'a reply', parent_message_id: plain.body.id.toUpperCase() });
  for (const r of [plain, mention, reply]) assert.equal(r.status, 201, JSON.stringify(r.body));

  const history = await s.as('ms-shape-a').get(`/api/v1/channels/${ch}/messages`);
  const thread = await s.as('ms-shape-a').get(`/api/v1/messages/${plain.body.id}/thread`);
  await b.waitFor((e) => e.filter((x) => x.type === 'new_message').length >= 3, 5000, 'three new_message events');
  const live = b.of('new_message').map((e) => e.data);
  b.close();
  assert.deepEqual(live, [plain.body, mention.body, reply.body]);
  assert.deepEqual(
    history.body.messages.filter((m: { id: string }) => m.id === mention.body.id),
    [mention.body],
  );
  // The parent's reply count has moved on since; the reply itself is as it was answered.
  assert.deepEqual(thread.body.replies, [reply.body]);
  assert.equal(plain.body.channel_id, ch);
  assert.equal(reply.body.parent_message_id, plain.body.id);
});
