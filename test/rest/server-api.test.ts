/**
 * The server API: server keys (only hashes stored), acting for a user with X-Parley-User, the admin
 * endpoints (users, channels for any members, system messages, revocation) and their audit.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { parseRateLimits } from '../../src/chat/limits.ts';
import { parseDuration } from '../../src/config.ts';
import { createServerKey, revokeServerKey } from '../../src/db/server-keys.ts';
import { eventually } from '../helpers/delivery.ts';
import { type HttpResult, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group } from './lib.ts';

let s: TestServer;
let key: string;
before(async () => {
  s = await startTestServer({ rateLimits: parseRateLimits('send=5/60s', (v) => parseDuration(v, 'x')) });
  key = (await createServerKey(s.sql, 'tests')).key;
});
after(async () => {
  await s.close();
});

/** A call with the server key, optionally acting as a user. */
function server(method: string, path: string, body?: unknown, asUser?: string): Promise<HttpResult> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (asUser !== undefined) headers['x-parley-user'] = asUser;
  return s.raw(method, `/api/v1${path}`, { body, headers });
}

test('keys: only the hash is stored; a wrong key, a revoked key and a key in the query are 401', async () => {
  const [row] = await s.sql`SELECT hash FROM server_keys WHERE name = 'tests'`;
  assert.equal((row!.hash as Buffer).length, 32);
  const stored = JSON.stringify(await s.sql`SELECT * FROM server_keys`);
  assert.equal(stored.includes(key.slice(4, 20)), false, 'no part of the key itself is stored');
  assertError(
    await s.raw('GET', '/api/v1/server/users/x', { headers: { authorization: `Bearer ${key}x` } }),
    401,
    'unauthorized',
  );
  assertError(await s.raw('GET', `/api/v1/events?access_token=${key}`), 401, 'unauthorized');
  const other = await createServerKey(s.sql, 'soon revoked');
  const use = () =>
    s.raw('PUT', '/api/v1/server/users/k-user', { body: {}, headers: { authorization: `Bearer ${other.key}` } });
  assert.ok([200, 201].includes((await use()).status));
  await revokeServerKey(s.sql, other.id);
  await eventually(async () => (await use()).status === 401, 8_000, 'the revoked key refused (within 5 s)');
});

test('a user token on /server is 403; a server key on a user endpoint needs X-Parley-User', async () => {
  assertError(await s.as('k-alice').put('/api/v1/server/users/k-alice', {}), 403, 'forbidden');
  assertError(await s.raw('PUT', '/api/v1/server/users/k-alice', { body: {} }), 401, 'unauthorized');
  assertError(await server('GET', '/channels'), 400, 'invalid_request', 'headers.x-parley-user');
  assertError(
    await server('GET', '/channels', undefined, 'x'.repeat(129)),
    400,
    'invalid_request',
    'headers.x-parley-user',
  );
});

test("X-Parley-User runs any user endpoint as that user, with that user's permissions, unlimited", async () => {
  const ch = await group(s, 'k-owner', ['k-bob']);
  const asBob = await server('GET', '/channels', undefined, 'k-bob');
  assert.equal(asBob.status, 200);
  assert.deepEqual(
    asBob.body.channels.map((c: { id: string }) => c.id),
    [ch],
  );
  // A user the server names is created.
  assertError(await server('POST', `/channels/${ch}/messages`, { content: 'x' }, 'k-new'), 403, 'forbidden');
  const [u] = await s.sql`SELECT count(*)::int AS n FROM users WHERE id = 'k-new'`;
  assert.equal(u!.n, 1);
  // Bob's permissions: a member cannot rename the channel.
  assertError(await server('PATCH', `/channels/${ch}`, { name: 'x' }, 'k-bob'), 403, 'forbidden');
  // Not rate limited (the suite limits sends to 5 a minute per user).
  for (let i = 0; i < 8; i++) {
    assert.equal((await server('POST', `/channels/${ch}/messages`, { content: `m${i}` }, 'k-bob')).status, 201);
  }
  for (let i = 0; i < 5; i++)
    assert.equal((await s.as('k-bob').post(`/api/v1/channels/${ch}/messages`, { content: 'u' })).status, 201);
  assertError(await s.as('k-bob').post(`/api/v1/channels/${ch}/messages`, { content: 'u' }), 429, 'rate_limited');
});

test('users: upsert (201 then 200), get, and errors', async () => {
  const created = await server('PUT', '/server/users/k-carol', {
    name: 'Carol',
    avatar_url: 'https://x.test/c.png',
    metadata: { plan: 'pro' },
  });
  assert.equal(created.status, 201);
  assert.deepEqual(
    { ...created.body, created_at: typeof created.body.created_at },
    {
      id: 'k-carol',
      name: 'Carol',
      avatar_url: 'https://x.test/c.png',
      metadata: { plan: 'pro' },
      created_at: 'string',
    },
  );
  const updated = await server('PUT', '/server/users/k-carol', { name: 'Carol C.' });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.name, 'Carol C.');
  assert.equal(updated.body.avatar_url, 'https://x.test/c.png', 'fields not given are kept');
  assert.deepEqual((await server('GET', '/server/users/k-carol')).body.metadata, { plan: 'pro' });
  assertError(await server('GET', '/server/users/k-nobody'), 404, 'not_found');
  assertError(await server('PUT', '/server/users/k-carol', { nickname: 'c' }), 400, 'invalid_request', 'body.nickname');
  assertError(
    await server('PUT', '/server/users/k-carol', { avatar_url: 'not a url' }),
    400,
    'invalid_request',
    'body.avatar_url',
  );
});

test('channels: a tutor_student channel for two other people, members with any role, delete', async () => {
  const tutorStream = await s.sse('k-tutor');
  const res = await server('POST', '/server/channels', {
    type: 'tutor_student',
    name: 'Maths with Sam',
    members: [{ user_id: 'k-tutor', role: 'tutor' }, { user_id: 'k-student' }],
    metadata: { booking: 'b-1' },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.created_by, null);
  assert.deepEqual(res.body.metadata, { booking: 'b-1' });
  const id = res.body.id as string;
  const roles = (await s.as('k-student').get(`/api/v1/channels/${id}/members`)).body.members.map(
    (m: { user_id: string; role: string }) => `${m.user_id}:${m.role}`,
  );
  assert.deepEqual(roles.sort(), ['k-student:student', 'k-tutor:tutor']);
  await tutorStream.waitFor(
    (e) => e.some((x) => x.type === 'channel_created' && x.channel_id === id),
    5000,
    'channel_created',
  );
  // Replacing the tutor is the host's to do.
  assert.equal((await server('DELETE', `/server/channels/${id}/members/k-tutor`)).status, 204);
  assert.equal(
    (await server('POST', `/server/channels/${id}/members`, { user_id: 'k-tutor-2', role: 'tutor' })).status,
    201,
  );
  // Shapes that can never be right.
  for (const members of [
    [
      { user_id: 'a', role: 'tutor' },
      { user_id: 'b', role: 'tutor' },
    ],
    [{ user_id: 'a', role: 'student' }],
    [
      { user_id: 'a', role: 'owner' },
      { user_id: 'b', role: 'tutor' },
    ],
  ]) {
    assertError(
      await server('POST', '/server/channels', { type: 'tutor_student', members }),
      400,
      'invalid_request',
      'body.members',
    );
  }
  assertError(
    await server('POST', '/server/channels', { type: 'direct', members: [{ user_id: 'a' }] }),
    400,
    'invalid_request',
    'body.members',
  );
  const dm = await server('POST', '/server/channels', {
    type: 'direct',
    members: [{ user_id: 'k-d1' }, { user_id: 'k-d2' }],
  });
  assert.equal(dm.status, 201);
  const again = await s.as('k-d2').post('/api/v1/direct-messages', { user_id: 'k-d1' });
  assert.equal(again.status, 200);
  assert.equal(again.body.id, dm.body.id, 'the pair has one direct channel');
  // Delete: members get member_left, the channel is gone.
  const studentStream = await s.sse('k-student');
  assert.equal((await server('DELETE', `/server/channels/${id}`)).status, 204);
  await studentStream.waitFor(
    (e) => e.some((x) => x.type === 'member_left' && x.channel_id === id),
    5000,
    'member_left',
  );
  assertError(await s.as('k-student').get(`/api/v1/channels/${id}`), 404, 'not_found');
  assertError(await server('DELETE', `/server/channels/${id}`), 404, 'not_found');
  tutorStream.close();
  studentStream.close();
});

test('system messages: no author, system true, to every member, idempotent; or as a member, archived or not', async () => {
  const ch = await group(s, 'k-sys-owner', ['k-sys-bob']);
  const bob = await s.sse('k-sys-bob');
  const sys = await server('POST', `/server/channels/${ch}/messages`, {
    content: 'Lesson booked for Tuesday 16:00',
    client_id: 'booking-7',
  });
  assert.equal(sys.status, 201);
  assert.equal(sys.body.user_id, null);
  assert.equal(sys.body.system, true);
  const retry = await server('POST', `/server/channels/${ch}/messages`, {
    content: 'Lesson booked for Tuesday 16:00',
    client_id: 'booking-7',
  });
  assert.equal(retry.status, 200);
  assert.equal(retry.body.id, sys.body.id);
  await bob.waitFor(
    (e) => e.some((x) => x.type === 'new_message' && x.data.id === sys.body.id),
    5000,
    'the system message',
  );
  // Counted as unread for every member, system messages included.
  const list = (await s.as('k-sys-bob').get('/api/v1/channels')).body.channels.find((c: { id: string }) => c.id === ch);
  assert.equal(list.unread_count, 1);
  const page = await s.as('k-sys-bob').get(`/api/v1/channels/${ch}/messages`);
  assert.equal(page.body.messages.at(-1).system, true);
  // Nobody edits it.
  assertError(await s.as('k-sys-owner').patch(`/api/v1/messages/${sys.body.id}`, { content: 'x' }), 403, 'forbidden');
  // As a member, even in an archived channel; not as a non-member.
  await s.as('k-sys-owner').patch(`/api/v1/channels/${ch}`, { is_archived: true });
  const asBob = await server('POST', `/server/channels/${ch}/messages`, { content: 'from bob', user_id: 'k-sys-bob' });
  assert.equal(asBob.status, 201);
  assert.equal(asBob.body.user_id, 'k-sys-bob');
  assert.equal(asBob.body.system, false);
  assertError(
    await server('POST', `/server/channels/${ch}/messages`, { content: 'x', user_id: 'k-stranger' }),
    400,
    'invalid_request',
    'body.user_id',
  );
  bob.close();
});

test('revoke-tokens: earlier tokens get 401 and their streams close (disconnect, WebSocket 4003); later ones work', async () => {
  const ch = await group(s, 'k-rev-owner', ['k-rev']);
  const sse = await s.sse('k-rev');
  const token = await s.token('k-rev');
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ws?last_event_id=0`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const res = await server('POST', '/server/users/k-rev/revoke-tokens', {});
  assert.equal(res.status, 200);
  assert.equal(res.body.user_id, 'k-rev');
  assert.equal(await wsClosed, 4003);
  await eventually(() => sse.closed, 2000, 'the SSE stream closed');
  assert.equal(sse.events.at(-1)?.type, 'disconnect');
  assert.equal(sse.events.at(-1)?.data.reason, 'token_revoked');
  assertError(await s.as('k-rev').get('/api/v1/me'), 401, 'unauthorized');
  // A token issued after the revocation (iat has a resolution of one second) works again.
  await new Promise((r) => setTimeout(r, 1100));
  const fresh = await s.parley.app.inject({ method: 'POST', url: '/api/v1/dev/token', payload: { user_id: 'k-rev' } });
  const me = await s.raw('GET', '/api/v1/me', { headers: { authorization: `Bearer ${fresh.json().token}` } });
  assert.equal(me.status, 200);
  void ch;
});

test('erase a user: their messages are deleted for everyone, reactions and memberships gone, tokens refused', async () => {
  const ch = await group(s, 'k-er-owner', ['k-er-gone']);
  const owner = await s.sse('k-er-owner');
  const m = (await s.as('k-er-gone').post(`/api/v1/channels/${ch}/messages`, { content: 'my words' })).body;
  const other = (await s.as('k-er-owner').post(`/api/v1/channels/${ch}/messages`, { content: 'theirs' })).body;
  await s.as('k-er-gone').put(`/api/v1/messages/${other.id}/reactions/${encodeURIComponent('👍')}`);
  assert.equal((await server('DELETE', '/server/users/k-er-gone')).status, 204);
  await owner.waitFor(
    (e) => e.some((x) => x.type === 'message_deleted' && x.data.message_id === m.id),
    5000,
    'message_deleted',
  );
  await owner.waitFor(
    (e) => e.some((x) => x.type === 'member_left' && x.data.user_id === 'k-er-gone'),
    5000,
    'member_left',
  );
  const [row] = await s.sql`SELECT content, deleted_at FROM channel_messages WHERE id = ${m.id}`;
  assert.equal(row!.content, '');
  assert.notEqual(row!.deleted_at, null);
  const after = (await s.as('k-er-owner').get(`/api/v1/channels/${ch}/messages`)).body.messages;
  assert.deepEqual(after.find((x: { id: string }) => x.id === other.id).reactions, []);
  assertError(await s.as('k-er-gone').get('/api/v1/me'), 401, 'unauthorized');
  assertError(await server('GET', '/server/users/k-er-gone'), 404, 'not_found');
  assertError(await server('DELETE', '/server/users/k-er-gone'), 404, 'not_found');
  owner.close();
});

test('every change made with a server key is in the audit, with the key and the user acted for', async () => {
  const ch = await group(s, 'k-au-owner', ['k-au-bob']);
  await server('POST', `/channels/${ch}/messages`, { content: 'audited' }, 'k-au-bob');
  await server('POST', `/server/channels/${ch}/messages`, { content: 'system, audited' });
  await server('GET', `/channels/${ch}`, undefined, 'k-au-bob');
  const rows =
    await s.sql`SELECT actor, action, channel_id, user_id FROM audit_log WHERE channel_id = ${ch} ORDER BY id`;
  const keyId = (await s.sql`SELECT id FROM server_keys WHERE name = 'tests'`)[0]!.id as string;
  assert.deepEqual(
    rows.map((r) => ({ ...r })),
    [
      {
        actor: `key:${keyId} as user:k-au-bob`,
        action: 'POST /api/v1/channels/:id/messages',
        channel_id: ch,
        user_id: 'k-au-bob',
      },
      { actor: `key:${keyId}`, action: 'POST /api/v1/server/channels/:id/messages', channel_id: ch, user_id: null },
    ],
    'writes only, each once',
  );
});
