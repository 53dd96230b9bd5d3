import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

test('GET /users?ids=: names and avatars of the caller and of users who share a channel, nobody else', async () => {
  await s.as('us-alice').get('/api/v1/me');
  await group(s, 'us-alice', ['us-bob']);
  await s.sql`UPDATE users SET name = 'Bob B.', avatar_url = 'https://example.test/bob.png' WHERE id = 'us-bob'`;
  await s.as('us-stranger').get('/api/v1/me');
  const res = await s.as('us-alice').get('/api/v1/users?ids=us-bob,us-alice,us-stranger,us-nobody');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.users, [
    { id: 'us-alice', name: null, avatar_url: null },
    { id: 'us-bob', name: 'Bob B.', avatar_url: 'https://example.test/bob.png' },
  ]);
  // Repeated parameters, for ids with a comma; one id alone.
  await group(s, 'us-alice', ['a,b']);
  const repeated = await s.as('us-alice').get(`/api/v1/users?ids=${encodeURIComponent('a,b')}&ids=us-bob`);
  assert.deepEqual(
    repeated.body.users.map((u: { id: string }) => u.id),
    ['a,b', 'us-bob'],
  );
  const one = await s.as('us-bob').get('/api/v1/users?ids=us-alice');
  assert.deepEqual(
    one.body.users.map((u: { id: string }) => u.id),
    ['us-alice'],
  );
});

test('GET /users: no ids, too many, or a bad id is 400', async () => {
  assertError(await s.as('us-alice').get('/api/v1/users'), 400, 'invalid_request', 'query.ids');
  assertError(await s.as('us-alice').get('/api/v1/users?ids='), 400, 'invalid_request', 'query.ids');
  const many = Array.from({ length: 101 }, (_, i) => `u${i}`).join(',');
  assertError(await s.as('us-alice').get(`/api/v1/users?ids=${many}`), 400, 'invalid_request', 'query.ids');
});
