import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, ISO_RE, keys, MEMBER_KEYS, MISSING_UUID, storesNothing } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

async function roles(channelId: string, as = 'm-owner'): Promise<Record<string, string>> {
  const res = await s.as(as).get(`/api/v1/channels/${channelId}/members`);
  assert.equal(res.status, 200);
  return Object.fromEntries(res.body.members.map((m: { user_id: string; role: string }) => [m.user_id, m.role]));
}

/** owner m-owner, admin m-admin, member m-member. */
async function setup(): Promise<string> {
  const res = await s.as('m-owner').post('/api/v1/channels', {
    type: 'group',
    members: [
      { user_id: 'm-admin', role: 'admin' },
      { user_id: 'm-member', role: 'member' },
    ],
  });
  assert.equal(res.status, 201);
  return res.body.id as string;
}

test('GET /channels/{id}/members: every Member field, in join order; non-member 403; unknown 404', async () => {
  const id = await setup();
  const res = await s.as('m-member').get(`/api/v1/channels/${id}/members`);
  assert.equal(res.status, 200);
  assert.deepEqual(keys(res.body), ['members']);
  assert.equal(res.body.members.length, 3);
  for (const m of res.body.members) {
    assert.deepEqual(keys(m), MEMBER_KEYS);
    assert.equal(m.channel_id, id);
    assert.match(m.joined_at, ISO_RE);
    assert.equal(m.last_read_message_id, null);
    assert.equal(m.last_read_at, null);
    assert.equal(m.muted, false);
    assert.equal(m.notification_level, 'all');
  }
  assertError(await s.as('m-stranger').get(`/api/v1/channels/${id}/members`), 403, 'forbidden');
  assertError(await s.as('m-owner').get(`/api/v1/channels/${MISSING_UUID}/members`), 404, 'not_found');
});

test('POST members: owner and admin add (201, the Member), adding again is 200 and changes nothing', async () => {
  const id = await setup();
  const added = await s.as('m-owner').post(`/api/v1/channels/${id}/members`, { user_id: 'm-new1' });
  assert.equal(added.status, 201);
  assert.deepEqual(keys(added.body), MEMBER_KEYS);
  assert.equal(added.body.user_id, 'm-new1');
  assert.equal(added.body.role, 'member');
  assert.equal(added.body.channel_id, id);

  const byAdmin = await s.as('m-admin').post(`/api/v1/channels/${id}/members`, { user_id: 'm-new2', role: 'admin' });
  assert.equal(byAdmin.status, 201);
  assert.equal(byAdmin.body.role, 'admin');

  const again = await storesNothing(s, () =>
    s.as('m-owner').post(`/api/v1/channels/${id}/members`, { user_id: 'm-new1', role: 'admin' }),
  );
  assert.equal(again.status, 200);
  assert.equal(again.body.role, 'member');
  assert.deepEqual(again.body, added.body);

  const ch = await s.as('m-owner').get(`/api/v1/channels/${id}`);
  assert.equal(ch.body.member_count, 5);
  assert.deepEqual(await roles(id), {
    'm-owner': 'owner',
    'm-admin': 'admin',
    'm-member': 'member',
    'm-new1': 'member',
    'm-new2': 'admin',
  });
  // The added user sees the channel.
  const list = await s.as('m-new1').get('/api/v1/channels');
  assert.deepEqual(
    list.body.channels.map((c: { id: string }) => c.id),
    [id],
  );
});

test('POST members: plain members and non-members 403; only the owner may add an owner', async () => {
  const id = await setup();
  await storesNothing(s, async () => {
    assertError(await s.as('m-member').post(`/api/v1/channels/${id}/members`, { user_id: 'x1' }), 403, 'forbidden');
    assertError(await s.as('m-stranger').post(`/api/v1/channels/${id}/members`, { user_id: 'x1' }), 403, 'forbidden');
    assertError(
      await s.as('m-admin').post(`/api/v1/channels/${id}/members`, { user_id: 'x1', role: 'owner' }),
      403,
      'forbidden',
    );
    assertError(
      await s.as('m-owner').post(`/api/v1/channels/${MISSING_UUID}/members`, { user_id: 'x1' }),
      404,
      'not_found',
    );
  }, ['m-stranger']);
  const co = await s.as('m-owner').post(`/api/v1/channels/${id}/members`, { user_id: 'm-co', role: 'owner' });
  assert.equal(co.status, 201);
  assert.equal(co.body.role, 'owner');
});

test('DELETE members: owner/admin remove others (204), members may not; anyone removes themselves', async () => {
  const id = await setup();
  await s.as('m-owner').post(`/api/v1/channels/${id}/members`, { user_id: 'm-x' });
  await s.as('m-owner').post(`/api/v1/channels/${id}/members`, { user_id: 'm-y' });

  await storesNothing(s, async () => {
    assertError(await s.as('m-member').delete(`/api/v1/channels/${id}/members/m-x`), 403, 'forbidden');
    assertError(await s.as('m-stranger').delete(`/api/v1/channels/${id}/members/m-x`), 403, 'forbidden');
    // An admin may not remove the owner.
    assertError(await s.as('m-admin').delete(`/api/v1/channels/${id}/members/m-owner`), 403, 'forbidden');
    // Removing someone who is not a member.
    assertError(await s.as('m-owner').delete(`/api/v1/channels/${id}/members/nobody-here`), 404, 'not_found');
    assertError(await s.as('m-owner').delete(`/api/v1/channels/${MISSING_UUID}/members/m-x`), 404, 'not_found');
  }, ['m-stranger']);

  const byOwner = await s.as('m-owner').delete(`/api/v1/channels/${id}/members/m-x`);
  assert.equal(byOwner.status, 204);
  assert.equal(byOwner.body, null);
  const byAdmin = await s.as('m-admin').delete(`/api/v1/channels/${id}/members/m-y`);
  assert.equal(byAdmin.status, 204);
  const self = await s.as('m-member').delete(`/api/v1/channels/${id}/members/m-member`);
  assert.equal(self.status, 204);
  assert.deepEqual(await roles(id), { 'm-owner': 'owner', 'm-admin': 'admin' });
  const ch = await s.as('m-owner').get(`/api/v1/channels/${id}`);
  assert.equal(ch.body.member_count, 2);

  // A removed member is a non-member from now on.
  assertError(await s.as('m-x').get(`/api/v1/channels/${id}`), 403, 'forbidden');
  assertError(await s.as('m-member').get(`/api/v1/channels/${id}/members`), 403, 'forbidden');
  // Leaving twice: no longer a member.
  assertError(await s.as('m-member').delete(`/api/v1/channels/${id}/members/m-member`), 403, 'forbidden');

  // The owner may leave too.
  assert.equal((await s.as('m-owner').delete(`/api/v1/channels/${id}/members/m-owner`)).status, 204);
  assert.deepEqual(await roles(id, 'm-admin'), { 'm-admin': 'admin' });
});

test("a direct channel's members never change: add and remove are 403, even for oneself", async () => {
  const dm = await s.as('m-d1').post('/api/v1/direct-messages', { user_id: 'm-d2' });
  const id = dm.body.id as string;
  await storesNothing(s, async () => {
    assertError(await s.as('m-d1').post(`/api/v1/channels/${id}/members`, { user_id: 'm-d3' }), 403, 'forbidden');
    assertError(await s.as('m-d1').delete(`/api/v1/channels/${id}/members/m-d2`), 403, 'forbidden');
    assertError(await s.as('m-d1').delete(`/api/v1/channels/${id}/members/m-d1`), 403, 'forbidden');
    assertError(await s.as('m-d1').patch(`/api/v1/channels/${id}`, { name: 'ours' }), 403, 'forbidden');
  });
  assert.deepEqual(await roles(id, 'm-d1'), { 'm-d1': 'member', 'm-d2': 'member' });
});

test('PATCH /channels/{id}/members/me sets own preferences only', async () => {
  const id = await setup();
  const res = await s.as('m-member').patch(`/api/v1/channels/${id}/members/me`, { muted: true });
  assert.equal(res.status, 200);
  assert.deepEqual(keys(res.body), MEMBER_KEYS);
  assert.equal(res.body.user_id, 'm-member');
  assert.equal(res.body.role, 'member');
  assert.equal(res.body.muted, true);
  assert.equal(res.body.notification_level, 'all');

  const lvl = await s.as('m-member').patch(`/api/v1/channels/${id}/members/me`, { notification_level: 'mentions' });
  assert.equal(lvl.status, 200);
  assert.equal(lvl.body.muted, true);
  assert.equal(lvl.body.notification_level, 'mentions');

  const both = await s
    .as('m-member')
    .patch(`/api/v1/channels/${id}/members/me`, { muted: false, notification_level: 'none' });
  assert.equal(both.body.muted, false);
  assert.equal(both.body.notification_level, 'none');

  const list = await s.as('m-owner').get(`/api/v1/channels/${id}/members`);
  const owner = list.body.members.find((m: { user_id: string }) => m.user_id === 'm-owner');
  const member = list.body.members.find((m: { user_id: string }) => m.user_id === 'm-member');
  assert.equal(owner.notification_level, 'all');
  assert.equal(member.notification_level, 'none');

  await storesNothing(s, async () => {
    assertError(await s.as('m-stranger').patch(`/api/v1/channels/${id}/members/me`, { muted: true }), 403, 'forbidden');
    assertError(
      await s.as('m-member').patch(`/api/v1/channels/${id}/members/me`, { notification_level: 'loud' }),
      400,
      'invalid_request',
      'body.notification_level',
    );
  }, ['m-stranger']);
});

test('a tutor_student channel keeps its one tutor: no admin removes them, no second tutor is added', async () => {
  const res = await s.as('ts-tutor').post('/api/v1/channels', {
    type: 'tutor_student',
    members: [{ user_id: 'ts-student' }, { user_id: 'ts-admin', role: 'admin' }],
  });
  assert.equal(res.status, 201);
  const id = res.body.id as string;
  await storesNothing(s, async () => {
    assertError(await s.as('ts-admin').delete(`/api/v1/channels/${id}/members/ts-tutor`), 403, 'forbidden');
    for (const as of ['ts-tutor', 'ts-admin']) {
      assertError(
        await s.as(as).post(`/api/v1/channels/${id}/members`, { user_id: 'ts-tutor-2', role: 'tutor' }),
        403,
        'forbidden',
      );
    }
  });
  // A second tutor named at creation is refused too.
  assertError(
    await s.as('ts-tutor').post('/api/v1/channels', {
      type: 'tutor_student',
      members: [{ user_id: 'ts-other', role: 'tutor' }],
    }),
    400,
    'invalid_request',
    'body.members',
  );
  // The tutor still manages the students, and may leave (anyone may).
  assert.equal((await s.as('ts-tutor').delete(`/api/v1/channels/${id}/members/ts-student`)).status, 204);
  assert.equal((await s.as('ts-tutor').delete(`/api/v1/channels/${id}/members/ts-tutor`)).status, 204);
  assert.deepEqual(await roles(id, 'ts-admin'), { 'ts-admin': 'admin' });
});
