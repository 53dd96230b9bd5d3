import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { SseClient } from '../helpers/sse.ts';
import { group, send } from './lib.ts';

/** Each REST write produces the contract's durable event, with the contract's data, once. */
let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

async function stream(user: string): Promise<SseClient> {
  const c = await s.sse(user);
  await c.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, `${user} connected`);
  return c;
}

const next = async (c: SseClient, type: string, n = 1) => {
  await c.waitFor((e) => e.filter((x) => x.type === type).length >= n, 5000, `${n} ${type}`);
  return c.of(type)[n - 1]!;
};

test('messages, edits, deletes, reactions, threads and read receipts each become one event', async () => {
  const ch = await group(s, 'ev-alice', ['ev-bob']);
  const bob = await stream('ev-bob');
  try {
    const m = await send(s, 'ev-alice', ch, { content: 'hi @bob', mentions: ['ev-bob'] });
    assert.deepEqual((await next(bob, 'new_message')).data, m);
    const mention = await next(bob, 'mention');
    assert.deepEqual(mention.data, m);

    const edited = (await s.as('ev-alice').patch(`/api/v1/messages/${m.id}`, { content: 'hello @bob' })).body;
    assert.deepEqual((await next(bob, 'message_updated')).data, edited);

    await s.as('ev-alice').put(`/api/v1/messages/${m.id}/reactions/${encodeURIComponent('👍')}`);
    assert.deepEqual((await next(bob, 'message_reaction')).data, {
      message_id: m.id,
      user_id: 'ev-alice',
      emoji: '👍',
    });
    await s.as('ev-alice').delete(`/api/v1/messages/${m.id}/reactions/${encodeURIComponent('👍')}`);
    assert.deepEqual((await next(bob, 'reaction_removed')).data, {
      message_id: m.id,
      user_id: 'ev-alice',
      emoji: '👍',
    });

    const r = await send(s, 'ev-alice', ch, { content: 'in thread', parent_message_id: m.id });
    const t = await next(bob, 'thread_updated');
    assert.deepEqual(t.data, { message_id: m.id, thread_reply_count: 1, last_reply_at: r.created_at });

    await s.as('ev-alice').post(`/api/v1/channels/${ch}/read`, { message_id: r.id });
    const rr = await next(bob, 'read_receipt');
    assert.equal(rr.data.user_id, 'ev-alice');
    assert.equal(rr.data.message_id, r.id);
    assert.equal(typeof rr.data.read_at, 'string');

    await s.as('ev-alice').delete(`/api/v1/messages/${m.id}`);
    assert.deepEqual((await next(bob, 'message_deleted')).data, { message_id: m.id });

    // Repeating idempotent writes produces no further events.
    await s.as('ev-alice').delete(`/api/v1/messages/${m.id}`);
    await s.as('ev-alice').post(`/api/v1/channels/${ch}/read`, { message_id: m.id });
    await s.as('ev-alice').delete(`/api/v1/messages/${r.id}/reactions/${encodeURIComponent('🦄')}`);
    const marker = await send(s, 'ev-alice', ch, 'marker');
    await bob.waitFor((e) => e.some((x) => x.type === 'new_message' && x.data.id === marker.id), 5000, 'marker');
    const counts = Object.fromEntries(
      ['message_deleted', 'read_receipt', 'reaction_removed', 'message_updated'].map((k) => [k, bob.of(k).length]),
    );
    assert.deepEqual(counts, { message_deleted: 1, read_receipt: 1, reaction_removed: 1, message_updated: 1 });
    const poses = bob.events.filter((e) => e.pos !== undefined).map((e) => e.pos!);
    assert.deepEqual(
      poses,
      [...poses].sort((a, b) => a - b),
    );
    assert.equal(new Set(poses).size, poses.length);
  } finally {
    bob.close();
  }
});

test('membership and channel changes through REST: joined, updated, left (and nothing after)', async () => {
  const ch = await group(s, 'ev-owner', [], 'before');
  const carol = await stream('ev-carol');
  try {
    await s.as('ev-owner').post(`/api/v1/channels/${ch}/members`, { user_id: 'ev-carol' });
    const joined = await next(carol, 'member_joined');
    assert.equal(joined.channel_id, ch);
    assert.deepEqual(joined.data, { user_id: 'ev-carol', role: 'member' });

    const patched = (await s.as('ev-owner').patch(`/api/v1/channels/${ch}`, { name: 'after' })).body;
    assert.deepEqual((await next(carol, 'channel_updated')).data, patched);

    await s.as('ev-owner').delete(`/api/v1/channels/${ch}/members/ev-carol`);
    const left = await next(carol, 'member_left');
    assert.deepEqual(left.data, { user_id: 'ev-carol', role: 'member' });

    await send(s, 'ev-owner', ch, 'carol must not see this');
    // Another channel's message is the marker that everything before it was delivered.
    const other = await group(s, 'ev-owner', ['ev-carol'], 'marker');
    const marker = await send(s, 'ev-owner', other, 'marker');
    await carol.waitFor((e) => e.some((x) => x.type === 'new_message' && x.data.id === marker.id), 5000, 'marker');
    assert.deepEqual(
      carol.of('new_message').map((e) => e.data.content),
      ['marker'],
    );
  } finally {
    carol.close();
  }
});

test('POST /channels and POST /direct-messages announce channel_created to the members', async () => {
  const dan = await stream('ev-dan');
  try {
    const g = await s
      .as('ev-owner')
      .post('/api/v1/channels', { type: 'group', name: 'new', members: [{ user_id: 'ev-dan' }] });
    const created = await next(dan, 'channel_created');
    assert.equal(created.channel_id, g.body.id);
    assert.equal(created.data.name, 'new');
    assert.equal(created.data.member_count, 2);

    const dm = await s.as('ev-erin').post('/api/v1/direct-messages', { user_id: 'ev-dan' });
    const second = await next(dan, 'channel_created', 2);
    assert.equal(second.channel_id, dm.body.id);
    assert.equal(second.data.type, 'direct');
    // Asking again for the same pair announces nothing new.
    await s.as('ev-dan').post('/api/v1/direct-messages', { user_id: 'ev-erin' });
    const marker = await send(s, 'ev-erin', dm.body.id, 'marker');
    await dan.waitFor((e) => e.some((x) => x.type === 'new_message' && x.data.id === marker.id), 5000, 'marker');
    assert.equal(dan.of('channel_created').length, 2);
  } finally {
    dan.close();
  }
});
