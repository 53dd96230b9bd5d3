import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, keys, MISSING_UUID, send } from './lib.ts';

let s: TestServer;
let ch: string;
/** 120 top-level messages "m0".."m119", and replies "r0".."r4" to m10. */
let ids: string[];
let replies: string[];

before(async () => {
  s = await startTestServer();
  ch = await group(s, 'h-alice', ['h-bob']);
  ids = [];
  for (let i = 0; i < 120; i++) ids.push((await send(s, i % 2 ? 'h-bob' : 'h-alice', ch, `m${i}`)).id);
  replies = [];
  for (let i = 0; i < 5; i++)
    replies.push((await send(s, 'h-bob', ch, { content: `r${i}`, parent_message_id: ids[10] })).id);
});
after(async () => {
  await s.close();
});

const contents = (res: { body: { messages: { content: string }[] } }) => res.body.messages.map((m) => m.content);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

test('default page: the newest 50 top-level messages, oldest to newest, has_more', async () => {
  const res = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages`);
  assert.equal(res.status, 200);
  assert.deepEqual(keys(res.body), ['has_more', 'messages']);
  assert.deepEqual(contents(res), range(70, 120));
  assert.equal(res.body.has_more, true);
});

test('limit: 1 and 200 are allowed; the whole history fits in 200 with has_more false', async () => {
  const one = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?limit=1`);
  assert.deepEqual(contents(one), ['m119']);
  assert.equal(one.body.has_more, true);
  const all = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?limit=200`);
  assert.deepEqual(contents(all), range(0, 120));
  assert.equal(all.body.has_more, false);
  const exact = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?limit=120`);
  assert.deepEqual(contents(exact), range(0, 120));
  assert.equal(exact.body.has_more, false);
});

test('before: the page preceding a message; paging back reaches the start exactly once', async () => {
  const res = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?before=${ids[70]}&limit=30`);
  assert.deepEqual(contents(res), range(40, 70));
  assert.equal(res.body.has_more, true);

  const seen: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const page = await s
      .as('h-bob')
      .get(`/api/v1/channels/${ch}/messages?limit=50${cursor ? `&before=${cursor}` : ''}`);
    seen.unshift(...contents(page));
    if (!page.body.has_more) break;
    cursor = page.body.messages[0].id;
  }
  assert.deepEqual(seen, range(0, 120));

  const first = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?before=${ids[0]}`);
  assert.deepEqual(first.body, { messages: [], has_more: false });
});

test('after: the page following a message, oldest to newest; paging forward reaches the end', async () => {
  const res = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?after=${ids[9]}&limit=5`);
  assert.deepEqual(contents(res), range(10, 15));
  assert.equal(res.body.has_more, true);

  const tail = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?after=${ids[110]}&limit=9`);
  assert.deepEqual(contents(tail), range(111, 120));
  assert.equal(tail.body.has_more, false);

  const last = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?after=${ids[119]}`);
  assert.deepEqual(last.body, { messages: [], has_more: false });
});

test('before and after together: the messages strictly between', async () => {
  const res = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?after=${ids[20]}&before=${ids[26]}`);
  assert.deepEqual(contents(res), range(21, 26));
  assert.equal(res.body.has_more, false);
});

test('replies are left out unless include_replies=1 (or true)', async () => {
  const top = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?after=${ids[9]}&limit=3`);
  assert.deepEqual(contents(top), ['m10', 'm11', 'm12']);
  assert.equal(top.body.messages[0].thread_reply_count, 5);

  const off = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?include_replies=0&limit=3`);
  assert.deepEqual(contents(off), ['m117', 'm118', 'm119']);

  for (const flag of ['1', 'true']) {
    const withReplies = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?include_replies=${flag}&limit=6`);
    assert.deepEqual(contents(withReplies), ['m119', 'r0', 'r1', 'r2', 'r3', 'r4']);
    assert.equal(withReplies.body.messages[1].parent_message_id, ids[10]);
    assert.equal(withReplies.body.has_more, true);
  }
  const all = await s.as('h-bob').get(`/api/v1/channels/${ch}/messages?include_replies=1&limit=200`);
  assert.equal(all.body.messages.length, 125);
});

test('bad paging parameters are 400 naming the parameter', async () => {
  const base = `/api/v1/channels/${ch}/messages`;
  for (const [q, field] of [
    ['limit=0', 'query.limit'],
    ['limit=201', 'query.limit'],
    ['limit=-5', 'query.limit'],
    ['limit=abc', 'query.limit'],
    ['limit=1.5', 'query.limit'],
    ['before=nope', 'query.before'],
    ['after=nope', 'query.after'],
    [`before=${MISSING_UUID}`, 'query.before'],
    [`after=${MISSING_UUID}`, 'query.after'],
    ['include_replies=maybe', 'query.include_replies'],
  ] as const) {
    assertError(await s.as('h-bob').get(`${base}?${q}`), 400, 'invalid_request', field);
  }
  // A message of another channel is no cursor here.
  const other = await group(s, 'h-alice');
  const foreign = await send(s, 'h-alice', other, 'elsewhere');
  assertError(await s.as('h-alice').get(`${base}?before=${foreign.id}`), 400, 'invalid_request', 'query.before');
});

test('history: non-member 403, unknown channel 404', async () => {
  assertError(await s.as('h-eve').get(`/api/v1/channels/${ch}/messages`), 403, 'forbidden');
  assertError(await s.as('h-eve').get(`/api/v1/channels/${ch}/messages?before=${ids[5]}`), 403, 'forbidden');
  assertError(await s.as('h-bob').get(`/api/v1/channels/${MISSING_UUID}/messages`), 404, 'not_found');
});

test('a page holds each message exactly as it is alone: reactions and attachments of the whole page at once', async () => {
  const c = await group(s, 'h-alice', ['h-bob', 'h-carol'], 'extras');
  const ms: { id: string }[] = [];
  for (let i = 0; i < 6; i++) ms.push(await send(s, 'h-alice', c, `x${i}`));
  const reply = await send(s, 'h-bob', c, { content: 'rx', parent_message_id: ms[1]!.id });
  const react = (id: string, user: string, emoji: string) =>
    s.as(user).put(`/api/v1/messages/${id}/reactions/${encodeURIComponent(emoji)}`);
  // Several emoji and users, reacted in an order that differs from emoji order and user order.
  await react(ms[1]!.id, 'h-bob', '👍');
  await react(ms[1]!.id, 'h-carol', '🎉');
  await react(ms[1]!.id, 'h-alice', '🎉');
  await react(ms[4]!.id, 'h-bob', '❤️');
  await react(reply.id, 'h-alice', '👀');
  // Attachments linked by SQL (any writer counts): two on one message, in upload order, which is
  // neither the order of their ids nor the order they were linked in.
  const attach = (id: number, messageId: string, name: string, at: string) => s.sql`
    INSERT INTO attachments (id, uploader_id, message_id, file_name, file_type, file_size, storage_key, created_at)
    VALUES (${`00000000-0000-4000-8000-00000000000${id}`}, 'h-alice', ${messageId}, ${name}, 'image/png', 1234,
            ${name}, ${at})`;
  await attach(1, ms[1]!.id, 'b.png', '2026-01-01T00:00:02Z');
  await attach(2, ms[1]!.id, 'a.png', '2026-01-01T00:00:01Z');
  await attach(3, ms[3]!.id, 'c.pdf', '2026-01-01T00:00:03Z');
  await attach(4, reply.id, 'd.png', '2026-01-01T00:00:04Z');

  const alone = async (id: string) =>
    (await s.sql`SELECT parley_message_json(m) AS m FROM channel_messages m WHERE m.id = ${id}`)[0]!.m;
  const page = (await s.as('h-carol').get(`/api/v1/channels/${c}/messages?include_replies=1`)).body.messages;
  assert.equal(page.length, 7);
  for (const m of page) assert.deepEqual(m, await alone(m.id));
  const withBoth = page.find((m: { id: string }) => m.id === ms[1]!.id);
  assert.deepEqual(
    withBoth.attachments.map((a: { file_name: string }) => a.file_name),
    ['a.png', 'b.png'],
  );
  assert.deepEqual(withBoth.reactions, [
    { emoji: '👍', count: 1, user_ids: ['h-bob'] },
    { emoji: '🎉', count: 2, user_ids: ['h-carol', 'h-alice'] },
  ]);
  assert.deepEqual(page.find((m: { id: string }) => m.id === ms[0]!.id).reactions, []);

  const replies = (await s.as('h-carol').get(`/api/v1/messages/${ms[1]!.id}/thread`)).body.replies;
  assert.equal(replies.length, 1);
  assert.deepEqual(replies[0], await alone(reply.id));
  assert.equal(replies[0].attachments.length, 1);
  assert.equal(replies[0].reactions.length, 1);
});
