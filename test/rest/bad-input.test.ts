import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, MISSING_UUID, send, snapshot } from './lib.ts';

/**
 * Bad input of every kind, to every endpoint with a body or params: a 4xx in the error shape naming
 * the field, never a 5xx, and nothing stored (every table and the event log are compared).
 */
let s: TestServer;
let ch: string;
let dm: string;
let msg: string;
let reply: string;
before(async () => {
  s = await startTestServer();
  const res = await s.as('b-owner').post('/api/v1/channels', {
    type: 'group',
    name: 'bad input',
    members: [{ user_id: 'b-member' }],
  });
  ch = res.body.id;
  dm = (await s.as('b-owner').post('/api/v1/direct-messages', { user_id: 'b-member' })).body.id;
  msg = (await send(s, 'b-owner', ch, 'target')).id;
  reply = (await send(s, 'b-member', ch, { content: 'reply', parent_message_id: msg })).id;
  for (const u of ['b-owner', 'b-member', 'b-outsider']) await s.as(u).get('/api/v1/me');
});
after(async () => {
  await s.close();
});

/** Paths and bodies that name ids are built lazily: the ids exist only once `before` has run. */
type Case = [method: string, path: () => string, body: unknown, status: number, field: string | undefined];
const bodyOf = (b: unknown) => (typeof b === 'function' ? (b as () => unknown)() : b);

const NUL = 'a\u0000b';
const long = (n: number) => 'x'.repeat(n);

const cases: Case[] = [
  // POST /channels
  ['POST', () => '/api/v1/channels', {}, 400, 'body.type'],
  ['POST', () => '/api/v1/channels', { type: 'public' }, 400, 'body.type'],
  ['POST', () => '/api/v1/channels', { type: 5 }, 400, 'body.type'],
  ['POST', () => '/api/v1/channels', { type: 'group', name: 5 }, 400, 'body.name'],
  ['POST', () => '/api/v1/channels', { type: 'group', name: long(201) }, 400, 'body.name'],
  ['POST', () => '/api/v1/channels', { type: 'group', description: long(2001) }, 400, 'body.description'],
  ['POST', () => '/api/v1/channels', { type: 'group', extra: 1 }, 400, 'body.extra'],
  ['POST', () => '/api/v1/channels', { type: 'group', members: 'b-member' }, 400, 'body.members'],
  ['POST', () => '/api/v1/channels', { type: 'group', members: [{}] }, 400, 'body.members.0.user_id'],
  ['POST', () => '/api/v1/channels', { type: 'group', members: [{ user_id: '' }] }, 400, 'body.members.0.user_id'],
  [
    'POST',
    () => '/api/v1/channels',
    { type: 'group', members: [{ user_id: long(129) }] },
    400,
    'body.members.0.user_id',
  ],
  [
    'POST',
    () => '/api/v1/channels',
    { type: 'group', members: [{ user_id: 'u', role: 'king' }] },
    400,
    'body.members.0.role',
  ],
  ['POST', () => '/api/v1/channels', { type: 'group', members: [{ user_id: 'u', x: 1 }] }, 400, 'body.members.0.x'],
  ['POST', () => '/api/v1/channels', { type: 'group', name: NUL }, 400, 'body.name'],
  ['POST', () => '/api/v1/channels', { type: 'group', description: NUL }, 400, 'body.description'],
  ['POST', () => '/api/v1/channels', { type: 'group', members: [{ user_id: NUL }] }, 400, 'body.members.0.user_id'],
  ['POST', () => '/api/v1/channels', [], 400, 'body'],
  ['POST', () => '/api/v1/channels', 'null', 400, 'body'],
  ['POST', () => '/api/v1/channels', '"group"', 400, 'body'],
  // GET/PATCH /channels/{id}
  ['GET', () => '/api/v1/channels/not-a-uuid', undefined, 400, 'params.id'],
  ['GET', () => `/api/v1/channels/${MISSING_UUID.slice(0, -1)}`, undefined, 400, 'params.id'],
  ['PATCH', () => '/api/v1/channels/123', { name: 'x' }, 400, 'params.id'],
  ['PATCH', () => `/api/v1/channels/${ch}`, {}, 400, 'body'],
  ['PATCH', () => `/api/v1/channels/${ch}`, { name: 5 }, 400, 'body.name'],
  ['PATCH', () => `/api/v1/channels/${ch}`, { name: long(201) }, 400, 'body.name'],
  ['PATCH', () => `/api/v1/channels/${ch}`, { is_archived: 'yes' }, 400, 'body.is_archived'],
  ['PATCH', () => `/api/v1/channels/${ch}`, { type: 'direct' }, 400, 'body.type'],
  ['PATCH', () => `/api/v1/channels/${ch}`, { name: NUL }, 400, 'body.name'],
  ['PATCH', () => `/api/v1/channels/${ch}`, { description: NUL }, 400, 'body.description'],
  // members
  ['GET', () => '/api/v1/channels/x/members', undefined, 400, 'params.id'],
  ['POST', () => '/api/v1/channels/x/members', { user_id: 'u' }, 400, 'params.id'],
  ['POST', () => `/api/v1/channels/${ch}/members`, {}, 400, 'body.user_id'],
  ['POST', () => `/api/v1/channels/${ch}/members`, { user_id: 5 }, 400, 'body.user_id'],
  ['POST', () => `/api/v1/channels/${ch}/members`, { user_id: '' }, 400, 'body.user_id'],
  ['POST', () => `/api/v1/channels/${ch}/members`, { user_id: long(129) }, 400, 'body.user_id'],
  ['POST', () => `/api/v1/channels/${ch}/members`, { user_id: NUL }, 400, 'body.user_id'],
  ['POST', () => `/api/v1/channels/${ch}/members`, { user_id: 'u', role: 'boss' }, 400, 'body.role'],
  ['POST', () => `/api/v1/channels/${ch}/members`, { user_id: 'u', muted: true }, 400, 'body.muted'],
  ['DELETE', () => '/api/v1/channels/x/members/b-member', undefined, 400, 'params.id'],
  ['DELETE', () => `/api/v1/channels/${ch}/members/${long(129)}`, undefined, 400, 'params.user_id'],
  ['DELETE', () => `/api/v1/channels/${ch}/members/a%00b`, undefined, 400, 'params.user_id'],
  ['PATCH', () => `/api/v1/channels/${ch}/members/me`, {}, 400, 'body'],
  ['PATCH', () => `/api/v1/channels/${ch}/members/me`, { muted: 'yes' }, 400, 'body.muted'],
  ['PATCH', () => `/api/v1/channels/${ch}/members/me`, { notification_level: 'some' }, 400, 'body.notification_level'],
  ['PATCH', () => `/api/v1/channels/${ch}/members/me`, { role: 'owner' }, 400, 'body.role'],
  ['PATCH', () => '/api/v1/channels/x/members/me', { muted: true }, 400, 'params.id'],
  // direct messages
  ['POST', () => '/api/v1/direct-messages', {}, 400, 'body.user_id'],
  ['POST', () => '/api/v1/direct-messages', { user_id: ['b-member'] }, 400, 'body.user_id'],
  ['POST', () => '/api/v1/direct-messages', { user_id: NUL }, 400, 'body.user_id'],
  ['POST', () => '/api/v1/direct-messages', { user_id: 'b-member', name: 'x' }, 400, 'body.name'],
  // send
  ['POST', () => '/api/v1/channels/x/messages', { content: 'x' }, 400, 'params.id'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, {}, 400, 'body.content'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: '' }, 400, 'body.content'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: ' \n\t\u00a0 ' }, 400, 'body.content'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: long(40_001) }, 400, 'body.content'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: '😀'.repeat(40_001) }, 400, 'body.content'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: 5 }, 400, 'body.content'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: null }, 400, 'body.content'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: ['x'] }, 400, 'body.content'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: NUL }, 400, 'body.content'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: 'x', extra: 1 }, 400, 'body.extra'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: 'x', user_id: 'b-owner' }, 400, 'body.user_id'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: 'x', mentions: 'b-owner' }, 400, 'body.mentions'],
  [
    'POST',
    () => `/api/v1/channels/${ch}/messages`,
    { content: 'x', mentions: ['b-owner', 'b-owner'] },
    400,
    'body.mentions',
  ],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: 'x', mentions: [''] }, 400, 'body.mentions.0'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: 'x', mentions: [NUL] }, 400, 'body.mentions.0'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: 'x', mentions: ['b-outsider'] }, 400, 'body.mentions'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: 'x', client_id: '' }, 400, 'body.client_id'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: 'x', client_id: long(129) }, 400, 'body.client_id'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: 'x', client_id: NUL }, 400, 'body.client_id'],
  ['POST', () => `/api/v1/channels/${ch}/messages`, { content: 'x', client_id: 7 }, 400, 'body.client_id'],
  [
    'POST',
    () => `/api/v1/channels/${ch}/messages`,
    { content: 'x', parent_message_id: 'p' },
    400,
    'body.parent_message_id',
  ],
  [
    'POST',
    () => `/api/v1/channels/${ch}/messages`,
    () => ({ content: 'x', parent_message_id: reply }),
    400,
    'body.parent_message_id',
  ],
  [
    'POST',
    () => `/api/v1/channels/${dm}/messages`,
    () => ({ content: 'x', parent_message_id: msg }),
    400,
    'body.parent_message_id',
  ],
  [
    'POST',
    () => `/api/v1/channels/${ch}/messages`,
    { content: 'x', attachment_ids: ['a'] },
    400,
    'body.attachment_ids.0',
  ],
  [
    'POST',
    () => `/api/v1/channels/${ch}/messages`,
    { content: 'x', attachment_ids: [MISSING_UUID] },
    400,
    'body.attachment_ids',
  ],
  // history and threads
  ['GET', () => `/api/v1/channels/${ch}/messages?limit=0`, undefined, 400, 'query.limit'],
  ['GET', () => `/api/v1/channels/${ch}/messages?limit=201`, undefined, 400, 'query.limit'],
  ['GET', () => `/api/v1/channels/${ch}/messages?limit=ten`, undefined, 400, 'query.limit'],
  ['GET', () => `/api/v1/channels/${ch}/messages?before=1`, undefined, 400, 'query.before'],
  ['GET', () => `/api/v1/channels/${ch}/messages?before=`, undefined, 400, 'query.before'],
  ['GET', () => `/api/v1/channels/${ch}/messages?limit=1&limit=2`, undefined, 400, 'query.limit'],
  ['GET', () => `/api/v1/channels/${ch}/messages?limit=99999999999999999999`, undefined, 400, 'query.limit'],
  ['GET', () => `/api/v1/channels/${ch}/messages?before=${msg}&before=${msg}`, undefined, 400, 'query.before'],
  [
    'GET',
    () => `/api/v1/channels/${ch}/messages?include_replies=1&include_replies=2`,
    undefined,
    400,
    'query.include_replies',
  ],
  ['GET', () => `/api/v1/channels/${ch}/messages?after=${MISSING_UUID}`, undefined, 400, 'query.after'],
  ['GET', () => '/api/v1/messages/x/thread', undefined, 400, 'params.id'],
  ['GET', () => `/api/v1/messages/${msg}/thread?limit=1000`, undefined, 400, 'query.limit'],
  ['GET', () => `/api/v1/messages/${msg}/thread?after=x`, undefined, 400, 'query.after'],
  // edit / delete
  ['PATCH', () => '/api/v1/messages/x', { content: 'y' }, 400, 'params.id'],
  ['PATCH', () => `/api/v1/messages/${msg}`, {}, 400, 'body.content'],
  ['PATCH', () => `/api/v1/messages/${msg}`, { content: '' }, 400, 'body.content'],
  ['PATCH', () => `/api/v1/messages/${msg}`, { content: '   ' }, 400, 'body.content'],
  ['PATCH', () => `/api/v1/messages/${msg}`, { content: long(40_001) }, 400, 'body.content'],
  ['PATCH', () => `/api/v1/messages/${msg}`, { content: NUL }, 400, 'body.content'],
  ['PATCH', () => `/api/v1/messages/${msg}`, { content: 'y', parent_message_id: null }, 400, 'body.parent_message_id'],
  ['PATCH', () => `/api/v1/messages/${msg}`, { content: 'y', mentions: ['b-outsider'] }, 400, 'body.mentions'],
  ['PATCH', () => `/api/v1/messages/${msg}`, { content: 'y', mentions: [NUL] }, 400, 'body.mentions.0'],
  ['DELETE', () => '/api/v1/messages/x', undefined, 400, 'params.id'],
  // reactions
  ['PUT', () => `/api/v1/messages/x/reactions/${encodeURIComponent('👍')}`, undefined, 400, 'params.id'],
  ['PUT', () => `/api/v1/messages/${msg}/reactions/${encodeURIComponent(long(65))}`, undefined, 400, 'params.emoji'],
  ['PUT', () => `/api/v1/messages/${msg}/reactions/a%00b`, undefined, 400, 'params.emoji'],
  ['DELETE', () => `/api/v1/messages/${msg}/reactions/a%00b`, undefined, 400, 'params.emoji'],
  // typing and read
  ['POST', () => '/api/v1/channels/x/typing', {}, 400, 'params.id'],
  ['POST', () => `/api/v1/channels/${ch}/typing`, { is_typing: 1 }, 400, 'body.is_typing'],
  ['POST', () => `/api/v1/channels/${ch}/typing`, { is_typing: true, until: 5 }, 400, 'body.until'],
  ['POST', () => `/api/v1/channels/${ch}/typing`, [], 400, 'body'],
  ['POST', () => '/api/v1/channels/x/read', { message_id: MISSING_UUID }, 400, 'params.id'],
  ['POST', () => `/api/v1/channels/${ch}/read`, {}, 400, 'body.message_id'],
  ['POST', () => `/api/v1/channels/${ch}/read`, { message_id: 5 }, 400, 'body.message_id'],
  ['POST', () => `/api/v1/channels/${ch}/read`, { message_id: 'x' }, 400, 'body.message_id'],
  ['POST', () => `/api/v1/channels/${ch}/read`, { message_id: MISSING_UUID }, 400, 'body.message_id'],
  ['POST', () => `/api/v1/channels/${ch}/read`, () => ({ message_id: msg, at: 'now' }), 400, 'body.at'],
  // dev tokens
  ['POST', () => '/api/v1/dev/token', { user_id: NUL }, 400, 'body.user_id'],
  ['POST', () => '/api/v1/dev/token', { user_id: 'u', name: NUL }, 400, 'body.name'],
  ['POST', () => '/api/v1/dev/token', { user_id: 'u', name: 5 }, 400, 'body.name'],
  // presence
  ['GET', () => '/api/v1/channel/x/online-members', undefined, 400, 'params.channel_id'],
  ['GET', () => `/api/v1/user/${long(129)}/status`, undefined, 400, 'params.user_id'],
  ['GET', () => '/api/v1/user/a%00b/status', undefined, 400, 'params.user_id'],
];

test('every bad input is a 4xx naming the field, never a 5xx, and stores nothing', async () => {
  const before = await snapshot(s);
  const failures: string[] = [];
  for (const [method, path, body, status, field] of cases) {
    const p = path();
    const res = await s.raw(method, p, {
      body: bodyOf(body),
      headers: { authorization: `Bearer ${await s.token('b-owner')}` },
    });
    try {
      assertError(res, status, status === 400 ? 'invalid_request' : String(res.body?.error?.code), field);
    } catch (err) {
      failures.push(
        `${method} ${p.slice(0, 100)} ${JSON.stringify(bodyOf(body))?.slice(0, 80)}: ${(err as Error).message.split('\n')[0]}`,
      );
    }
  }
  assert.deepEqual(failures, []);
  assert.deepEqual(await snapshot(s), before, 'stored data changed');
});

test('a NUL character or an unpaired surrogate is named as such', async () => {
  const res = await s.as('b-owner').post(`/api/v1/channels/${ch}/messages`, { content: NUL });
  assertError(res, 400, 'invalid_request', 'body.content');
  assert.equal(res.body.error.message, 'body.content must be Unicode text without NUL characters.');
  // "\ud800" is valid JSON but not Unicode: refused rather than stored as U+FFFD.
  for (const lone of ['x\ud800y', '\udc00', 'ok 😀 then \ud83d']) {
    const r = await s.as('b-owner').post(`/api/v1/channels/${ch}/messages`, { content: lone });
    assertError(r, 400, 'invalid_request', 'body.content');
  }
  const name = await s.as('b-owner').post('/api/v1/channels', { type: 'group', name: '\ud800' });
  assertError(name, 400, 'invalid_request', 'body.name');
  const unknown = await s.as('b-owner').post(`/api/v1/channels/${ch}/messages`, { content: 'x', colour: 'red' });
  assertError(unknown, 400, 'invalid_request', 'body.colour');
  assert.equal(unknown.body.error.message, 'body.colour is not a known field.');
});

test('a badly percent-encoded path is 400 (never 5xx) and stores nothing', async () => {
  const before = await snapshot(s);
  for (const seg of ['%ZZ', '%E0%A4%A', '%ED%A0%80', '%FF']) {
    for (const path of [
      `/api/v1/messages/${msg}/reactions/${seg}`,
      `/api/v1/channels/${ch}/members/${seg}`,
      `/api/v1/user/${seg}/status`,
    ]) {
      const res = await s.as('b-owner').put(path);
      assert.equal(res.status, 400, `${path}: ${res.status}`);
    }
  }
  assert.deepEqual(await snapshot(s), before, 'stored data changed');
});

// Fastify's router answers these itself unless app.ts passes frameworkErrors: sendFrameworkError.
test('a badly percent-encoded path or an over-long path segment gets the contract error shape', async () => {
  const bad = await s.as('b-owner').put(`/api/v1/messages/${msg}/reactions/%ZZ`);
  assertError(bad, 400, 'invalid_request', 'params');
  const long = await s.as('b-owner').get(`/api/v1/user/${'x'.repeat(600)}/status`);
  assertError(long, 400, 'invalid_request', 'params');
});

test('invalid JSON, an empty JSON body, a wrong content type and an oversized body are 4xx', async () => {
  const before = await snapshot(s);
  const auth = { authorization: `Bearer ${await s.token('b-owner')}` };
  const json = { ...auth, 'content-type': 'application/json' };
  for (const [method, path] of [
    ['POST', '/api/v1/channels'],
    ['PATCH', `/api/v1/channels/${ch}`],
    ['POST', `/api/v1/channels/${ch}/members`],
    ['PATCH', `/api/v1/channels/${ch}/members/me`],
    ['POST', '/api/v1/direct-messages'],
    ['POST', `/api/v1/channels/${ch}/messages`],
    ['PATCH', `/api/v1/messages/${msg}`],
    ['POST', `/api/v1/channels/${ch}/typing`],
    ['POST', `/api/v1/channels/${ch}/read`],
  ] as const) {
    for (const text of [
      '{"content": "x"',
      '{content: "x"}',
      "{'a': 1}",
      '{"a": 1,}',
      'nul',
      '\u0000',
      '{"content": "x", "__proto__": {"admin": true}}',
      '{"content": "x", "constructor": {"prototype": {"admin": true}}}',
    ]) {
      assertError(await s.raw(method, path, { body: text, headers: json }), 400, 'invalid_request', 'body');
    }
    assertError(await s.raw(method, path, { body: '', headers: json }), 400, 'invalid_request', 'body');
    const plain = await s.raw(method, path, { body: 'content=x', headers: { ...auth, 'content-type': 'text/plain' } });
    assert.ok(plain.status === 415 || plain.status === 400, `${method} ${path}: ${plain.status}`);
    assertError(plain, plain.status, plain.status === 415 ? 'unsupported_media_type' : 'invalid_request');
    const huge = await s.raw(method, path, { body: { content: 'x'.repeat(2 * 1024 * 1024) }, headers: json });
    assertError(huge, 413, 'payload_too_large');
  }
  assert.deepEqual(await snapshot(s), before, 'stored data changed');
});

test('bad input from a non-member or to an unknown channel is still 4xx, and never a 5xx', async () => {
  const before = await snapshot(s);
  for (const u of ['b-outsider', 'b-member']) {
    for (const [method, path, body] of cases) {
      const res = await s.raw(method, path(), {
        body: bodyOf(body),
        headers: { authorization: `Bearer ${await s.token(u)}` },
      });
      assert.ok(res.status >= 400 && res.status < 500, `${u} ${method} ${path()}: ${res.status}`);
      assertError(res, res.status, String(res.body?.error?.code));
    }
  }
  for (const [method, path] of [
    ['GET', `/api/v1/channels/${MISSING_UUID}/messages?limit=0`],
    ['POST', `/api/v1/channels/${MISSING_UUID}/messages`],
  ] as const) {
    const res = await s.raw(method, path, {
      body: method === 'POST' ? { content: '' } : undefined,
      headers: {
        authorization: `Bearer ${await s.token('b-owner')}`,
      },
    });
    assert.ok(res.status === 400 || res.status === 404, `${method} ${path}: ${res.status}`);
  }
  assert.deepEqual(await snapshot(s), before, 'stored data changed');
});

test('text that is valid Unicode but unusual is stored exactly', async () => {
  const odd = 'zero\u200bwidth, RTL \u202eabc, emoji 👩🏽‍💻, combining e\u0301, tab\tand\r\nnewlines, \u{10ffff}';
  const m = await send(s, 'b-member', ch, odd);
  assert.equal(m.content, odd);
  const [row] = await s.sql`SELECT content FROM channel_messages WHERE id = ${m.id}`;
  assert.equal(row!.content, odd);
  const named = await s.as('b-owner').post('/api/v1/channels', { type: 'group', name: '名前 🎉', description: odd });
  assert.equal(named.status, 201);
  assert.equal(named.body.name, '名前 🎉');
  assert.equal(named.body.description, odd);
});
