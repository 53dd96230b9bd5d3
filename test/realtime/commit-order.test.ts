import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

test('two transactions that commit in the opposite order of their ids get pos in commit order', async () => {
  const created = await s.as('o-alice').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'o-bob' }] });
  const ch = created.body.id as string;
  const bob = await s.sse('o-bob');
  await bob.waitFor(() => bob.lastEventId !== undefined);

  const first = await s.sql.reserve();
  const second = await s.sql.reserve();
  try {
    await first`BEGIN`;
    const [a] = await first`
      INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'o-alice', 'inserted first') RETURNING seq`;
    await second`BEGIN`;
    const [b] = await second`
      INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'o-alice', 'inserted second') RETURNING seq`;
    assert.ok(Number(a!.seq) < Number(b!.seq), 'the first insert has the lower id');
    await second`COMMIT`;
    await bob.waitFor((e) => e.some((x) => x.data.content === 'inserted second'));
    const resumeAfterSecond = bob.lastEventId!;
    await first`COMMIT`;
    await bob.waitFor((e) => e.some((x) => x.data.content === 'inserted first'));
    const msgs = bob.of('new_message');
    assert.deepEqual(
      msgs.map((m) => m.data.content),
      ['inserted second', 'inserted first'],
    );
    assert.ok(msgs[1]!.pos! > msgs[0]!.pos!, 'the later commit has the higher pos');

    // The case that loses messages with insert-time ids: a reader that resumes after the second.
    bob.close();
    const again = await s.sse('o-bob', { lastEventId: resumeAfterSecond });
    await again.waitFor((e) => e.some((x) => x.data.content === 'inserted first'));
    assert.deepEqual(
      again.of('new_message').map((m) => m.data.content),
      ['inserted first'],
    );
    again.close();
  } finally {
    first.release();
    second.release();
  }
});

test('concurrent writers: the log has no duplicate pos and a live reader sees exactly the replayed sequence', async () => {
  const created = await s.as('c-alice').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'c-bob' }] });
  const ch = created.body.id as string;
  const live = await s.sse('c-bob');
  await live.waitFor(() => live.lastEventId !== undefined);
  const start = live.lastEventId!;
  const writers = 12;
  const perWriter = 40;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        if (i % 2) {
          await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'c-alice', ${`w${w}-${i}`})`;
        } else {
          const r = await s.as('c-alice').post(`/api/v1/channels/${ch}/messages`, { content: `w${w}-${i}` });
          assert.equal(r.status, 201);
        }
      }
    }),
  );
  const total = writers * perWriter;
  await live.waitFor((e) => e.filter((x) => x.type === 'new_message').length === total, 20000, `${total} messages`);
  const livePos = live.of('new_message').map((e) => e.pos!);
  assert.equal(new Set(livePos).size, total, 'no event twice');
  for (let i = 1; i < livePos.length; i++) assert.ok(livePos[i]! > livePos[i - 1]!, 'pos strictly increasing');
  const replay = await s.sse('c-bob', { lastEventId: start });
  await replay.waitFor((e) => e.filter((x) => x.type === 'new_message').length === total, 20000, 'replay');
  assert.deepEqual(
    replay.of('new_message').map((e) => e.pos),
    livePos,
  );
  assert.deepEqual(new Set(live.of('new_message').map((e) => e.data.content)).size, total);
  live.close();
  replay.close();
});
