/**
 * Safety for a platform where adults teach minors: observers, blocks, reports, bans, frozen
 * channels, slow mode, and the moderation audit — over REST (test/realtime/safety-ws.test.ts does the
 * WebSocket side of the same rules).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createServerKey } from '../../src/db/server-keys.ts';
import { eventually } from '../helpers/delivery.ts';
import { type HttpResult, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, storesNothing } from './lib.ts';

let s: TestServer;
let key: string;
before(async () => {
  s = await startTestServer();
  key = (await createServerKey(s.sql, 'safety')).key;
});
after(async () => {
  await s.close();
});

const server = (method: string, path: string, body?: unknown): Promise<HttpResult> =>
  s.raw(method, `/api/v1${path}`, { body, headers: { authorization: `Bearer ${key}` } });

/** A lesson channel made by the host: tutor, student, and the student's parent observing. */
async function lesson(prefix: string): Promise<string> {
  const res = await server('POST', '/server/channels', {
    type: 'tutor_student',
    members: [
      { user_id: `${prefix}-tutor`, role: 'tutor' },
      { user_id: `${prefix}-student`, role: 'student' },
      { user_id: `${prefix}-parent`, role: 'observer' },
    ],
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

test('observers read everything and write nothing; nobody mentions them; their read receipts are their own', async () => {
  const ch = await lesson('ob');
  const parent = await s.sse('ob-parent');
  const student = await s.sse('ob-student');
  const m = await s.as('ob-tutor').post(`/api/v1/channels/${ch}/messages`, { content: 'Homework: page 12' });
  assert.equal(m.status, 201);
  await parent.waitFor((e) => e.some((x) => x.data.id === m.body.id), 5000, 'the observer receives messages');
  await storesNothing(s, async () => {
    assertError(await s.as('ob-parent').post(`/api/v1/channels/${ch}/messages`, { content: 'hi' }), 403, 'forbidden');
    assertError(
      await s.as('ob-parent').put(`/api/v1/messages/${m.body.id}/reactions/${encodeURIComponent('👍')}`),
      403,
      'forbidden',
    );
    assertError(await s.as('ob-parent').post(`/api/v1/channels/${ch}/typing`, {}), 403, 'forbidden');
    assertError(
      await s
        .as('ob-tutor')
        .post(`/api/v1/channels/${ch}/messages`, { content: 'hi @parent', mentions: ['ob-parent'] }),
      400,
      'invalid_request',
      'body.mentions',
    );
  });
  // A plain SQL writer mentioning the observer makes no mention event for them.
  await s.sql`INSERT INTO channel_messages (channel_id, user_id, content, mentions) VALUES (${ch}, 'ob-tutor', 'sql', ARRAY['ob-parent'])`;
  // The observer's read receipt goes to the observer alone.
  assert.equal((await s.as('ob-parent').post(`/api/v1/channels/${ch}/read`, { message_id: m.body.id })).status, 204);
  await parent.waitFor(
    (e) => e.some((x) => x.type === 'read_receipt' && x.data.user_id === 'ob-parent'),
    5000,
    'own receipt',
  );
  const marker = await s.as('ob-tutor').post(`/api/v1/channels/${ch}/messages`, { content: 'marker' });
  await student.waitFor((e) => e.some((x) => x.data.id === marker.body.id), 5000, 'marker');
  assert.equal(
    student.events.some((x) => x.type === 'read_receipt' && x.data.user_id === 'ob-parent'),
    false,
  );
  assert.equal(
    parent.events.some((x) => x.type === 'mention'),
    false,
  );
  // Shown as such; only the host (or an owner or admin) seats or removes an observer.
  const members = (await s.as('ob-student').get(`/api/v1/channels/${ch}/members`)).body.members;
  const seenAsStudent = members.find((x: { user_id: string }) => x.user_id === 'ob-parent');
  assert.equal(seenAsStudent.role, 'observer');
  // Nor does the member list give the observer's read point away; the observer sees their own.
  assert.equal(seenAsStudent.last_read_message_id, null);
  assert.equal(seenAsStudent.last_read_at, null);
  const own = (await s.as('ob-parent').get(`/api/v1/channels/${ch}/members`)).body.members;
  assert.equal(own.find((x: { user_id: string }) => x.user_id === 'ob-parent').last_read_message_id, m.body.id);
  assertError(await s.as('ob-tutor').delete(`/api/v1/channels/${ch}/members/ob-parent`), 403, 'forbidden');
  assertError(
    await s.as('ob-tutor').post(`/api/v1/channels/${ch}/members`, { user_id: 'ob-aunt', role: 'observer' }),
    403,
    'forbidden',
  );
  const g = await group(s, 'ob-owner');
  assert.equal(
    (await s.as('ob-owner').post(`/api/v1/channels/${g}/members`, { user_id: 'ob-lead', role: 'observer' })).status,
    201,
  );
  parent.close();
  student.close();
});

test('blocks: the blocked cannot open or write in a direct channel with the blocker, nor type to them', async () => {
  const dm = (await s.as('bl-a').post('/api/v1/direct-messages', { user_id: 'bl-b' })).body.id;
  const g = await group(s, 'bl-a', ['bl-b', 'bl-c']);
  assert.equal((await s.as('bl-a').put('/api/v1/me/blocks/bl-b')).status, 204);
  assert.equal((await s.as('bl-a').put('/api/v1/me/blocks/bl-b')).status, 204, 'idempotent');
  assert.deepEqual((await s.as('bl-a').get('/api/v1/me/blocks')).body, { user_ids: ['bl-b'] });
  await storesNothing(s, async () => {
    assertError(await s.as('bl-b').post(`/api/v1/channels/${dm}/messages`, { content: 'hey' }), 403, 'forbidden');
    assertError(await s.as('bl-b').post('/api/v1/direct-messages', { user_id: 'bl-a' }), 403, 'forbidden');
  });
  // The blocker may still write; the group is not affected.
  assert.equal((await s.as('bl-a').post(`/api/v1/channels/${dm}/messages`, { content: 'bye' })).status, 201);
  assert.equal((await s.as('bl-b').post(`/api/v1/channels/${g}/messages`, { content: 'in the group' })).status, 201);
  // Typing: the blocker gets none of it, others do.
  const a = await s.sse('bl-a');
  const c = await s.sse('bl-c');
  await s.as('bl-b').post(`/api/v1/channels/${g}/typing`, {});
  await c.waitFor((e) => e.some((x) => x.type === 'typing' && x.data.user_id === 'bl-b'), 5000, 'c sees b typing');
  await a.quiet(300);
  assert.equal(
    a.events.some((x) => x.type === 'typing' && x.data.user_id === 'bl-b'),
    false,
  );
  // Unblocked: typing and direct messages again (the stream that was open learns it too).
  assert.equal((await s.as('bl-a').delete('/api/v1/me/blocks/bl-b')).status, 204);
  await eventually(
    async () => {
      await s.as('bl-b').post(`/api/v1/channels/${g}/typing`, { is_typing: false });
      await s.as('bl-b').post(`/api/v1/channels/${g}/typing`, {});
      await a.quiet(300);
      return a.events.some((x) => x.type === 'typing' && x.data.user_id === 'bl-b');
    },
    8000,
    'the blocker sees typing again',
  );
  assert.equal((await s.as('bl-b').post(`/api/v1/channels/${dm}/messages`, { content: 'sorry' })).status, 201);
  assertError(await s.as('bl-a').put('/api/v1/me/blocks/bl-a'), 400, 'invalid_request', 'params.user_id');
  a.close();
  c.close();
});

test('reports: members report, the host reviews and resolves; message_reported goes to the log, not to streams', async () => {
  const ch = await lesson('rp');
  const student = await s.sse('rp-student');
  const bad = await s.as('rp-tutor').post(`/api/v1/channels/${ch}/messages`, { content: 'something wrong' });
  const r = await s.as('rp-parent').post(`/api/v1/messages/${bad.body.id}/reports`, { reason: 'inappropriate' });
  assert.equal(r.status, 201);
  assert.equal(r.body.status, 'open');
  assert.equal(r.body.reporter, 'rp-parent');
  const again = await s.as('rp-parent').post(`/api/v1/messages/${bad.body.id}/reports`, { reason: 'again' });
  assert.equal(again.status, 200);
  assert.equal(again.body.id, r.body.id);
  assertError(
    await s.as('rp-stranger').post(`/api/v1/messages/${bad.body.id}/reports`, { reason: 'x' }),
    403,
    'forbidden',
  );
  assertError(
    await s.as('rp-student').post(`/api/v1/messages/${bad.body.id}/reports`, { reason: '   ' }),
    400,
    'invalid_request',
    'body.reason',
  );
  const [logged] =
    await s.sql`SELECT type, target_user_ids, data FROM event_log WHERE type = 'message_reported' AND data->>'report_id' = ${r.body.id}`;
  assert.deepEqual(logged!.target_user_ids, [], 'an audience of nobody: webhooks only');
  const open = await server('GET', '/server/reports?status=open');
  assert.ok(open.body.reports.some((x: { id: string }) => x.id === r.body.id));
  assertError(await s.as('rp-tutor').get('/api/v1/server/reports'), 403, 'forbidden');
  const resolved = await server('POST', `/server/reports/${r.body.id}/resolve`, { action: 'delete_message' });
  assert.equal(resolved.status, 200);
  assert.equal(resolved.body.resolution, 'delete_message');
  await student.waitFor(
    (e) => e.some((x) => x.type === 'message_deleted' && x.data.message_id === bad.body.id),
    5000,
    'deleted',
  );
  assertError(await server('POST', `/server/reports/${r.body.id}/resolve`, { action: 'dismiss' }), 409, 'conflict');
  assert.equal(
    student.events.some((x) => x.type === 'message_reported'),
    false,
  );
  // ban_user: the author is removed and kept out.
  const worse = await s.as('rp-student').post(`/api/v1/channels/${ch}/messages`, { content: 'spam' });
  const r2 = await s.as('rp-tutor').post(`/api/v1/messages/${worse.body.id}/reports`, { reason: 'spam' });
  await server('POST', `/server/reports/${r2.body.id}/resolve`, { action: 'ban_user' });
  await student.waitFor(
    (e) => e.some((x) => x.type === 'member_left' && x.data.user_id === 'rp-student'),
    5000,
    'banned',
  );
  assertError(
    await server('POST', `/server/channels/${ch}/members`, { user_id: 'rp-student', role: 'student' }),
    409,
    'conflict',
  );
  const audit =
    await s.sql`SELECT action FROM audit_log WHERE channel_id = ${ch} AND action LIKE 'report.%' ORDER BY id`;
  assert.deepEqual(
    audit.map((x) => x.action),
    ['report.delete_message', 'report.ban_user'],
  );
  student.close();
});

test('bans: moderators remove and keep out, until a time or for good; the rules of removing hold', async () => {
  const ch = await lesson('bn');
  const res = await s.as('bn-tutor').post(`/api/v1/channels/${ch}/bans`, {
    user_id: 'bn-student',
    until: new Date(Date.now() + 2000).toISOString(),
    reason: 'cool off',
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.reason, 'cool off');
  assertError(await s.as('bn-student').get(`/api/v1/channels/${ch}`), 403, 'forbidden');
  assertError(
    await s.as('bn-tutor').post(`/api/v1/channels/${ch}/members`, { user_id: 'bn-student' }),
    409,
    'conflict',
  );
  assert.equal((await s.as('bn-tutor').get(`/api/v1/channels/${ch}/bans`)).body.bans.length, 1);
  assertError(await s.as('bn-parent').get(`/api/v1/channels/${ch}/bans`), 403, 'forbidden');
  // The ban ends by itself.
  await eventually(
    async () =>
      (await s.as('bn-tutor').post(`/api/v1/channels/${ch}/members`, { user_id: 'bn-student' })).status === 201,
    8000,
    'back after the ban',
  );
  // Who may ban whom.
  assertError(await s.as('bn-student').post(`/api/v1/channels/${ch}/bans`, { user_id: 'bn-parent' }), 403, 'forbidden');
  assertError(await s.as('bn-tutor').post(`/api/v1/channels/${ch}/bans`, { user_id: 'bn-parent' }), 403, 'forbidden');
  assertError(
    await s.as('bn-tutor').post(`/api/v1/channels/${ch}/bans`, { user_id: 'bn-tutor' }),
    400,
    'invalid_request',
    'body.user_id',
  );
  assertError(
    await s
      .as('bn-tutor')
      .post(`/api/v1/channels/${ch}/bans`, { user_id: 'bn-student', until: '2000-01-01T00:00:00Z' }),
    400,
    'invalid_request',
    'body.until',
  );
  const g = await group(s, 'bn-owner', ['bn-admin']);
  await s.as('bn-owner').post(`/api/v1/channels/${g}/members`, { user_id: 'bn-admin2', role: 'admin' });
  assertError(await s.as('bn-admin2').post(`/api/v1/channels/${g}/bans`, { user_id: 'bn-owner' }), 403, 'forbidden');
  // For good, then lifted; the server bans anywhere.
  assert.equal((await s.as('bn-owner').post(`/api/v1/channels/${g}/bans`, { user_id: 'bn-admin' })).status, 201);
  assert.equal((await s.as('bn-owner').delete(`/api/v1/channels/${g}/bans/bn-admin`)).status, 204);
  assertError(await s.as('bn-owner').delete(`/api/v1/channels/${g}/bans/bn-admin`), 404, 'not_found');
  assert.equal((await server('POST', `/server/channels/${g}/bans`, { user_id: 'bn-admin2' })).status, 201);
  const audit =
    await s.sql`SELECT action, actor FROM audit_log WHERE channel_id = ${g} AND action LIKE 'member.%' ORDER BY id`;
  assert.deepEqual(
    audit.map((x) => x.action),
    // member.add: bn-admin2 seated as an admin (src/chat/members.ts audits adds, with the role).
    ['member.add', 'member.ban', 'member.unban', 'member.ban'],
  );
});

test('frozen channels take messages from moderators only; slow mode spaces out everyone else', async () => {
  const ch = await lesson('fz');
  assertError(await s.as('fz-student').patch(`/api/v1/channels/${ch}`, { is_frozen: true }), 403, 'forbidden');
  const frozen = await s.as('fz-tutor').patch(`/api/v1/channels/${ch}`, { is_frozen: true });
  assert.equal(frozen.status, 200);
  assert.equal(frozen.body.is_frozen, true);
  await storesNothing(s, async () => {
    assertError(
      await s.as('fz-student').post(`/api/v1/channels/${ch}/messages`, { content: 'let me talk' }),
      403,
      'forbidden',
    );
  });
  assert.equal(
    (await s.as('fz-tutor').post(`/api/v1/channels/${ch}/messages`, { content: 'quiet please' })).status,
    201,
  );
  await s.as('fz-tutor').patch(`/api/v1/channels/${ch}`, { is_frozen: false, slow_mode_seconds: 2 });
  assert.equal((await s.as('fz-student').post(`/api/v1/channels/${ch}/messages`, { content: 'one' })).status, 201);
  const soon = await s.as('fz-student').post(`/api/v1/channels/${ch}/messages`, { content: 'two' });
  assertError(soon, 429, 'rate_limited');
  assert.ok(Number(soon.headers.get('retry-after')) >= 1);
  // Two at once cannot both pass.
  await new Promise((r) => setTimeout(r, 2100));
  const burst = await Promise.all(
    [1, 2, 3].map((i) => s.as('fz-student').post(`/api/v1/channels/${ch}/messages`, { content: `b${i}` })),
  );
  assert.deepEqual(burst.map((r) => r.status).sort(), [201, 429, 429]);
  // Moderators are not slowed.
  for (let i = 0; i < 3; i++)
    assert.equal((await s.as('fz-tutor').post(`/api/v1/channels/${ch}/messages`, { content: `t${i}` })).status, 201);
  const audit =
    await s.sql`SELECT detail FROM audit_log WHERE channel_id = ${ch} AND action = 'channel.moderate' ORDER BY id`;
  assert.deepEqual(
    audit.map((x) => x.detail),
    [{ is_frozen: true }, { is_frozen: false, slow_mode_seconds: 2 }],
  );
});
