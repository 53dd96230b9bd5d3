/**
 * Revisions, legal hold and message retention, against real PostgreSQL:
 * - the original text of edited and deleted messages (by the API or any SQL writer) is kept in
 *   message_revisions, and no user endpoint or stream returns it;
 * - PUT/DELETE /server/channels/{id}/hold (server key only, audited) and GET /server/channels/{id};
 * - retention deletes old messages with their reactions, reports and revisions, in batches, without
 *   events, whole threads only, never a held channel, one node at a time, never waiting on a writer;
 * - erasure removes revisions too, except under legal hold.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { MessageRetention } from '../../src/chat/retention.ts';
import { LOCKS } from '../../src/db/locks.ts';
import { createServerKey } from '../../src/db/server-keys.ts';
import { createLogger } from '../../src/log.ts';
import { sqlClient } from '../helpers/db.ts';
import { type HttpResult, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, send, storesNothing, until } from './lib.ts';

const DAY = 86_400_000;
let s: TestServer;
let key: string;
before(async () => {
  s = await startTestServer();
  key = (await createServerKey(s.sql, 'retention-tests')).key;
});
after(async () => {
  await s.close();
});

function server(method: string, path: string, body?: unknown): Promise<HttpResult> {
  return s.raw(method, `/api/v1${path}`, { body, headers: { authorization: `Bearer ${key}` } });
}

/** A retention job of its own (the server's is off in this suite), run by hand. */
function retention(batch = 3) {
  return new MessageRetention(s.sql, createLogger('silent'), {
    messageMs: DAY,
    auditMs: undefined,
    batch,
    intervalMs: 60_000,
  });
}

/** Makes messages look `days` old (created_at, and a thread's last reply). */
async function age(ids: string[], days = 2): Promise<void> {
  await s.sql`
    UPDATE channel_messages SET created_at = now() - ${`${days} days`}::interval,
           last_reply_at = CASE WHEN last_reply_at IS NULL THEN NULL ELSE now() - ${`${days} days`}::interval END
     WHERE id = ANY (${ids}::uuid[])`;
}

async function exists(id: string): Promise<boolean> {
  return (await s.sql`SELECT 1 FROM channel_messages WHERE id = ${id}`).length > 0;
}

async function revisionsOf(id: string) {
  return s.sql`SELECT kind, content FROM message_revisions WHERE message_id = ${id} ORDER BY id`;
}

test('edits and deletes keep the original text in revisions, whoever writes; users never see it', async () => {
  const ch = await group(s, 'v-owner', ['v-bob']);
  const [{ pos: start }] = (await s.sql`SELECT coalesce(max(pos), 0) AS pos FROM event_log`) as unknown as [
    { pos: number },
  ];
  const edited = await send(s, 'v-bob', ch, 'SECRET-ORIGINAL-1');
  const deleted = await send(s, 'v-bob', ch, 'SECRET-ORIGINAL-2');
  const moderated = await send(s, 'v-bob', ch, 'SECRET-ORIGINAL-3');
  const bySql = await send(s, 'v-bob', ch, 'SECRET-ORIGINAL-4');
  const gone = await send(s, 'v-bob', ch, 'SECRET-ORIGINAL-5');
  const bob = s.as('v-bob');
  assert.equal((await bob.patch(`/api/v1/messages/${edited.id}`, { content: 'first edit' })).status, 200);
  assert.equal((await bob.patch(`/api/v1/messages/${edited.id}`, { content: 'second edit' })).status, 200);
  assert.equal((await bob.delete(`/api/v1/messages/${deleted.id}`)).status, 204);
  assert.equal((await s.as('v-owner').delete(`/api/v1/messages/${moderated.id}`)).status, 204);
  await s.sql`UPDATE channel_messages SET content = 'changed by SQL' WHERE id = ${bySql.id}`;
  await s.sql`DELETE FROM channel_messages WHERE id = ${gone.id}`;

  assert.deepEqual(
    (await revisionsOf(edited.id)).map((r) => [r.kind, r.content]),
    [
      ['edit', 'SECRET-ORIGINAL-1'],
      ['edit', 'first edit'],
    ],
  );
  assert.deepEqual(
    (await revisionsOf(deleted.id)).map((r) => [r.kind, r.content]),
    [['delete', 'SECRET-ORIGINAL-2']],
  );
  assert.deepEqual(
    (await revisionsOf(moderated.id)).map((r) => [r.kind, r.content]),
    [['delete', 'SECRET-ORIGINAL-3']],
  );
  assert.deepEqual(
    (await revisionsOf(bySql.id)).map((r) => [r.kind, r.content]),
    [['edit', 'SECRET-ORIGINAL-4']],
  );
  assert.deepEqual(
    (await revisionsOf(gone.id)).map((r) => [r.kind, r.content]),
    [['delete', 'SECRET-ORIGINAL-5']],
  );
  // A reply bumping its parent's thread counters is no revision.
  await send(s, 'v-owner', ch, { content: 'a reply', parent_message_id: edited.id });
  assert.equal((await revisionsOf(edited.id)).length, 2);

  // Nothing a member can read has the old text: history (with replies), the thread, the channel
  // list, a fresh event stream's snapshot, and the single message's events from here on.
  const stream = await s.sse('v-owner');
  for (const path of [
    `/api/v1/channels/${ch}/messages`,
    `/api/v1/channels/${ch}/messages?include_replies=1`,
    `/api/v1/messages/${edited.id}/thread`,
    '/api/v1/channels',
    `/api/v1/channels/${ch}`,
  ]) {
    for (const user of ['v-owner', 'v-bob']) {
      const res = await s.as(user).get(path);
      assert.equal(res.status, 200, path);
      assert.equal(JSON.stringify(res.body).includes('SECRET-ORIGINAL'), false, `${path} as ${user}`);
    }
  }
  // The WebSocket too: everything it is sent from its start on.
  const frames: string[] = [];
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ws`, {
    headers: { authorization: `Bearer ${await s.token('v-bob')}` },
  });
  ws.on('message', (d) => frames.push(String(d)));
  await until(async () => frames.some((f) => f.includes('"connection"')), 5_000, 'the socket to start');
  assert.equal((await bob.patch(`/api/v1/messages/${edited.id}`, { content: 'third edit' })).status, 200);
  await stream.waitFor((ev) => ev.some((e) => e.type === 'message_updated'), 5_000, 'the edit');
  await until(async () => frames.some((f) => f.includes('third edit')), 5_000, 'the edit over the socket');
  for (const seen of [JSON.stringify(stream.events), frames.join('\n')]) {
    assert.ok(seen.includes('third edit'));
    assert.equal(seen.includes('first edit'), false);
    assert.equal(seen.includes('second edit'), false, 'the text before this edit is not sent either');
    assert.equal(seen.includes('SECRET-ORIGINAL'), false);
  }
  ws.close();
  stream.close();
  // A client resuming from before it all is replayed the messages as they are now: the event
  // log's earlier events of an edited or deleted message no longer carry the old text.
  const resumed = await s.sse('v-bob', { lastEventId: String(start) });
  await resumed.waitFor((ev) => ev.filter((e) => e.type === 'message_updated').length >= 4, 10_000, 'the replay');
  const replay = JSON.stringify(resumed.events);
  assert.ok(replay.includes('third edit') && replay.includes('changed by SQL'));
  for (const old of ['SECRET-ORIGINAL', 'first edit', 'second edit']) {
    assert.equal(replay.includes(old), false, `the replay carries "${old}"`);
  }
  assert.deepEqual(
    resumed.events.filter((e) => e.type === 'message_deleted').length,
    3,
    'deleted, moderated, and the row deleted by SQL',
  );
  resumed.close();
});

test('legal hold: server key only, audited, shown on the server channel; bad input changes nothing', async () => {
  const ch = await group(s, 'h-owner', ['h-bob']);
  assertError(await s.as('h-owner').put(`/api/v1/server/channels/${ch}/hold`, {}), 403, 'forbidden');
  assert.equal((await server('GET', `/server/channels/${ch}`)).body.legal_hold, null);
  await storesNothing(s, async () => {
    assertError(
      await server('PUT', `/server/channels/${ch}/hold`, { reason: 'x'.repeat(1001) }),
      400,
      'invalid_request',
    );
    assertError(await server('PUT', `/server/channels/${ch}/hold`, { why: 'x' }), 400, 'invalid_request');
    assertError(await server('PUT', `/server/channels/${ch}/hold`, '[1]'), 400, 'invalid_request');
    assertError(await server('PUT', '/server/channels/not-a-uuid/hold', {}), 400, 'invalid_request');
    assertError(
      await server('PUT', '/server/channels/00000000-0000-4000-8000-000000000000/hold', {}),
      404,
      'not_found',
    );
    assertError(await server('DELETE', `/server/channels/${ch}/hold`), 404, 'not_found');
  });
  const placed = await server('PUT', `/server/channels/${ch}/hold`, { reason: 'case 42' });
  assert.equal(placed.status, 201);
  assert.equal(placed.body.reason, 'case 42');
  assert.match(placed.body.held_by, /^key:/);
  const again = await s.raw('PUT', `/api/v1/server/channels/${ch}/hold`, {
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(again.status, 200, 'a second PUT (no body) keeps the hold and its reason');
  assert.equal(again.body.reason, 'case 42');
  const shown = await server('GET', `/server/channels/${ch}`);
  assert.equal(shown.body.legal_hold.reason, 'case 42');
  assert.equal(shown.body.id, ch);
  // A held channel cannot be deleted.
  assertError(await server('DELETE', `/server/channels/${ch}`), 409, 'conflict');
  assert.equal((await server('DELETE', `/server/channels/${ch}/hold`)).status, 204);
  assert.equal((await server('GET', `/server/channels/${ch}`)).body.legal_hold, null);
  const audit = await server('GET', `/server/audit?channel_id=${ch}`);
  const actions = audit.body.entries.map((e: { action: string }) => e.action);
  for (const a of ['channel.hold', 'channel.hold_update', 'channel.release']) assert.ok(actions.includes(a), a);
});

test('retention deletes old messages with their reactions, reports and revisions, without events; keeps the rest', async () => {
  const ch = await group(s, 'o-owner', ['o-bob']);
  const old: string[] = [];
  for (let i = 0; i < 7; i++) old.push((await send(s, 'o-bob', ch, `old ${i}`)).id);
  const oldThread = old[0]!;
  const oldReply = (await send(s, 'o-owner', ch, { content: 'old reply', parent_message_id: oldThread })).id;
  const liveThread = (await send(s, 'o-bob', ch, 'old parent of a live thread')).id;
  const liveReplyOld = (
    await send(s, 'o-owner', ch, { content: 'old reply, live thread', parent_message_id: liveThread })
  ).id;
  assert.equal((await s.as('o-owner').put(`/api/v1/messages/${old[1]}/reactions/%F0%9F%91%8D`)).status, 200);
  assert.equal((await s.as('o-bob').patch(`/api/v1/messages/${old[2]}`, { content: 'edited' })).status, 200);
  assert.equal((await s.as('o-owner').post(`/api/v1/messages/${old[3]}/reports`, { reason: 'rude' })).status, 201);
  await age([...old, oldReply, liveThread, liveReplyOld]);
  // The live thread got a reply just now: it stays whole, old parent and old reply included.
  const liveReply = (await send(s, 'o-bob', ch, { content: 'new reply', parent_message_id: liveThread })).id;
  const fresh = (await send(s, 'o-bob', ch, 'fresh')).id;
  const [{ pos: posBefore }] = (await s.sql`SELECT coalesce(max(pos), 0) AS pos FROM event_log`) as unknown as [
    { pos: number },
  ];

  const run = await retention(3).runOnce();
  assert.ok(run);
  assert.equal(run.messages, 7, 'seven old top-level messages (their reply with them)');
  assert.ok(run.batchMs.length >= 3, `in batches of 3 (${run.batchMs.length} batches)`);
  for (const id of [...old, oldReply]) assert.equal(await exists(id), false);
  for (const id of [liveThread, liveReplyOld, liveReply, fresh]) assert.equal(await exists(id), true);
  const [left] = await s.sql`
    SELECT (SELECT count(*) FROM message_reactions WHERE message_id = ${old[1]!})::int AS reactions,
           (SELECT count(*) FROM reports WHERE message_id = ${old[3]!})::int AS reports,
           (SELECT count(*) FROM message_revisions WHERE message_id = ${old[2]!})::int AS revisions`;
  assert.deepEqual({ ...left }, { reactions: 0, reports: 0, revisions: 0 });
  const events = await s.sql`SELECT type FROM event_log WHERE pos > ${posBefore} AND channel_id = ${ch}`;
  assert.deepEqual([...events], [], 'retention emits no events (documented)');
  // History and unread counts simply no longer have them.
  const history = await s.as('o-owner').get(`/api/v1/channels/${ch}/messages`);
  assert.deepEqual(
    history.body.messages.map((m: { id: string }) => m.id),
    [liveThread, fresh],
  );
  const list = await s.as('o-owner').get('/api/v1/channels');
  const mine = list.body.channels.find((c: { id: string }) => c.id === ch);
  assert.ok(mine.unread_count <= 4, `unread counts only what is left (${mine.unread_count})`);
  assert.equal((await retention(3).runOnce())?.messages, 0, 'a second run finds nothing');
});

test('a held channel is kept whatever the retention; released, its old messages go', async () => {
  const ch = await group(s, 'q-owner', ['q-bob']);
  const m = await send(s, 'q-bob', ch, 'evidence');
  assert.equal((await s.as('q-bob').patch(`/api/v1/messages/${m.id}`, { content: 'evidence, edited' })).status, 200);
  await age([m.id], 400);
  assert.equal((await server('PUT', `/server/channels/${ch}/hold`, { reason: 'investigation' })).status, 201);
  await retention().runOnce();
  assert.equal(await exists(m.id), true);
  assert.equal((await revisionsOf(m.id)).length, 1);
  assert.equal((await server('DELETE', `/server/channels/${ch}/hold`)).status, 204);
  await retention().runOnce();
  assert.equal(await exists(m.id), false);
  assert.equal((await revisionsOf(m.id)).length, 0);
});

test('erasure removes the text everywhere, revisions too, except in a channel under legal hold', async () => {
  const held = await group(s, 'e-owner', ['e-victim'], 'held');
  const plain = await group(s, 'e-owner', ['e-victim'], 'plain');
  const inHeld = await send(s, 'e-victim', held, 'said in held');
  const inPlain = await send(s, 'e-victim', plain, 'said in plain');
  assert.equal(
    (await s.as('e-victim').patch(`/api/v1/messages/${inPlain.id}`, { content: 'plain, edited' })).status,
    200,
  );
  assert.equal((await server('PUT', `/server/channels/${held}/hold`, {})).status, 201);
  assert.equal((await server('PUT', '/server/users/e-victim', {})).status, 200);
  assert.equal((await server('DELETE', '/server/users/e-victim')).status, 204);
  // Users see both erased.
  for (const ch of [held, plain]) {
    const page = await s.as('e-owner').get(`/api/v1/channels/${ch}/messages`);
    assert.equal(JSON.stringify(page.body).includes('said in'), false);
  }
  assert.deepEqual(
    (await revisionsOf(inHeld.id)).map((r) => [r.kind, r.content]),
    [['erase', 'said in held']],
  );
  assert.equal((await revisionsOf(inPlain.id)).length, 0, 'the edit revision went with the erasure');
});

test('retention never waits on a writer (SKIP LOCKED) and runs on one node at a time', async () => {
  const ch = await group(s, 'w-owner', ['w-bob']);
  const a = (await send(s, 'w-bob', ch, 'locked by a writer')).id;
  const b = (await send(s, 'w-bob', ch, 'free')).id;
  await age([a, b]);
  const writer = sqlClient(s.databaseUrl);
  try {
    // A writer holds a's row (as an edit in progress would) until we say so.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const tx = writer.begin(async (t) => {
      await t`SELECT id FROM channel_messages WHERE id = ${a} FOR UPDATE`;
      locked();
      await held;
    });
    await isLocked;
    const run = await retention().runOnce();
    assert.equal(await exists(a), true, 'the locked row was skipped, not waited for');
    assert.equal(await exists(b), false);
    assert.ok(run && run.messages >= 1);
    release();
    await tx;
    await retention().runOnce();
    assert.equal(await exists(a), false, 'the next run takes it');

    // Another node holds the retention lock: this one does nothing.
    const c = (await send(s, 'w-bob', ch, 'waits for the other node')).id;
    await age([c]);
    const other = await writer.reserve();
    await other`SELECT pg_advisory_lock(${LOCKS.messageRetention})`;
    assert.equal(await retention().runOnce(), undefined);
    assert.equal(await exists(c), true);
    await other`SELECT pg_advisory_unlock(${LOCKS.messageRetention})`;
    other.release();
    await retention().runOnce();
    assert.equal(await exists(c), false);
  } finally {
    await writer.end({ timeout: 1 });
  }
});

test('a node with PARLEY_MESSAGE_RETENTION runs the job by itself every PARLEY_RETENTION_INTERVAL', async () => {
  const ch = await group(s, 'j-owner', ['j-bob']);
  const m = (await send(s, 'j-bob', ch, 'old')).id;
  await age([m], 3);
  const node = await s.startNode({ messageRetentionMs: 2 * DAY, retentionIntervalMs: 200, retentionBatch: 10 });
  assert.equal(node.messageRetention.enabled, true);
  await until(async () => !(await exists(m)), 10_000, 'the job to delete the old message');
});
