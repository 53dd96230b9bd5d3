import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GRAM_CHARS } from '../../src/chat/search-query.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, keys, MESSAGE_KEYS, MISSING_UUID, send, storesNothing } from './lib.ts';

let s: TestServer;
/** alice and bob's channel. */
let ab: string;
/** carol's own channel: alice is not in it. */
let carols: string;

before(async () => {
  s = await startTestServer();
  ab = await group(s, 's-alice', ['s-bob']);
  carols = await group(s, 's-carol', []);
});
after(async () => {
  await s.close();
});

interface Hit {
  id: string;
  content: string;
  snippet: string;
  highlights: [number, number][];
}

/** Searches as `user` with the query string built from `params` (q is encoded here). */
async function search(user: string, q: string, params = '') {
  const res = await s.as(user).get(`/api/v1/search?q=${encodeURIComponent(q)}${params}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as { messages: Hit[]; has_more: boolean; next_before: string | null };
}
const contents = (r: { messages: Hit[] }) => r.messages.map((m) => m.content);
/** The highlighted parts of a hit, as a client slicing the snippet gets them. */
const sliced = (h: Hit) => h.highlights.map(([a, b]) => h.snippet.slice(a, b));

describe('syntax', () => {
  before(async () => {
    for (const c of [
      'the quick brown fox jumps',
      'brown and quick foxes',
      'apple pie for dessert',
      'apple tart for dessert',
      'kiwi smoothie',
      'mango lassi',
      'banana bread',
    ])
      await send(s, 's-alice', ab, c);
  });

  test('words: every word must occur, in any order and case', async () => {
    assert.deepEqual(contents(await search('s-bob', 'QUICK Brown')).sort(), [
      'brown and quick foxes',
      'the quick brown fox jumps',
    ]);
  });

  test('"a phrase": its words together and in order', async () => {
    assert.deepEqual(contents(await search('s-bob', '"quick brown"')), ['the quick brown fox jumps']);
    assert.deepEqual(contents(await search('s-bob', '"brown quick"')), []);
  });

  test('-word: messages holding it are left out', async () => {
    assert.deepEqual(contents(await search('s-bob', 'apple -tart')), ['apple pie for dessert']);
    assert.deepEqual(contents(await search('s-bob', 'dessert -"apple pie"')), ['apple tart for dessert']);
  });

  test('or: either side', async () => {
    assert.deepEqual(contents(await search('s-bob', 'kiwi or mango')).sort(), ['kiwi smoothie', 'mango lassi']);
    assert.deepEqual(contents(await search('s-bob', 'kiwi smoothie OR banana')).sort(), [
      'banana bread',
      'kiwi smoothie',
    ]);
    // A whole word only: "fox" is not "foxes".
    assert.deepEqual(contents(await search('s-bob', 'foxes')), ['brown and quick foxes']);
  });

  test('the shape: a Message plus snippet and highlights; has_more and next_before', async () => {
    const r = await search('s-bob', 'kiwi');
    assert.deepEqual(keys(r), ['has_more', 'messages', 'next_before']);
    assert.deepEqual(keys(r.messages[0]), [...MESSAGE_KEYS, 'highlights', 'snippet'].sort());
    assert.equal(r.has_more, false);
    assert.equal(r.next_before, null);
    assert.deepEqual(sliced(r.messages[0]!), ['kiwi']);
  });
});

describe('ranking', () => {
  before(async () => {
    await send(s, 's-alice', ab, 'cello practice');
    await send(s, 's-alice', ab, 'cello sonata');
    await send(
      s,
      's-alice',
      ab,
      'I played the cello yesterday at the concert hall with my friends and we had a lot of fun',
    );
    await send(s, 's-alice', ab, 'oboe reed one');
    await send(s, 's-alice', ab, 'oboe reed two');
  });

  test('more of the terms, and a shorter text about them, rank first', async () => {
    assert.deepEqual(contents(await search('s-bob', 'cello or sonata')), [
      'cello sonata',
      'cello practice',
      'I played the cello yesterday at the concert hall with my friends and we had a lot of fun',
    ]);
  });

  test('equal scores: newest first', async () => {
    assert.deepEqual(contents(await search('s-bob', 'oboe reed')), ['oboe reed two', 'oboe reed one']);
  });
});

describe('snippets and highlights', () => {
  test('a long message: the text around the match, offsets that slice to the terms', async () => {
    const filler = 'lorem ipsum dolor sit amet '.repeat(20);
    const content = `${filler}the marmalade SANDWICH is here ${filler}`;
    await send(s, 's-alice', ab, content);
    const [hit] = (await search('s-bob', 'marmalade sandwich')).messages;
    assert.equal(hit!.content, content);
    assert.ok(hit!.snippet.length <= 162, `${hit!.snippet.length}`);
    assert.ok(hit!.snippet.startsWith('…') && hit!.snippet.endsWith('…'), hit!.snippet);
    assert.deepEqual(sliced(hit!), ['marmalade', 'SANDWICH']);
  });

  test('emoji before the match count 2 UTF-16 units each; CJK 1; slicing finds the term', async () => {
    await send(s, 's-alice', ab, '🎉🎉 great 漢字 👍🏽 result\nfor the quokka 🎉');
    const [hit] = (await search('s-bob', 'quokka')).messages;
    assert.equal(hit!.snippet, '🎉🎉 great 漢字 👍🏽 result for the quokka 🎉');
    // 🎉🎉 4, ' great ' 7, 数学 2, ' ' 1, 👍🏽 4 (two astral code points), ' result for the ' 16: 34.
    assert.deepEqual(hit!.highlights, [[34, 40]]);
    assert.deepEqual(sliced(hit!), ['quokka']);
    const [emoji] = (await search('s-bob', '🎉 quokka')).messages;
    assert.deepEqual(sliced(emoji!), ['🎉🎉', 'quokka', '🎉']);
  });
});

describe('scripts without spaces', () => {
  before(async () => {
    for (const c of [
      '我们今天学习数学',
      '学数不一样',
      '東京で日本語を勉強しています',
      'สวัสดีครับ ผมชื่อสมชาย',
      '학교에서 공부해요',
      'שלום עולם hello مرحبا بالعالم',
    ])
      await send(s, 's-alice', ab, c);
  });

  test('a 2-character Chinese word inside a sentence; order matters', async () => {
    const r = await search('s-bob', '数学');
    assert.deepEqual(contents(r), ['我们今天学习数学']);
    assert.deepEqual(sliced(r.messages[0]!), ['数学']);
    assert.deepEqual(contents(await search('s-bob', '学习数学')), ['我们今天学习数学']);
    assert.deepEqual(contents(await search('s-bob', '学数')), ['学数不一样']);
    assert.deepEqual(contents(await search('s-bob', '数')).sort(), ['学数不一样', '我们今天学习数学']);
  });

  test('Japanese, Thai, Korean with particles, Hebrew and Arabic', async () => {
    for (const [q, found] of [
      ['日本語', '東京で日本語を勉強しています'],
      ['勉強', '東京で日本語を勉強しています'],
      ['สมชาย', 'สวัสดีครับ ผมชื่อสมชาย'],
      ['학교', '학교에서 공부해요'],
      ['עולם', 'שלום עולם hello مرحبا بالعالم'],
      ['مرحبا', 'שלום עולם hello مرحبا بالعالم'],
    ] as const) {
      const r = await search('s-bob', q);
      assert.deepEqual(contents(r), [found], q);
      assert.deepEqual(sliced(r.messages[0]!), [q], q);
    }
    assert.deepEqual(contents(await search('s-bob', '日本人')), []);
  });

  test('the gram characters are the same class in the database and in the code', async () => {
    // Both ends of every range, and the code points just outside them.
    const points: number[] = [];
    for (const [, lo, hi] of GRAM_CHARS.source.matchAll(/\\u\{?([0-9A-F]+)\}?-\\u\{?([0-9A-F]+)\}?/g)) {
      const a = Number.parseInt(lo!, 16);
      const b = Number.parseInt(hi!, 16);
      points.push(a - 1, a, b, b + 1);
    }
    points.push(0x200d, 0xfe0f, 0x41, 0x3001);
    const chars = points.filter((p) => p > 0x20 && !(p >= 0xd800 && p <= 0xdfff)).map((p) => String.fromCodePoint(p));
    const rows = await s.sql`
      SELECT c, length(parley_search_document(c || c)) = 2 AS gram FROM unnest(${chars}::text[]) c`;
    for (const r of rows) {
      const c = r.c as string;
      assert.equal(r.gram, GRAM_CHARS.test(c), `U+${c.codePointAt(0)!.toString(16)}`);
    }
    assert.ok(rows.length > 40);
  });
});

describe('hostile input', () => {
  const bad = async (query: string, field?: string) => {
    const res = await storesNothing(s, () => s.as('s-bob').get(`/api/v1/search?${query}`), ['s-bob']);
    assertError(res, 400, 'invalid_request', field);
  };

  test('q missing, empty, over 500 characters, NUL, a lone surrogate: 400 naming q', async () => {
    await bad('', 'query.q');
    await bad('q=', 'query.q');
    await bad(`q=${'a'.repeat(501)}`, 'query.q');
    await bad('q=a%00b', 'query.q');
    // A lone surrogate cannot be sent in a URL (it is no UTF-8); its bytes and %u escapes are
    // read as replacement characters or as text: a search for nothing, not an error.
    for (const q of ['%ED%A0%80', '%uD800', '%ED%B0%80%ED%A0%80', '%C0%80', '%FF%FE']) {
      const res = await storesNothing(s, () => s.as('s-bob').get(`/api/v1/search?q=${q}`));
      assert.equal(res.status, 200, `${q}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body.messages, [], q);
    }
    // 500 characters is fine, even when they are 500 emoji (1,000 UTF-16 units).
    assert.equal((await search('s-bob', 'a'.repeat(500))).messages.length, 0);
    assert.equal((await search('s-bob', '😀'.repeat(500))).messages.length, 0);
  });

  test('punctuation, operators alone, quotes, SQL: an empty result, never a 500', async () => {
    for (const q of [
      '!'.repeat(500),
      '-',
      'or',
      'or or or',
      '- or "" -',
      '"',
      '""""',
      "'; DROP TABLE channel_messages; --",
      '&|!<->():*',
      "a:* & b | !c <-> 'd'",
      '\\',
      '%_%',
      '\u202e\u200f\u200d\ufeff',
      '-kiwi',
      'kiwi -kiwi',
    ]) {
      const res = await s.as('s-bob').get(`/api/v1/search?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, `${q}: ${JSON.stringify(res.body)}`);
      assert.ok(Array.isArray(res.body.messages), q);
      if (q !== "'; DROP TABLE channel_messages; --") assert.deepEqual(res.body.messages, [], q);
    }
    assert.ok((await search('s-bob', 'kiwi')).messages.length > 0);
  });

  test('limit out of range, a cursor not ours, too many terms, a channel_id not a UUID: 400', async () => {
    await bad('q=kiwi&limit=0', 'query.limit');
    await bad('q=kiwi&limit=101', 'query.limit');
    await bad('q=kiwi&limit=x', 'query.limit');
    await bad('q=kiwi&before=nope!', 'query.before');
    await bad(`q=kiwi&before=${Buffer.from('1:2:3').toString('base64url')}`, 'query.before');
    await bad('q=kiwi&channel_id=nope', 'query.channel_id');
    await bad(`q=${encodeURIComponent(Array.from({ length: 17 }, (_, i) => `w${i}`).join(' '))}`, 'query.q');
  });
});

describe('who finds what', () => {
  test('a channel the caller is not in: never found; naming it is 403, a missing one 404', async () => {
    await send(s, 's-carol', carols, 'carol secret pangolin');
    assert.deepEqual(contents(await search('s-carol', 'pangolin')), ['carol secret pangolin']);
    assert.deepEqual(contents(await search('s-alice', 'pangolin')), []);
    assertError(await s.as('s-alice').get(`/api/v1/search?q=pangolin&channel_id=${carols}`), 403, 'forbidden');
    assertError(await s.as('s-alice').get(`/api/v1/search?q=pangolin&channel_id=${MISSING_UUID}`), 404, 'not_found');
  });

  test('channel_id narrows the search to that channel', async () => {
    const other = await group(s, 's-alice', ['s-bob'], 'other');
    await send(s, 's-alice', other, 'narrow capybara');
    await send(s, 's-alice', ab, 'wide capybara');
    assert.deepEqual(contents(await search('s-bob', 'capybara')).sort(), ['narrow capybara', 'wide capybara']);
    assert.deepEqual(contents(await search('s-bob', 'capybara', `&channel_id=${other}`)), ['narrow capybara']);
  });

  test('a channel left is no longer searched; an observer searches everything of theirs', async () => {
    const ch = await group(s, 's-alice', ['s-dave']);
    await send(s, 's-alice', ch, 'departing axolotl');
    const obs = await s.as('s-alice').post(`/api/v1/channels/${ch}/members`, { user_id: 's-olga', role: 'observer' });
    assert.equal(obs.status, 201, JSON.stringify(obs.body));
    assert.deepEqual(contents(await search('s-dave', 'axolotl')), ['departing axolotl']);
    assert.deepEqual(contents(await search('s-olga', 'axolotl')), ['departing axolotl']);
    assert.equal((await s.as('s-dave').delete(`/api/v1/channels/${ch}/members/s-dave`)).status, 204);
    assert.deepEqual(contents(await search('s-dave', 'axolotl')), []);
    assertError(await s.as('s-dave').get(`/api/v1/search?q=axolotl&channel_id=${ch}`), 403, 'forbidden');
  });

  test('deleted: never found; edited: found by the new text only', async () => {
    const gone = await send(s, 's-alice', ab, 'zebra crossing');
    assert.equal((await s.as('s-alice').delete(`/api/v1/messages/${gone.id}`)).status, 204);
    assert.deepEqual(contents(await search('s-bob', 'zebra')), []);
    const edited = await send(s, 's-alice', ab, 'original walrus');
    assert.equal(
      (await s.as('s-alice').patch(`/api/v1/messages/${edited.id}`, { content: 'changed narwhal' })).status,
      200,
    );
    assert.deepEqual(contents(await search('s-bob', 'walrus')), []);
    const r = await search('s-bob', 'narwhal');
    assert.deepEqual(contents(r), ['changed narwhal']);
    assert.equal(r.messages[0]!.id, edited.id);
  });

  test('a message written with plain SQL is found like one sent through the API', async () => {
    await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ab}, 's-bob', 'sql wombat')`;
    assert.deepEqual(contents(await search('s-alice', 'wombat')), ['sql wombat']);
  });
});

describe('paging', () => {
  test('limit and before: every match once, in rank order, across pages', async () => {
    for (let i = 0; i < 12; i++) await send(s, 's-alice', ab, `kumquat short ${i}`);
    for (let i = 0; i < 13; i++) await send(s, 's-alice', ab, `kumquat in a rather longer message number ${i}`);
    const whole = await search('s-bob', 'kumquat', '&limit=100');
    assert.equal(whole.messages.length, 25);
    assert.equal(whole.has_more, false);
    // Short ones rank first, each kind newest first.
    const expected = [
      ...Array.from({ length: 12 }, (_, i) => `kumquat short ${11 - i}`),
      ...Array.from({ length: 13 }, (_, i) => `kumquat in a rather longer message number ${12 - i}`),
    ];
    assert.deepEqual(contents(whole), expected);
    const seen: string[] = [];
    let before = '';
    for (let page = 0; page < 5; page++) {
      const r = await search('s-bob', 'kumquat', `&limit=10${before}`);
      seen.push(...contents(r));
      if (!r.has_more) {
        assert.equal(r.next_before, null);
        break;
      }
      assert.equal(r.messages.length, 10);
      before = `&before=${r.next_before}`;
    }
    assert.deepEqual(seen, expected);
    assert.equal((await search('s-bob', 'kumquat')).messages.length, 20, 'limit defaults to 20');
  });
});

test('search has its own rate-limit bucket', async () => {
  const limited = await startTestServer({ rateLimits: { search: { limit: 2, windowMs: 60_000 } } });
  try {
    for (let i = 0; i < 2; i++) {
      const ok = await limited.as('r-user').get('/api/v1/search?q=x');
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('ratelimit-limit'), '2');
    }
    const res = await limited.as('r-user').get('/api/v1/search?q=x');
    assertError(res, 429, 'rate_limited');
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
  } finally {
    await limited.close();
  }
});
