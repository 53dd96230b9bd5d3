import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, keys, MESSAGE_KEYS, MISSING_UUID, send, storesNothing } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

test('replies: thread_reply_count and last_reply_at kept on the parent; GET /messages/{id}/thread', async () => {
  const ch = await group(s, 't-alice', ['t-bob']);
  const parent = await send(s, 't-alice', ch, 'question');
  const r1 = await send(s, 't-bob', ch, { content: 'answer 1', parent_message_id: parent.id });
  assert.deepEqual(keys(r1), MESSAGE_KEYS);
  assert.equal(r1.parent_message_id, parent.id);
  const r2 = await send(s, 't-alice', ch, { content: 'answer 2', parent_message_id: parent.id });
  const r3 = await send(s, 't-bob', ch, { content: 'answer 3', parent_message_id: parent.id });

  const t = await s.as('t-bob').get(`/api/v1/messages/${parent.id}/thread`);
  assert.equal(t.status, 200);
  assert.deepEqual(keys(t.body), ['has_more', 'parent', 'replies']);
  assert.equal(t.body.parent.id, parent.id);
  assert.equal(t.body.parent.thread_reply_count, 3);
  assert.equal(t.body.parent.last_reply_at, r3.created_at);
  assert.deepEqual(
    t.body.replies.map((r: { id: string }) => r.id),
    [r1.id, r2.id, r3.id],
  );
  assert.equal(t.body.has_more, false);
  for (const r of t.body.replies) assert.deepEqual(keys(r), MESSAGE_KEYS);

  // The DB keeps the counters whoever writes: a reply inserted with SQL counts too.
  await s.sql`INSERT INTO channel_messages (channel_id, user_id, content, parent_message_id)
              VALUES (${ch}, 't-alice', 'via SQL', ${parent.id})`;
  const [row] = await s.sql`SELECT thread_reply_count FROM channel_messages WHERE id = ${parent.id}`;
  assert.equal(row!.thread_reply_count, 4);

  // Asking for the thread by one of its replies gives the same thread.
  const viaReply = await s.as('t-alice').get(`/api/v1/messages/${r2.id}/thread`);
  assert.equal(viaReply.body.parent.id, parent.id);
  assert.equal(viaReply.body.replies.length, 4);

  // Paging through a thread.
  const p1 = await s.as('t-alice').get(`/api/v1/messages/${parent.id}/thread?limit=2`);
  assert.deepEqual(
    p1.body.replies.map((r: { id: string }) => r.id),
    [r1.id, r2.id],
  );
  assert.equal(p1.body.has_more, true);
  const p2 = await s.as('t-alice').get(`/api/v1/messages/${parent.id}/thread?limit=2&after=${r2.id}`);
  assert.deepEqual(
    p2.body.replies.map((r: { content: string }) => r.content),
    ['answer 3', 'via SQL'],
  );
  assert.equal(p2.body.has_more, false);

  // The parent in history shows the counters too.
  const hist = await s.as('t-alice').get(`/api/v1/channels/${ch}/messages`);
  assert.equal(hist.body.messages.length, 1);
  assert.equal(hist.body.messages[0].thread_reply_count, 4);
});

test('a message with no replies has an empty thread', async () => {
  const ch = await group(s, 't-alice');
  const m = await send(s, 't-alice', ch, 'alone');
  const t = await s.as('t-alice').get(`/api/v1/messages/${m.id}/thread`);
  assert.equal(t.status, 200);
  assert.equal(t.body.parent.id, m.id);
  assert.equal(t.body.parent.thread_reply_count, 0);
  assert.equal(t.body.parent.last_reply_at, null);
  assert.deepEqual(t.body.replies, []);
  assert.equal(t.body.has_more, false);
});

test("a reply to a reply, to another channel's message, or to no message is 400; nothing stored", async () => {
  const ch = await group(s, 't-alice', ['t-bob']);
  const other = await group(s, 't-alice');
  const parent = await send(s, 't-alice', ch, 'top');
  const reply = await send(s, 't-bob', ch, { content: 'reply', parent_message_id: parent.id });
  const foreign = await send(s, 't-alice', other, 'elsewhere');
  await storesNothing(s, async () => {
    for (const parent_message_id of [reply.id, foreign.id, MISSING_UUID]) {
      const res = await s.as('t-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'x', parent_message_id });
      assertError(res, 400, 'invalid_request', 'body.parent_message_id');
    }
    assertError(
      await s.as('t-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'x', parent_message_id: 'nope' }),
      400,
      'invalid_request',
      'body.parent_message_id',
    );
  });
  const [row] = await s.sql`SELECT thread_reply_count FROM channel_messages WHERE id = ${parent.id}`;
  assert.equal(row!.thread_reply_count, 1);
});

test('GET thread: non-member 403, unknown 404, bad limit/after 400', async () => {
  const ch = await group(s, 't-alice');
  const m = await send(s, 't-alice', ch, 'private');
  const other = await send(s, 't-alice', ch, 'not a reply');
  assertError(await s.as('t-eve').get(`/api/v1/messages/${m.id}/thread`), 403, 'forbidden');
  assertError(await s.as('t-alice').get(`/api/v1/messages/${MISSING_UUID}/thread`), 404, 'not_found');
  assertError(await s.as('t-alice').get('/api/v1/messages/xyz/thread'), 400, 'invalid_request', 'params.id');
  assertError(
    await s.as('t-alice').get(`/api/v1/messages/${m.id}/thread?limit=0`),
    400,
    'invalid_request',
    'query.limit',
  );
  assertError(
    await s.as('t-alice').get(`/api/v1/messages/${m.id}/thread?limit=201`),
    400,
    'invalid_request',
    'query.limit',
  );
  assertError(
    await s.as('t-alice').get(`/api/v1/messages/${m.id}/thread?after=${other.id}`),
    400,
    'invalid_request',
    'query.after',
  );
});
