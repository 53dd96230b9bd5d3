import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ eventRetentionMs: 1500 });
});
after(async () => {
  await s.close();
});

test('the log is pruned by age in batches; resuming from a pruned point gets reset, from a kept one does not', async () => {
  const r = await s.as('ret-alice').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'ret-bob' }] });
  const ch = r.body.id as string;
  const early = await s.sse('ret-bob');
  await early.waitFor(() => early.lastEventId !== undefined);
  const earlyPoint = early.lastEventId!;
  early.close();
  // 12,000 old events: more than two batches of 5,000.
  await s.sql`
    INSERT INTO channel_messages (channel_id, user_id, content)
    SELECT ${ch}, 'ret-alice', 'old ' || g FROM generate_series(1, 12000) g`;
  await new Promise((res) => setTimeout(res, 1800));
  const keptPoint = String((await s.sql`SELECT max(pos)::int AS p FROM event_log`)[0]!.p);
  await s.as('ret-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'recent' });

  const removed = await s.parley.retention.runOnce();
  assert.ok(removed >= 12_000, `removed ${removed}`);
  const [left] = await s.sql`SELECT min(pos)::int AS min, count(*)::int AS n FROM event_log`;
  assert.equal(left!.n, 1, 'only the recent event is kept');
  const [state] = await s.sql`SELECT value::int AS v FROM parley_state WHERE key = 'pruned_through'`;
  assert.equal(state!.v, Number(keptPoint));

  const stale = await s.sse('ret-bob', { lastEventId: earlyPoint });
  await stale.waitFor((e) => e.some((x) => x.type === 'reset'));
  assert.equal(stale.of('new_message').length, 0, 'no partial history after a reset');
  stale.close();

  const fine = await s.sse('ret-bob', { lastEventId: keptPoint });
  await fine.waitFor((e) => e.some((x) => x.data.content === 'recent'));
  assert.equal(fine.of('reset').length, 0);
  assert.equal(fine.events[0]!.data.resumed, true);
  fine.close();
  assert.equal(await s.parley.retention.runOnce(), 0, 'a second run finds nothing old');
});
