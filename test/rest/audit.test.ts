/**
 * GET /server/audit: every server-key action and every moderation action is recorded, readable by
 * channel, user and time, newest first in pages; a user token gets 403; bad input 400; the audit is
 * kept when the event log is pruned.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createServerKey } from '../../src/db/server-keys.ts';
import { createLogger } from '../../src/log.ts';
import { Retention } from '../../src/realtime/retention.ts';
import { type HttpResult, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, keys, send, storesNothing, until } from './lib.ts';

let s: TestServer;
let key: string;
let keyId: string;
before(async () => {
  s = await startTestServer();
  const k = await createServerKey(s.sql, 'audit-tests');
  key = k.key;
  keyId = k.id;
});
after(async () => {
  await s.close();
});

function server(method: string, path: string, body?: unknown): Promise<HttpResult> {
  return s.raw(method, `/api/v1${path}`, { body, headers: { authorization: `Bearer ${key}` } });
}

interface Entry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  channel_id: string | null;
  user_id: string | null;
  detail: Record<string, unknown>;
}

async function audit(query: string): Promise<Entry[]> {
  const res = await server('GET', `/server/audit?${query}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.entries as Entry[];
}

test('every moderation action is in the audit, with who, what, whom; a member acting on themselves is not', async () => {
  const ch = await group(s, 'a-owner', ['a-bob', 'a-carol', 'a-dave']);
  const bobs = await send(s, 'a-bob', ch, 'hello from bob');
  const own = await send(s, 'a-owner', ch, 'the owner');
  const owner = s.as('a-owner');
  // The owner deletes Bob's message (moderation) and their own (not moderation).
  assert.equal((await owner.delete(`/api/v1/messages/${bobs.id}`)).status, 204);
  assert.equal((await owner.delete(`/api/v1/messages/${own.id}`)).status, 204);
  // Freeze and slow mode; a rename is not moderation.
  assert.equal((await owner.patch(`/api/v1/channels/${ch}`, { is_frozen: true, slow_mode_seconds: 30 })).status, 200);
  assert.equal((await owner.patch(`/api/v1/channels/${ch}`, { name: 'renamed' })).status, 200);
  // Ban and unban, removal by a moderator; Dave leaving by himself is not moderation.
  assert.equal((await owner.post(`/api/v1/channels/${ch}/bans`, { user_id: 'a-bob', reason: 'spam' })).status, 201);
  assert.equal((await owner.delete(`/api/v1/channels/${ch}/bans/a-bob`)).status, 204);
  assert.equal((await owner.delete(`/api/v1/channels/${ch}/members/a-carol`)).status, 204);
  assert.equal(
    (await owner.post(`/api/v1/channels/${ch}/members`, { user_id: 'a-eve', role: 'observer' })).status,
    201,
  );
  assert.equal((await s.as('a-dave').delete(`/api/v1/channels/${ch}/members/a-dave`)).status, 204);

  const entries = await audit(`channel_id=${ch}`);
  const actions = entries.map((e) => e.action).reverse();
  assert.deepEqual(actions, [
    'message.delete',
    'channel.moderate',
    'member.ban',
    'member.unban',
    'member.remove',
    'member.add',
  ]);
  for (const e of entries) {
    assert.deepEqual(keys(e), ['action', 'actor', 'at', 'channel_id', 'detail', 'id', 'target', 'user_id']);
    assert.equal(e.actor, 'user:a-owner');
    assert.equal(e.channel_id, ch);
  }
  const byAction = Object.fromEntries(entries.map((e) => [e.action, e]));
  assert.equal(byAction['message.delete']!.target, bobs.id);
  assert.equal(byAction['message.delete']!.user_id, 'a-bob');
  assert.deepEqual(byAction['channel.moderate']!.detail, { is_frozen: true, slow_mode_seconds: 30 });
  assert.equal(byAction['member.ban']!.detail.reason, 'spam');
  assert.equal(byAction['member.remove']!.target, 'a-carol');
  assert.deepEqual(byAction['member.add']!.detail, { role: 'observer' });
});

test('report resolutions and every server-key change are audited, with the key', async () => {
  const ch = await group(s, 'r-owner', ['r-bob', 'r-carol']);
  const m1 = await send(s, 'r-bob', ch, 'first');
  const m2 = await send(s, 'r-bob', ch, 'second');
  const report = async (id: string) => {
    const res = await s.as('r-carol').post(`/api/v1/messages/${id}/reports`, { reason: 'rude' });
    assert.equal(res.status, 201);
    return res.body.id as string;
  };
  const rep1 = await report(m1.id);
  const rep2 = await report(m2.id);
  assert.equal((await server('POST', `/server/reports/${rep1}/resolve`, { action: 'delete_message' })).status, 200);
  assert.equal((await server('POST', `/server/reports/${rep2}/resolve`, { action: 'ban_user' })).status, 200);
  assert.equal((await server('PUT', '/server/users/r-dan', { name: 'Dan' })).status, 201);
  assert.equal(
    (await server('POST', `/server/channels/${ch}/members`, { user_id: 'r-dan', role: 'admin' })).status,
    201,
  );

  // Server-key actions are recorded as the response goes out (src/http/authenticate.ts): wait for it.
  const actor = `key:${keyId}`;
  const entries = await until(
    async () => {
      const list = await audit(`channel_id=${ch}`);
      return list.some((e) => e.action === 'POST /api/v1/server/channels/:id/members') && list;
    },
    5_000,
    'the server-key entry',
  );
  const find = (action: string) => entries.find((e) => e.action === action);
  assert.equal(find('report.delete_message')?.target, rep1);
  assert.equal(find('report.delete_message')?.actor, actor);
  assert.equal(find('report.ban_user')?.user_id, 'r-bob');
  assert.equal(find('POST /api/v1/server/channels/:id/members')?.actor, actor);
  const userEntries = await audit('user_id=r-dan');
  assert.ok(userEntries.some((e) => e.action === 'PUT /api/v1/server/users/:user_id' && e.actor === actor));
  assert.ok(userEntries.every((e) => e.user_id === 'r-dan'));
  // Acting for a user with X-Parley-User is a server-key action too.
  const res = await s.raw('POST', `/api/v1/channels/${ch}/messages`, {
    body: { content: 'as dan' },
    headers: { authorization: `Bearer ${key}`, 'x-parley-user': 'r-dan' },
  });
  assert.equal(res.status, 201);
  const asDan = await until(
    async () =>
      (await audit(`user_id=r-dan&channel_id=${ch}`)).find((e) => e.action.startsWith('POST /api/v1/channels')),
    5_000,
    'the entry of acting as r-dan',
  );
  assert.equal(asDan.actor, `${actor} as user:r-dan`);
});

test('pages newest first with before and limit; since filters by time', async () => {
  const ch = await group(s, 'p-owner', ['p-bob']);
  for (let i = 0; i < 5; i++) {
    assert.equal((await s.as('p-owner').patch(`/api/v1/channels/${ch}`, { slow_mode_seconds: i + 1 })).status, 200);
  }
  const all = await audit(`channel_id=${ch}`);
  assert.equal(all.length, 5);
  assert.deepEqual(
    all.map((e) => e.detail.slow_mode_seconds),
    [5, 4, 3, 2, 1],
  );
  const page1 = await server('GET', `/server/audit?channel_id=${ch}&limit=2`);
  assert.equal(page1.body.has_more, true);
  const page2 = await server('GET', `/server/audit?channel_id=${ch}&limit=2&before=${page1.body.entries[1].id}`);
  const page3 = await server('GET', `/server/audit?channel_id=${ch}&limit=2&before=${page2.body.entries[1].id}`);
  assert.equal(page3.body.has_more, false);
  assert.deepEqual(
    [...page1.body.entries, ...page2.body.entries, ...page3.body.entries].map((e: Entry) => e.id),
    all.map((e) => e.id),
  );
  const since = await audit(`channel_id=${ch}&since=${encodeURIComponent(all[1]!.at)}`);
  assert.ok(since.length >= 2 && since.length < 5, `since keeps the newer entries only (${since.length})`);
  assert.ok(since.every((e) => e.at >= all[1]!.at));
  assert.deepEqual(await audit(`channel_id=${ch}&since=2999-01-01T00:00:00Z`), []);
});

test('a user token is 403; bad input is 400 and changes nothing', async () => {
  assertError(await s.as('x-user').get('/api/v1/server/audit'), 403, 'forbidden');
  await storesNothing(s, async () => {
    for (const [q, field] of [
      ['since=yesterday', 'since'],
      ['since=2026-13-45T00:00:00Z', 'since'],
      ['channel_id=not-a-uuid', 'channel_id'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=abc', 'limit'],
      ['before=abc', 'before'],
      ['before=-1', 'before'],
      ['before=99999999999999999999999', 'before'],
      [`user_id=${'u'.repeat(129)}`, 'user_id'],
    ] as const) {
      assertError(await server('GET', `/server/audit?${q}`), 400, 'invalid_request', `query.${field}`);
    }
  });
});

test('the audit is kept when the event log is pruned (it is its own table)', async () => {
  const ch = await group(s, 'k-owner', ['k-bob']);
  assert.equal((await s.as('k-owner').patch(`/api/v1/channels/${ch}`, { is_frozen: true })).status, 200);
  await s.sql`UPDATE event_log SET created_at = now() - interval '2 days'`;
  await s.sql`UPDATE audit_log SET at = now() - interval '2 days' WHERE channel_id = ${ch}`;
  const pruned = await new Retention(s.sql, createLogger('silent'), 60_000).runOnce();
  assert.ok(pruned > 0, 'the event log was pruned');
  const [left] = await s.sql`SELECT count(*)::int AS n FROM event_log WHERE channel_id = ${ch}`;
  assert.equal(left!.n, 0);
  assert.equal((await audit(`channel_id=${ch}`)).length, 1);
});
