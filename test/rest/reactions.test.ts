import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, keys, MESSAGE_KEYS, MISSING_UUID, send, storesNothing } from './lib.ts';

let s: TestServer;
let ch: string;
before(async () => {
  s = await startTestServer();
  ch = await group(s, 'r-alice', ['r-bob', 'r-carol']);
});
after(async () => {
  await s.close();
});

const path = (id: string, emoji: string) => `/api/v1/messages/${id}/reactions/${encodeURIComponent(emoji)}`;

test('PUT adds a reaction (200, the Message with its summary); PUT again changes nothing', async () => {
  const m = await send(s, 'r-alice', ch, 'react to me');
  const res = await s.as('r-bob').put(path(m.id, '👍'));
  assert.equal(res.status, 200);
  assert.deepEqual(keys(res.body), MESSAGE_KEYS);
  assert.equal(res.body.id, m.id);
  assert.deepEqual(res.body.reactions, [{ emoji: '👍', count: 1, user_ids: ['r-bob'] }]);

  const again = await storesNothing(s, () => s.as('r-bob').put(path(m.id, '👍')));
  assert.equal(again.status, 200);
  assert.deepEqual(again.body.reactions, [{ emoji: '👍', count: 1, user_ids: ['r-bob'] }]);
  const rows = await s.sql`SELECT count(*)::int AS n FROM message_reactions WHERE message_id = ${m.id}`;
  assert.equal(rows[0]!.n, 1);
});

test("the summary groups by emoji with counts and user ids; DELETE removes only the caller's", async () => {
  const m = await send(s, 'r-alice', ch, 'popular');
  await s.as('r-bob').put(path(m.id, '🎉'));
  await s.as('r-carol').put(path(m.id, '🎉'));
  // Multi-byte and composed emoji (ZWJ sequence, skin tone) and shortcodes are all fine.
  const family = '👩‍👩‍👧‍👦';
  const thumb = '👍🏽';
  await s.as('r-alice').put(path(m.id, family));
  const last = await s.as('r-alice').put(path(m.id, thumb));
  await s.as('r-carol').put(path(m.id, ':+1:'));

  const msg = (await s.as('r-bob').get(`/api/v1/channels/${ch}/messages?limit=1`)).body.messages[0];
  assert.equal(msg.id, m.id);
  const byEmoji = Object.fromEntries(
    msg.reactions.map((r: { emoji: string; count: number; user_ids: string[] }) => [r.emoji, r]),
  );
  assert.deepEqual(Object.keys(byEmoji).sort(), [':+1:', family, thumb, '🎉'].sort());
  assert.deepEqual(byEmoji['🎉'], { emoji: '🎉', count: 2, user_ids: ['r-bob', 'r-carol'] });
  assert.deepEqual(byEmoji[family], { emoji: family, count: 1, user_ids: ['r-alice'] });
  assert.equal(last.body.reactions.length, 3);

  const del = await s.as('r-bob').delete(path(m.id, '🎉'));
  assert.equal(del.status, 200);
  assert.deepEqual(keys(del.body), MESSAGE_KEYS);
  const party = del.body.reactions.find((r: { emoji: string }) => r.emoji === '🎉');
  assert.deepEqual(party, { emoji: '🎉', count: 1, user_ids: ['r-carol'] });

  // DELETE again, or of a reaction never made, is idempotent and stores nothing.
  await storesNothing(s, async () => {
    const again = await s.as('r-bob').delete(path(m.id, '🎉'));
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.reactions, del.body.reactions);
    assert.equal((await s.as('r-bob').delete(path(m.id, '🦄'))).status, 200);
  });

  await s.as('r-carol').delete(path(m.id, '🎉'));
  const after = await s.as('r-carol').delete(path(m.id, ':+1:'));
  assert.deepEqual(
    after.body.reactions.map((r: { emoji: string }) => r.emoji),
    [family, thumb],
  );
});

test('emoji of exactly 64 bytes is accepted; 65 bytes, empty or control characters are 400', async () => {
  const m = await send(s, 'r-alice', ch, 'limits');
  const e64 = `:${'a'.repeat(62)}:`; // the longest shortcode
  assert.equal(Buffer.byteLength(e64), 64);
  const ok = await s.as('r-bob').put(path(m.id, e64));
  assert.equal(ok.status, 200);
  assert.equal(ok.body.reactions[0].emoji, e64);

  await storesNothing(s, async () => {
    for (const bad of [
      '😀'.repeat(16) + 'a',
      `:${'a'.repeat(63)}:`,
      'é'.repeat(33),
      'x'.repeat(65),
      'a\u0000b',
      'tab\there',
      '\n',
      ' ',
      '   ',
    ]) {
      assertError(await s.as('r-bob').put(path(m.id, bad)), 400, 'invalid_request', 'params.emoji');
      assertError(await s.as('r-bob').delete(path(m.id, bad)), 400, 'invalid_request', 'params.emoji');
    }
  });
});

test('reactions: non-member 403, unknown message 404, bad id 400, deleted message 409', async () => {
  const m = await send(s, 'r-alice', ch, 'soon gone');
  await storesNothing(s, async () => {
    assertError(await s.as('r-eve').put(path(m.id, '👍')), 403, 'forbidden');
    assertError(await s.as('r-eve').delete(path(m.id, '👍')), 403, 'forbidden');
    assertError(await s.as('r-bob').put(path(MISSING_UUID, '👍')), 404, 'not_found');
    assertError(await s.as('r-bob').delete(path(MISSING_UUID, '👍')), 404, 'not_found');
    assertError(await s.as('r-bob').put(path('nope', '👍')), 400, 'invalid_request', 'params.id');
  }, ['r-eve']);
  await s.as('r-bob').put(path(m.id, '👍'));
  await s.as('r-alice').delete(`/api/v1/messages/${m.id}`);
  await storesNothing(s, async () => {
    assertError(await s.as('r-bob').put(path(m.id, '🎉')), 409, 'conflict');
  });
});

test('an emoji is one emoji or a :shortcode:; text, several emoji or a bad shortcode are 400', async () => {
  const m = await send(s, 'r-alice', ch, 'what is an emoji');
  for (const good of ['👍', '❤️', '❤', '👩🏽‍💻', '🇳🇴', '1️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', ':party_parrot:', ':+1:', ':e-mail:']) {
    const res = await s.as('r-carol').put(path(m.id, good));
    assert.equal(res.status, 200, good);
    await s.as('r-carol').delete(path(m.id, good));
  }
  await storesNothing(s, async () => {
    for (const bad of ['x', 'ok', 'hello', '😀😀', '👍 ', '1', '#', 'é', ':Upper:', '::', ':a b:', ':a', 'a:', '<b>']) {
      assertError(await s.as('r-bob').put(path(m.id, bad)), 400, 'invalid_request', 'params.emoji');
    }
  });
});

test('a user has at most PARLEY_MAX_REACTIONS_PER_USER reactions on a message, a message at most PARLEY_MAX_EMOJI_PER_MESSAGE', async () => {
  const small = await startTestServer({ maxReactionsPerUser: 3, maxEmojiPerMessage: 5 });
  try {
    const c = await group(small, 'rl-alice', ['rl-bob', 'rl-carol']);
    const m = await send(small, 'rl-alice', c, 'limited');
    const p = (e: string) => `/api/v1/messages/${m.id}/reactions/${encodeURIComponent(e)}`;
    for (const e of ['😀', '😁', '😂']) assert.equal((await small.as('rl-bob').put(p(e))).status, 200);
    // The same one again is idempotent, not a fourth.
    assert.equal((await small.as('rl-bob').put(p('😂'))).status, 200);
    const over = await storesNothing(small, () => small.as('rl-bob').put(p('🤣')));
    assertError(over, 409, 'conflict');
    assert.match(over.body.error.message, /3 different reactions/);
    // Two more kinds from someone else reach the message's limit of 5 …
    for (const e of ['😃', '😄']) assert.equal((await small.as('rl-carol').put(p(e))).status, 200);
    const full = await storesNothing(small, () => small.as('rl-carol').put(p('😅')));
    assertError(full, 409, 'conflict');
    assert.match(full.body.error.message, /5 different reactions/);
    // … but joining an emoji already there is still fine.
    assert.equal((await small.as('rl-alice').put(p('😀'))).status, 200);
    // Concurrent adds cannot pass the limits together.
    const m2 = await send(small, 'rl-alice', c, 'raced');
    const p2 = (e: string) => `/api/v1/messages/${m2.id}/reactions/${encodeURIComponent(e)}`;
    const many = ['🍎', '🍐', '🍊', '🍋', '🍌', '🍉', '🍇', '🍓'];
    await Promise.all(many.map((e) => small.as('rl-bob').put(p2(e))));
    const [row] = await small.sql`SELECT count(*)::int AS n FROM message_reactions WHERE message_id = ${m2.id}`;
    assert.equal(row!.n, 3);
  } finally {
    await small.close();
  }
});
