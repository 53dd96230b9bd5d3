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

test('a stream that drops and comes straight back does not flicker offline; leaving for good does', async () => {
  await s.as('pg-peer').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'pg-user' }] });
  const peer = await s.sse('pg-peer');
  await peer.waitFor(() => peer.lastEventId !== undefined);
  const presence = () => peer.of('presence').filter((e) => e.data.user_id === 'pg-user');
  const first = await s.sse('pg-user');
  await peer.waitFor(() => presence().some((e) => e.data.online === true), 5000, 'online');
  first.close();
  const again = await s.sse('pg-user', { lastEventId: first.lastEventId });
  await again.waitFor(() => again.lastEventId !== undefined);
  // Past the grace: still no offline, and the status endpoint agrees.
  await new Promise((r) => setTimeout(r, 1800));
  assert.deepEqual(
    presence().map((e) => e.data.online),
    [true],
  );
  assert.equal((await s.as('pg-peer').get('/api/v1/user/pg-user/status')).body.online, true);
  again.close();
  await peer.waitFor(() => presence().some((e) => e.data.online === false), 5000, 'offline after leaving');
  assert.equal((await s.as('pg-peer').get('/api/v1/user/pg-user/status')).body.online, false);
  peer.close();
});
