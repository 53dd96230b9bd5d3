import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  assertError,
  CALLER_CHANNEL_KEYS,
  CHANNEL_KEYS,
  group,
  ISO_RE,
  keys,
  MISSING_UUID,
  send,
  storesNothing,
  UUID_RE,
} from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

test('POST /channels creates a group: 201, the Channel with the caller counts, creator is owner', async () => {
  const res = await s.as('ch-alice').post('/api/v1/channels', {
    type: 'group',
    name: 'General',
    description: 'Everything',
    members: [{ user_id: 'ch-bob' }, { user_id: 'ch-carol', role: 'admin' }],
  });
  assert.equal(res.status, 201);
  const c = res.body;
  assert.deepEqual(keys(c), CALLER_CHANNEL_KEYS);
  assert.match(c.id, UUID_RE);
  assert.equal(c.type, 'group');
  assert.equal(c.name, 'General');
  assert.equal(c.description, 'Everything');
  assert.equal(c.created_by, 'ch-alice');
  assert.match(c.created_at, ISO_RE);
  assert.equal(c.updated_at, c.created_at);
  assert.equal(c.last_message_at, null);
  assert.equal(c.member_count, 3);
  assert.equal(c.is_archived, false);
  assert.equal(c.unread_count, 0);
  assert.equal(c.mention_count, 0);
  assert.equal(c.last_read_message_id, null);

  const members = await s.as('ch-alice').get(`/api/v1/channels/${c.id}/members`);
  assert.equal(members.status, 200);
  const roles = Object.fromEntries(
    members.body.members.map((m: { user_id: string; role: string }) => [m.user_id, m.role]),
  );
  assert.deepEqual(roles, { 'ch-alice': 'owner', 'ch-bob': 'member', 'ch-carol': 'admin' });
});

test('POST /channels with only a type: name and description null, the creator alone', async () => {
  const res = await s.as('ch-solo').post('/api/v1/channels', { type: 'group' });
  assert.equal(res.status, 201);
  assert.equal(res.body.name, null);
  assert.equal(res.body.description, null);
  assert.equal(res.body.member_count, 1);
});

test('POST /channels tutor_student: creator is tutor, others default to student', async () => {
  const res = await s.as('ch-tutor').post('/api/v1/channels', {
    type: 'tutor_student',
    name: 'Maths',
    members: [{ user_id: 'ch-student' }],
  });
  assert.equal(res.status, 201);
  assert.equal(res.body.type, 'tutor_student');
  const members = await s.as('ch-student').get(`/api/v1/channels/${res.body.id}/members`);
  const roles = Object.fromEntries(
    members.body.members.map((m: { user_id: string; role: string }) => [m.user_id, m.role]),
  );
  assert.deepEqual(roles, { 'ch-tutor': 'tutor', 'ch-student': 'student' });
});

test('POST /channels: the creator listed among members stays owner; nobody else may be made owner', async () => {
  const res = await s.as('ch-alice').post('/api/v1/channels', {
    type: 'group',
    members: [{ user_id: 'ch-alice', role: 'member' }, { user_id: 'ch-bob' }],
  });
  assert.equal(res.status, 201);
  assert.equal(res.body.member_count, 2);
  const members = await s.as('ch-alice').get(`/api/v1/channels/${res.body.id}/members`);
  const alice = members.body.members.find((m: { user_id: string }) => m.user_id === 'ch-alice');
  assert.equal(alice.role, 'owner');

  // Naming oneself as owner is just saying what is true.
  const self = await s.as('ch-alice').post('/api/v1/channels', {
    type: 'group',
    members: [{ user_id: 'ch-alice', role: 'owner' }, { user_id: 'ch-bob' }],
  });
  assert.equal(self.status, 201, JSON.stringify(self.body));
  assert.equal(self.body.member_count, 2);

  await storesNothing(s, async () => {
    const owner = await s
      .as('ch-alice')
      .post('/api/v1/channels', { type: 'group', members: [{ user_id: 'ch-bob', role: 'owner' }] });
    assertError(owner, 400, 'invalid_request', 'body.members');
    const direct = await s
      .as('ch-alice')
      .post('/api/v1/channels', { type: 'direct', members: [{ user_id: 'ch-bob' }] });
    assertError(direct, 400, 'invalid_request', 'body.type');
  });
});

test('GET /channels lists exactly the caller channels, most recently active first, with counts', async () => {
  const s2 = await startTestServer();
  try {
    const a = await group(s2, 'u1', ['u2'], 'a');
    const b = await group(s2, 'u1', [], 'b');
    const other = await group(s2, 'u3', [], 'not mine');
    await send(s2, 'u2', a, 'hello');
    const res = await s2.as('u1').get('/api/v1/channels');
    assert.equal(res.status, 200);
    assert.deepEqual(keys(res.body), ['channels']);
    assert.deepEqual(
      res.body.channels.map((c: { id: string }) => c.id),
      [a, b],
    );
    assert.ok(!res.body.channels.some((c: { id: string }) => c.id === other));
    for (const c of res.body.channels) assert.deepEqual(keys(c), CALLER_CHANNEL_KEYS);
    const ca = res.body.channels[0];
    assert.equal(ca.unread_count, 1);
    assert.match(ca.last_message_at, ISO_RE);
    const none = await s2.as('nobody').get('/api/v1/channels');
    assert.deepEqual(none.body, { channels: [] });
  } finally {
    await s2.close();
  }
});

test('GET /channels/{id}: members 200, non-members 403, unknown 404, bad id 400', async () => {
  const id = await group(s, 'ch-alice', ['ch-bob'], 'get');
  const ok = await s.as('ch-bob').get(`/api/v1/channels/${id}`);
  assert.equal(ok.status, 200);
  assert.deepEqual(keys(ok.body), CALLER_CHANNEL_KEYS);
  assert.equal(ok.body.id, id);
  assert.equal(ok.body.name, 'get');
  assert.equal(ok.body.member_count, 2);
  assertError(await s.as('ch-mallory').get(`/api/v1/channels/${id}`), 403, 'forbidden');
  assertError(await s.as('ch-alice').get(`/api/v1/channels/${MISSING_UUID}`), 404, 'not_found');
  assertError(await s.as('ch-alice').get('/api/v1/channels/not-a-uuid'), 400, 'invalid_request', 'params.id');
});

test('PATCH /channels/{id}: owner and admin rename, describe, archive; members 403; non-members 403', async () => {
  const res = await s.as('ch-alice').post('/api/v1/channels', {
    type: 'group',
    name: 'old',
    members: [{ user_id: 'ch-bob' }, { user_id: 'ch-carol', role: 'admin' }],
  });
  const id = res.body.id as string;

  const renamed = await s.as('ch-alice').patch(`/api/v1/channels/${id}`, { name: 'new', description: 'd' });
  assert.equal(renamed.status, 200);
  assert.deepEqual(keys(renamed.body), CHANNEL_KEYS);
  assert.equal(renamed.body.name, 'new');
  assert.equal(renamed.body.description, 'd');
  assert.equal(renamed.body.is_archived, false);
  assert.ok(renamed.body.updated_at >= res.body.updated_at);

  const byAdmin = await s.as('ch-carol').patch(`/api/v1/channels/${id}`, { description: null, is_archived: true });
  assert.equal(byAdmin.status, 200);
  assert.equal(byAdmin.body.name, 'new');
  assert.equal(byAdmin.body.description, null);
  assert.equal(byAdmin.body.is_archived, true);

  await storesNothing(s, async () => {
    assertError(await s.as('ch-bob').patch(`/api/v1/channels/${id}`, { name: 'mine' }), 403, 'forbidden');
    assertError(await s.as('ch-mallory').patch(`/api/v1/channels/${id}`, { name: 'mine' }), 403, 'forbidden');
    assertError(await s.as('ch-alice').patch(`/api/v1/channels/${MISSING_UUID}`, { name: 'x' }), 404, 'not_found');
  }, ['ch-mallory']);
  const after = await s.as('ch-bob').get(`/api/v1/channels/${id}`);
  assert.equal(after.body.name, 'new');
  assert.equal(after.body.is_archived, true);
});

test('an archived channel refuses new messages (403) until unarchived', async () => {
  const id = await group(s, 'ch-alice', ['ch-bob'], 'arch');
  await s.as('ch-alice').patch(`/api/v1/channels/${id}`, { is_archived: true });
  await storesNothing(s, async () => {
    assertError(await s.as('ch-bob').post(`/api/v1/channels/${id}/messages`, { content: 'hi' }), 403, 'forbidden');
  });
  const un = await s.as('ch-alice').patch(`/api/v1/channels/${id}`, { is_archived: false });
  assert.equal(un.body.is_archived, false);
  await send(s, 'ch-bob', id, 'hi');
});

test('in a tutor_student channel the tutor manages, students do not', async () => {
  const res = await s
    .as('ch-tutor')
    .post('/api/v1/channels', { type: 'tutor_student', members: [{ user_id: 'ch-student' }] });
  const id = res.body.id as string;
  assert.equal((await s.as('ch-tutor').patch(`/api/v1/channels/${id}`, { name: 'T' })).status, 200);
  assertError(await s.as('ch-student').patch(`/api/v1/channels/${id}`, { name: 'S' }), 403, 'forbidden');
});
