import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

test('a message sent through the API and one inserted with plain SQL both reach a member over SSE', async () => {
  const created = await s
    .as('alice')
    .post('/api/v1/channels', { type: 'group', name: 'g', members: [{ user_id: 'bob' }] });
  assert.equal(created.status, 201);
  const channelId = created.body.id as string;
  const bob = await s.sse('bob');
  await bob.waitFor((e) => e.some((x) => x.type === 'connection'));
  const sent = await s.as('alice').post(`/api/v1/channels/${channelId}/messages`, { content: 'via API' });
  assert.equal(sent.status, 201);
  await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channelId}, 'alice', 'via SQL')`;
  await bob.waitFor((e) => e.filter((x) => x.type === 'new_message').length === 2, 5000, 'two new_message events');
  const msgs = bob.of('new_message');
  assert.deepEqual(
    msgs.map((m) => m.data.content),
    ['via API', 'via SQL'],
  );
  assert.ok(msgs[0]!.pos! < msgs[1]!.pos!);
  assert.equal(msgs[0]!.id, String(msgs[0]!.pos));
  bob.close();
});
