import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

// Message events are staged per statement and given pos at commit (db/migrations/0006); the events of
// other tables still come from deferred row triggers. These tests pin the order a reader sees.

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

const channelEvents = (types: string[]) => (e: { type: string }) => types.includes(e.type);

test('one transaction mixing messages and a join: events in statement order, the joiner gets only what follows', async () => {
  const created = await s.as('so-alice').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'so-bob' }] });
  const ch = created.body.id as string;
  const bob = await s.sse('so-bob');
  await bob.waitFor(() => bob.lastEventId !== undefined);
  const start = bob.lastEventId!;

  await s.sql.begin(async (tx) => {
    await tx`INSERT INTO users (id) VALUES ('so-carol') ON CONFLICT DO NOTHING`;
    await tx`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'so-alice', 'before the join')`;
    await tx`INSERT INTO channel_members (channel_id, user_id, role) VALUES (${ch}, 'so-carol', 'member')`;
    await tx`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'so-alice', 'after the join')`;
  });

  const want = ['new_message', 'member_joined', 'new_message'];
  await bob.waitFor((e) => e.filter(channelEvents(want)).length === 3, 5000, 'three events');
  const seen = bob.events.filter(channelEvents(want));
  assert.deepEqual(
    seen.map((e) => (e.type === 'new_message' ? e.data.content : e.type)),
    ['before the join', 'member_joined', 'after the join'],
  );
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.pos! > seen[i - 1]!.pos!);
  bob.close();

  // Carol, resuming from before the transaction, is entitled from her join on.
  const carol = await s.sse('so-carol', { lastEventId: start });
  await carol.waitFor((e) => e.some((x) => x.data?.content === 'after the join'), 5000, 'the later message');
  assert.deepEqual(
    carol.of('new_message').map((e) => e.data.content),
    ['after the join'],
  );
  carol.close();
});

test('one multi-row statement: each message, then its mention, in row order; a reply before its thread update', async () => {
  const created = await s
    .as('sm-alice')
    .post('/api/v1/channels', { type: 'group', members: [{ user_id: 'sm-bob' }, { user_id: 'sm-carol' }] });
  const ch = created.body.id as string;
  const parent = await s.as('sm-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'parent' });
  const bob = await s.sse('sm-bob');
  await bob.waitFor(() => bob.lastEventId !== undefined);

  await s.sql`
    INSERT INTO channel_messages (channel_id, user_id, content, mentions)
    VALUES (${ch}, 'sm-alice', 'one', '{sm-bob}'), (${ch}, 'sm-carol', 'two', '{}'), (${ch}, 'sm-alice', 'three', '{sm-bob}')`;
  await s.sql`
    INSERT INTO channel_messages (channel_id, user_id, content, parent_message_id)
    VALUES (${ch}, 'sm-carol', 'a reply', ${parent.body.id})`;

  const want = ['new_message', 'mention', 'thread_updated'];
  await bob.waitFor((e) => e.filter(channelEvents(want)).length === 7, 5000, 'seven events');
  const seen = bob.events.filter(channelEvents(want));
  assert.deepEqual(
    seen.map((e) => `${e.type}:${e.data.content ?? e.data.thread_reply_count}`),
    [
      'new_message:one',
      'mention:one',
      'new_message:two',
      'new_message:three',
      'mention:three',
      'new_message:a reply',
      'thread_updated:1',
    ],
  );
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.pos! > seen[i - 1]!.pos!);
  bob.close();
});

test('a statement that writes no message leaves nothing staged, and a rolled-back one delivers nothing', async () => {
  const created = await s.as('sr-alice').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'sr-bob' }] });
  const ch = created.body.id as string;
  const bob = await s.sse('sr-bob');
  await bob.waitFor(() => bob.lastEventId !== undefined);
  await s.sql`UPDATE channel_messages SET content = content WHERE channel_id = ${ch}`;
  await s.sql`DELETE FROM channel_messages WHERE channel_id = ${ch} AND false`;
  await assert.rejects(
    s.sql.begin(async (tx) => {
      await tx`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'sr-alice', 'rolled back')`;
      throw new Error('roll back');
    }),
    /roll back/,
  );
  await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'sr-alice', 'kept')`;
  await bob.waitFor((e) => e.some((x) => x.data?.content === 'kept'), 5000, 'the kept message');
  assert.deepEqual(
    bob.of('new_message').map((e) => e.data.content),
    ['kept'],
  );
  const [pending] = await s.sql`SELECT count(*)::int AS n FROM event_pending`;
  assert.equal(pending!.n, 0, 'no staged event outlives its transaction');
  bob.close();
});
