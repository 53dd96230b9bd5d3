import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SignJWT } from 'jose';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server.ts';
import { assertError, storesNothing } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

const secret = new TextEncoder().encode(TEST_SECRET);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function sign(claims: Record<string, unknown>, opts: { key?: Uint8Array; alg?: string } = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' }).sign(opts.key ?? secret);
}

const me = (authorization?: string) =>
  s.raw('GET', '/api/v1/me', { headers: authorization === undefined ? {} : { authorization } });

test('a valid token: GET /me gives {id, name}, and the user row is created from the claims', async () => {
  const token = await sign({ sub: 'a-alice', name: 'Alice A.', exp: now() + 60 });
  const res = await me(`Bearer ${token}`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { id: 'a-alice', name: 'Alice A.' });
  const [row] = await s.sql`SELECT name FROM users WHERE id = 'a-alice'`;
  assert.equal(row!.name, 'Alice A.');

  // A later token with another name renames; one without a name keeps it.
  const renamed = await me(`Bearer ${await sign({ sub: 'a-alice', name: 'Alice B.' })}`);
  assert.deepEqual(renamed.body, { id: 'a-alice', name: 'Alice B.' });
  const nameless = await me(`Bearer ${await sign({ sub: 'a-alice' })}`);
  assert.deepEqual(nameless.body, { id: 'a-alice', name: 'Alice B.' });
  const [after] = await s.sql`SELECT name FROM users WHERE id = 'a-alice'`;
  assert.equal(after!.name, 'Alice B.');

  // The scheme is case-insensitive.
  assert.equal((await me(`bearer ${token}`)).status, 200);
});

test('missing, malformed and invalid tokens are 401 with the error shape, and store nothing', async () => {
  const payload = { sub: 'a-mallory', exp: now() + 60 };
  const good = await sign(payload);
  const [h, p] = good.split('.');
  const cases: [string, string | undefined][] = [
    ['no header', undefined],
    ['empty header', ''],
    ['Basic scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['Bearer without token', 'Bearer'],
    ['Bearer with blank', 'Bearer   '],
    ['two tokens', `Bearer ${good} ${good}`],
    ['token alone', good],
    ['garbage', 'Bearer not.a.jwt'],
    ['garbage 2', 'Bearer abc'],
    ['truncated signature', `Bearer ${good.slice(0, -4)}`],
    ['alg none', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${p}.`],
    ['alg none with signature kept', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${p}.${good.split('.')[2]}`],
    ['payload swapped', `Bearer ${h}.${b64({ sub: 'a-admin', exp: now() + 60 })}.${good.split('.')[2]}`],
    [
      'other secret',
      `Bearer ${await sign(payload, { key: new TextEncoder().encode('another-secret-0123456789abcdef!') })}`,
    ],
    ['HS512 with the right secret', `Bearer ${await sign(payload, { alg: 'HS512' })}`],
    ['expired', `Bearer ${await sign({ sub: 'a-mallory', exp: now() - 60 })}`],
    ['not yet valid', `Bearer ${await sign({ sub: 'a-mallory', nbf: now() + 3600 })}`],
    ['no sub', `Bearer ${await sign({ name: 'x' })}`],
    ['empty sub', `Bearer ${await sign({ sub: '' })}`],
    ['sub of 129 characters', `Bearer ${await sign({ sub: 'x'.repeat(129) })}`],
    ['numeric sub', `Bearer ${await sign({ sub: 12345 })}`],
    ['name not a string', `Bearer ${await sign({ sub: 'a-mallory', name: 42 })}`],
    ['name of 201 characters', `Bearer ${await sign({ sub: 'a-mallory', name: 'n'.repeat(201) })}`],
  ];
  await storesNothing(s, async () => {
    for (const [what, header] of cases) {
      const res = await me(header);
      assert.equal(res.status, 401, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
      assertError(res, 401, 'unauthorized');
    }
    // Every endpoint is behind the same check.
    for (const [method, path] of [
      ['GET', '/api/v1/channels'],
      ['POST', '/api/v1/channels'],
      ['POST', '/api/v1/direct-messages'],
      ['GET', '/api/v1/online-users'],
      ['GET', '/api/v1/events'],
      ['GET', '/api/v1/sse/a-alice'],
      ['PUT', '/api/v1/messages/00000000-0000-4000-8000-000000000000/reactions/x'],
    ]) {
      assertError(await s.raw(method!, path!, { body: method === 'GET' ? undefined : {} }), 401, 'unauthorized');
    }
  });
  const users = await s.sql`SELECT id FROM users WHERE id IN ('a-mallory', 'a-admin') OR char_length(id) > 128`;
  assert.equal(users.length, 0);
});

test('a sub of exactly 128 characters is accepted', async () => {
  const sub = 'y'.repeat(128);
  const res = await me(`Bearer ${await sign({ sub })}`);
  assert.equal(res.status, 200);
  assert.equal(res.body.id, sub);
});

test('a user id is counted in characters everywhere: 128 emoji sign in, as members can be added, 129 cannot', async () => {
  const id = '😀'.repeat(128); // 256 UTF-16 units, 128 characters
  const owner = await sign({ sub: 'a-owner' });
  const ch = await s.raw('POST', '/api/v1/channels', {
    headers: { authorization: `Bearer ${owner}` },
    body: { type: 'group', members: [{ user_id: id }] },
  });
  assert.equal(ch.status, 201, JSON.stringify(ch.body));
  const res = await me(`Bearer ${await sign({ sub: id })}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.id, id);
  const list = await s.raw('GET', '/api/v1/channels', {
    headers: { authorization: `Bearer ${await sign({ sub: id })}` },
  });
  assert.deepEqual(
    list.body.channels.map((c: { id: string }) => c.id),
    [ch.body.id],
  );
  assertError(await me(`Bearer ${await sign({ sub: '😀'.repeat(129) })}`), 401, 'unauthorized');
});

test('?access_token is accepted on the streams only', async () => {
  const token = await sign({ sub: 'a-query' });
  assertError(await s.raw('GET', `/api/v1/me?access_token=${token}`), 401, 'unauthorized');
  const res = await fetch(new URL(`/api/v1/events?access_token=${token}`, s.url));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  await res.body?.cancel();
});

test('/healthz, /readyz, /metrics and /docs/json need no token', async () => {
  const health = await s.raw('GET', '/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(health.body, { status: 'ok' });
  const ready = await s.raw('GET', '/readyz');
  assert.equal(ready.status, 200);
  assert.equal(ready.body.status, 'ready');
  const metrics = await s.raw('GET', '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  const docs = await s.raw('GET', '/docs/json');
  assert.equal(docs.status, 200);
  assert.ok(docs.body.paths['/api/v1/channels']);
});

test('POST /api/v1/dev/token (dev auth on) makes a token that works', async () => {
  const res = await s.raw('POST', '/api/v1/dev/token', { body: { user_id: 'a-dev', name: 'Dev' } });
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys(res.body), ['token']);
  const who = await me(`Bearer ${res.body.token}`);
  assert.deepEqual(who.body, { id: 'a-dev', name: 'Dev' });
  await storesNothing(s, async () => {
    assertError(await s.raw('POST', '/api/v1/dev/token', { body: {} }), 400, 'invalid_request', 'body.user_id');
    assertError(
      await s.raw('POST', '/api/v1/dev/token', { body: { user_id: 'z'.repeat(129) } }),
      400,
      'invalid_request',
      'body.user_id',
    );
    assertError(
      await s.raw('POST', '/api/v1/dev/token', { body: { user_id: 'ok', admin: true } }),
      400,
      'invalid_request',
      'body.admin',
    );
  });
});

test('POST /api/v1/dev/token is 404 when dev auth is off', async () => {
  const off = await startTestServer({ devAuth: false });
  try {
    const res = await off.raw('POST', '/api/v1/dev/token', { body: { user_id: 'x' } });
    assertError(res, 404, 'not_found');
    // Signed tokens still work there.
    const ok = await off.raw('GET', '/api/v1/me', { headers: { authorization: `Bearer ${await sign({ sub: 'x' })}` } });
    assert.equal(ok.status, 200);
  } finally {
    await off.close();
  }
});
