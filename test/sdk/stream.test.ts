import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AnyParleyEvent, ParleyClient, ParleyEvent, StateChange } from '../../sdk/index.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { clientFor, controllableFetch, waitFor } from './lib.ts';

let s: TestServer;
const clients: ParleyClient[] = [];
before(async () => {
  s = await startTestServer();
});
after(async () => {
  for (const c of clients) c.disconnect();
  await s.close();
});

async function groupOf(owner: string, ...members: string[]): Promise<string> {
  const res = await s.as(owner).post('/api/v1/channels', {
    type: 'group',
    name: 'sdk',
    members: members.map((user_id) => ({ user_id })),
  });
  assert.equal(res.status, 201);
  return res.body.id as string;
}

function record(c: ParleyClient) {
  const all: AnyParleyEvent[] = [];
  const messages: ParleyEvent<'new_message'>[] = [];
  const states: StateChange[] = [];
  c.on('*', (e) => all.push(e));
  c.on('new_message', (e) => messages.push(e));
  c.on('state', (e) => states.push(e));
  return { all, messages, states };
}

test('the fetch-based stream receives new_message (API and plain SQL) and sets the resume point', async () => {
  const channelId = await groupOf('st-alice', 'st-bob');
  const bob = await clientFor(s, 'st-bob');
  clients.push(bob);
  const got = record(bob);
  await bob.connect();
  assert.equal(bob.connectionState, 'open');
  const connection = got.all.find((e) => e.type === 'connection');
  assert.ok(connection && connection.type === 'connection');
  assert.equal(connection.data.user_id, 'st-bob');
  assert.equal(connection.data.resumed, false);
  // The id-only block after the connection event sets the resume point before any message.
  await waitFor(() => bob.lastEventId !== undefined, 'the resume point from the id-only block');

  const sent = await s.as('st-alice').post(`/api/v1/channels/${channelId}/messages`, { content: 'hello bob' });
  assert.equal(sent.status, 201);
  await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channelId}, 'st-alice', 'via SQL')`;
  await waitFor(() => got.messages.length === 2, 'two new_message events');
  const [first, second] = got.messages;
  assert.equal(first!.data.content, 'hello bob');
  assert.equal(first!.data.id, sent.body.id);
  assert.equal(first!.channel_id, channelId);
  assert.equal(second!.data.content, 'via SQL');
  assert.ok(first!.pos! < second!.pos!);
  assert.equal(bob.lastEventId, second!.pos);
  assert.deepEqual(
    got.states.map((x) => x.state),
    ['connecting', 'open'],
  );
  bob.disconnect();
  assert.equal(bob.connectionState, 'closed');
});

test('after the network drops, it reconnects with Last-Event-ID and gets what was sent meanwhile, once each, in pos order', async () => {
  const channelId = await groupOf('dr-alice', 'dr-bob');
  const net = controllableFetch();
  const bob = await clientFor(s, 'dr-bob', { fetch: net.fetch });
  clients.push(bob);
  const got = record(bob);
  await bob.connect();
  const alice = s.as('dr-alice');
  for (const content of ['before 1', 'before 2']) {
    assert.equal((await alice.post(`/api/v1/channels/${channelId}/messages`, { content })).status, 201);
  }
  await waitFor(() => got.messages.length === 2, 'the first two messages');
  const posBeforeDrop = bob.lastEventId!;
  assert.equal(posBeforeDrop, got.messages[1]!.pos);

  net.cut();
  await waitFor(() => bob.connectionState === 'reconnecting', 'the client to notice the drop');
  // Sent while the client is down: through the API, and by another program with plain SQL.
  const whileDown: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const content = `while down ${i}`;
    whileDown.push(content);
    if (i % 2) assert.equal((await alice.post(`/api/v1/channels/${channelId}/messages`, { content })).status, 201);
    else
      await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channelId}, 'dr-alice', ${content})`;
  }
  await waitFor(() => net.streamRequests.length === 2, 'the reconnect request');
  net.release();
  await waitFor(() => got.messages.length >= 7, 'the messages sent while down');
  assert.equal(net.streamRequests[1]!.lastEventId, String(posBeforeDrop));

  // One more after the resume, to see nothing is repeated behind it.
  await alice.post(`/api/v1/channels/${channelId}/messages`, { content: 'after' });
  await waitFor(() => got.messages.some((m) => m.data.content === 'after'), 'the message after the resume');
  const contents = got.messages.map((m) => m.data.content);
  assert.deepEqual(contents, ['before 1', 'before 2', ...whileDown, 'after']);
  const positions = got.messages.map((m) => m.pos!);
  assert.deepEqual(
    positions,
    [...positions].sort((a, b) => a - b),
  );
  assert.equal(new Set(positions).size, positions.length);
  const connections = got.all.filter((e) => e.type === 'connection');
  assert.equal(connections.length, 2);
  assert.equal(connections[1]!.type === 'connection' && connections[1]!.data.resumed, true);
  assert.deepEqual(
    got.states.map((x) => x.state),
    ['connecting', 'open', 'reconnecting', 'open'],
  );
  assert.ok(got.states[2]!.error, 'the reconnecting state says what ended the connection');
  bob.disconnect();
});

test('disconnect() keeps the resume point: connect() again delivers what was missed, and reconnect() resumes too', async () => {
  const channelId = await groupOf('rc-alice', 'rc-bob');
  const bob = await clientFor(s, 'rc-bob');
  clients.push(bob);
  const got = record(bob);
  await bob.connect();
  const alice = s.as('rc-alice');
  await alice.post(`/api/v1/channels/${channelId}/messages`, { content: 'one' });
  await waitFor(() => got.messages.length === 1, 'message one');
  bob.disconnect();
  await alice.post(`/api/v1/channels/${channelId}/messages`, { content: 'two' });
  const put = await alice.put(`/api/v1/messages/${got.messages[0]!.data.id}/reactions/${encodeURIComponent('👍')}`);
  assert.equal(put.status, 200);
  await bob.connect();
  await waitFor(() => got.all.some((e) => e.type === 'message_reaction'), 'the reaction made while away');
  bob.reconnect();
  await waitFor(
    () => bob.connectionState === 'open' && got.all.filter((e) => e.type === 'connection').length === 3,
    'the third connection',
  );
  await alice.post(`/api/v1/channels/${channelId}/messages`, { content: 'three' });
  await waitFor(() => got.messages.length === 3, 'message three');
  assert.deepEqual(
    got.messages.map((m) => m.data.content),
    ['one', 'two', 'three'],
  );
  const durable = got.all.filter((e) => e.pos !== undefined).map((e) => e.pos!);
  assert.deepEqual(
    durable,
    [...new Set(durable)].sort((a, b) => a - b),
  );
  const reaction = got.all.find((e) => e.type === 'message_reaction');
  assert.ok(reaction?.type === 'message_reaction');
  assert.deepEqual(reaction.data, { message_id: got.messages[0]!.data.id, user_id: 'rc-alice', emoji: '👍' });
  bob.disconnect();
});

test('a rejected token closes the stream with a ParleyError instead of retrying forever', async () => {
  const c = await clientFor(s, 'bad-token', { token: 'not-a-jwt' });
  const errors: Error[] = [];
  c.on('error', (e) => errors.push(e));
  await assert.rejects(c.connect(), (err: Error & { code?: string; status?: number }) => {
    assert.equal(err.name, 'ParleyError');
    assert.equal(err.code, 'unauthorized');
    assert.equal(err.status, 401);
    return true;
  });
  assert.equal(c.connectionState, 'closed');
  assert.equal(errors.length, 1);
});
