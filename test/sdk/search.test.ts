import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ParleyError } from '../../sdk/index.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { clientFor } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

test('search and searchPage: hits with snippet and highlights, pages by next_before, errors as ParleyError', async () => {
  const alice = await clientFor(s, 'ss-alice');
  const ch = await alice.createChannel({ type: 'group', name: 'S', members: [{ user_id: 'ss-bob' }] });
  for (let i = 0; i < 5; i++) await alice.sendMessage(ch.id, `🎉 tapir number ${i}`);
  const bob = await clientFor(s, 'ss-bob');
  const hits = await bob.search('tapir', { channelId: ch.id });
  assert.equal(hits.length, 5);
  for (const h of hits) {
    assert.deepEqual(
      h.highlights.map(([a, b]) => h.snippet.slice(a, b)),
      ['tapir'],
    );
  }
  const first = await bob.searchPage('tapir', { limit: 3 });
  assert.equal(first.messages.length, 3);
  assert.equal(first.has_more, true);
  const second = await bob.searchPage('tapir', { limit: 3, before: first.next_before! });
  assert.equal(second.has_more, false);
  assert.deepEqual(
    [...first.messages, ...second.messages].map((m) => m.id),
    hits.map((m) => m.id),
  );
  await assert.rejects(bob.search(''), (err) => err instanceof ParleyError && err.status === 400);
});
