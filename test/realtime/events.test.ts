import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { SseClient } from '../helpers/sse.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

async function channelWith(owner: string, members: string[]): Promise<string> {
  const r = await s.as(owner).post('/api/v1/channels', {
    type: 'group',
    name: `c-${Math.random().toString(36).slice(2, 8)}`,
    members: members.map((user_id) => ({ user_id })),
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

const connected = (c: SseClient) => c.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'connection');
const typeCount = (c: SseClient, type: string) => c.of(type).length;

describe('every durable event type reaches members over SSE', () => {
  test('channel and membership events', async () => {
    const bob = await s.sse('ev-bob');
    await connected(bob);
    const ch = await channelWith('ev-alice', ['ev-bob']);
    await bob.waitFor(
      (e) => e.some((x) => x.type === 'channel_created' && x.channel_id === ch),
      5000,
      'channel_created',
    );
    const created = bob.of('channel_created')[0]!;
    assert.equal(created.data.id, ch);
    assert.equal(created.data.member_count, 2);
    // Bob is a member from his own member_joined on (the creator's join precedes it in pos order),
    // and channel_created, which precedes both, is addressed to every member at commit.
    await bob.waitFor((e) => e.some((x) => x.type === 'member_joined' && x.channel_id === ch));
    assert.deepEqual(
      bob.of('member_joined').map((e) => e.data),
      [{ user_id: 'ev-bob', role: 'member' }],
    );
    const patched = await s.as('ev-alice').patch(`/api/v1/channels/${ch}`, { name: 'renamed' });
    assert.equal(patched.status, 200);
    await bob.waitFor((e) => e.some((x) => x.type === 'channel_updated' && x.data.name === 'renamed'));
    // Every durable event carries id == pos, increasing.
    const durable = bob.events.filter((e) => e.pos !== undefined);
    for (const e of durable) assert.equal(e.id, String(e.pos));
    for (let i = 1; i < durable.length; i++) assert.ok(durable[i]!.pos! > durable[i - 1]!.pos!);
    bob.close();
  });

  test('message lifecycle: new, updated, reactions, thread, read receipt, deleted; mention to the mentioned only', async () => {
    const ch = await channelWith('m-alice', ['m-bob', 'm-carol']);
    const bob = await s.sse('m-bob');
    const carol = await s.sse('m-carol');
    await Promise.all([connected(bob), connected(carol)]);
    const alice = s.as('m-alice');
    const sent = await alice.post(`/api/v1/channels/${ch}/messages`, { content: 'hi @m-bob', mentions: ['m-bob'] });
    assert.equal(sent.status, 201);
    const id = sent.body.id as string;
    await bob.waitFor((e) => e.some((x) => x.type === 'mention'), 5000, 'mention');
    await carol.waitFor((e) => e.some((x) => x.type === 'new_message'), 5000, 'new_message');
    assert.equal(bob.of('mention')[0]!.data.id, id);
    assert.deepEqual(bob.of('new_message')[0]!.data, sent.body);

    await s.as('m-bob').put(`/api/v1/messages/${id}/reactions/${encodeURIComponent('👍')}`);
    await s.as('m-bob').delete(`/api/v1/messages/${id}/reactions/${encodeURIComponent('👍')}`);
    await alice.patch(`/api/v1/messages/${id}`, { content: 'edited' });
    const reply = await s
      .as('m-carol')
      .post(`/api/v1/channels/${ch}/messages`, { content: 'r', parent_message_id: id });
    assert.equal(reply.status, 201);
    await s.as('m-bob').post(`/api/v1/channels/${ch}/read`, { message_id: id });
    await alice.delete(`/api/v1/messages/${id}`);

    const want = [
      'message_reaction',
      'reaction_removed',
      'message_updated',
      'thread_updated',
      'read_receipt',
      'message_deleted',
    ];
    await carol.waitFor((e) => want.every((t) => e.some((x) => x.type === t)), 5000, want.join(','));
    const seq = carol.events.filter((e) => want.includes(e.type)).map((e) => e.type);
    assert.deepEqual(seq, want);
    assert.deepEqual(carol.of('message_reaction')[0]!.data, { message_id: id, user_id: 'm-bob', emoji: '👍' });
    assert.deepEqual(carol.of('reaction_removed')[0]!.data, { message_id: id, user_id: 'm-bob', emoji: '👍' });
    assert.equal(carol.of('message_updated')[0]!.data.content, 'edited');
    assert.equal(carol.of('thread_updated')[0]!.data.thread_reply_count, 1);
    assert.equal(carol.of('read_receipt')[0]!.data.user_id, 'm-bob');
    assert.equal(carol.of('read_receipt')[0]!.data.message_id, id);
    assert.deepEqual(carol.of('message_deleted')[0]!.data, { message_id: id });
    assert.equal(typeCount(carol, 'mention'), 0, 'carol was not mentioned');
    bob.close();
    carol.close();
  });
});

describe('any writer counts', () => {
  test('rows written with plain SQL are delivered like API writes, with the same shape', async () => {
    const ch = await channelWith('sql-alice', ['sql-bob']);
    const bob = await s.sse('sql-bob');
    await connected(bob);
    const [row] = await s.sql`
      INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'sql-alice', 'from psql') RETURNING id`;
    await s.sql`INSERT INTO message_reactions (message_id, user_id, emoji) VALUES (${row!.id}, 'sql-bob', '🎉')`;
    await s.sql`UPDATE channel_messages SET content = 'edited by SQL', edited_at = now() WHERE id = ${row!.id}`;
    await s.sql`INSERT INTO users (id) VALUES ('sql-dave') ON CONFLICT DO NOTHING`;
    await s.sql`INSERT INTO channel_members (channel_id, user_id) VALUES (${ch}, 'sql-dave')`;
    await s.sql`DELETE FROM channel_messages WHERE id = ${row!.id}`;
    const want = ['new_message', 'message_reaction', 'message_updated', 'member_joined', 'message_deleted'];
    await bob.waitFor(
      (e) => want.every((t) => e.some((x) => x.type === t && (t !== 'member_joined' || x.data.user_id === 'sql-dave'))),
      5000,
      want.join(','),
    );
    const viaApi = await s.as('sql-bob').get(`/api/v1/channels/${ch}/messages`);
    assert.equal(viaApi.status, 200);
    const msg = bob.of('new_message')[0]!.data;
    assert.equal(msg.content, 'from psql');
    assert.deepEqual(Object.keys(msg).sort(), Object.keys(viaApi.body.messages[0] ?? msg).sort());
    assert.deepEqual(bob.of('message_reaction')[0]!.data, { message_id: row!.id, user_id: 'sql-bob', emoji: '🎉' });
    assert.deepEqual(bob.of('message_deleted')[0]!.data, { message_id: row!.id });
    bob.close();
  });

  test('NOTIFY payloads on the contract channels stay compact whatever the message size', async () => {
    const ch = await channelWith('n-alice', []);
    const payloads: { channel: string; payload: string }[] = [];
    const { connect } = await import('../../src/db/client.ts');
    const listener = connect(s.databaseUrl, {
      max: 1,
      onnotify: (channel, payload) => payloads.push({ channel, payload }),
    });
    await listener.unsafe(`LISTEN channel_messages; LISTEN message_reactions; LISTEN "channel_${ch}"`);
    const big = 'x'.repeat(40_000);
    const sent = await s.as('n-alice').post(`/api/v1/channels/${ch}/messages`, { content: big });
    assert.equal(sent.status, 201);
    await s.as('n-alice').put(`/api/v1/messages/${sent.body.id}/reactions/${encodeURIComponent('👌')}`);
    const deadline = Date.now() + 5000;
    while (payloads.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await listener.end();
    const byChannel = (c: string) => payloads.filter((p) => p.channel === c);
    assert.equal(byChannel('channel_messages').length, 1);
    assert.equal(byChannel('message_reactions').length, 1);
    assert.equal(byChannel(`channel_${ch}`).length, 2);
    for (const p of payloads) {
      assert.ok(Buffer.byteLength(p.payload) < 200, `payload of ${p.channel} is ${p.payload.length} bytes`);
      const j = JSON.parse(p.payload);
      assert.deepEqual(Object.keys(j).sort(), ['channel_id', 'id', 'pos', 'type']);
      assert.equal(j.channel_id, ch);
    }
    assert.equal(JSON.parse(byChannel('channel_messages')[0]!.payload).id, sent.body.id);
  });
});

describe('who receives what', () => {
  test('an added member gets events from then on without reconnecting; a removed one gets member_left and nothing after', async () => {
    const ch = await channelWith('w-alice', []);
    const eve = await s.sse('w-eve');
    await connected(eve);
    await s.as('w-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'before' });
    await s.as('w-alice').post(`/api/v1/channels/${ch}/members`, { user_id: 'w-eve' });
    await s.as('w-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'while member' });
    await eve.waitFor((e) => e.some((x) => x.type === 'new_message'), 5000, 'message while member');
    const removed = await s.as('w-alice').delete(`/api/v1/channels/${ch}/members/w-eve`);
    assert.equal(removed.status, 204);
    await s.as('w-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'after' });
    await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'w-alice', 'after, by SQL')`;
    await eve.waitFor((e) => e.some((x) => x.type === 'member_left'), 5000, 'member_left');
    // A marker event in another channel eve is in proves the stream has moved past the later writes.
    const other = await channelWith('w-alice', ['w-eve']);
    await s.as('w-alice').post(`/api/v1/channels/${other}/messages`, { content: 'marker' });
    await eve.waitFor((e) => e.some((x) => x.type === 'new_message' && x.data.content === 'marker'), 5000, 'marker');
    const contents = eve.of('new_message').map((e) => e.data.content);
    assert.deepEqual(contents, ['while member', 'marker']);
    const types = eve.events.filter((e) => e.channel_id === ch).map((e) => e.type);
    assert.deepEqual(types, ['member_joined', 'new_message', 'member_left']);
    eve.close();
  });

  test("GET /sse/{user_id} is the caller's own stream only", async () => {
    const ok = await s.sse('own-user', { path: '/api/v1/sse/own-user' });
    assert.equal(ok.status, 200);
    await connected(ok);
    assert.equal(ok.events[0]!.type, 'connection');
    assert.equal(ok.events[0]!.data.user_id, 'own-user');
    ok.close();
    const other = await s.sse('own-user', { path: '/api/v1/sse/someone-else' });
    assert.equal(other.status, 403);
    assert.equal(JSON.parse(other.errorBody).error.code, 'forbidden');
    const anon = await s.raw('GET', '/api/v1/events');
    assert.equal(anon.status, 401);
  });
});
