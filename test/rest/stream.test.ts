import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { SseClient } from '../helpers/sse.ts';
import { assertError, group, send } from './lib.ts';

/** The REST side of the two SSE endpoints: who may open which stream, and how it starts. */
let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

test("GET /events: 200 text/event-stream starting with a connection event for the token's user", async () => {
  const c = await s.sse('st-alice');
  try {
    assert.equal(c.status, 200);
    await c.waitFor((e) => e.length >= 1, 5000, 'connection');
    const first = c.events[0]!;
    assert.equal(first.type, 'connection');
    assert.equal(first.data.user_id, 'st-alice');
    assert.equal(first.data.node_id, s.parley.config.nodeId);
    assert.equal(first.data.resumed, false);
    assert.equal(first.pos, undefined);
    assert.equal(first.id, undefined);
  } finally {
    c.close();
  }
});

test("GET /sse/{user_id}: the own stream works (header or ?access_token); another user's is 403", async () => {
  const own = await s.sse('st-bob', { path: '/api/v1/sse/st-bob' });
  try {
    await own.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'connection');
    assert.equal(own.events[0]!.data.user_id, 'st-bob');
  } finally {
    own.close();
  }
  const viaQuery = await SseClient.open(s.url, `/api/v1/sse/st-bob?access_token=${await s.token('st-bob')}`);
  try {
    assert.equal(viaQuery.status, 200);
    await viaQuery.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'connection');
  } finally {
    viaQuery.close();
  }
  const auth = { authorization: `Bearer ${await s.token('st-bob')}` };
  assertError(await s.raw('GET', '/api/v1/sse/st-alice', { headers: auth }), 403, 'forbidden');
  assertError(
    await s.raw('GET', `/api/v1/sse/${'x'.repeat(129)}`, { headers: auth }),
    400,
    'invalid_request',
    'params.user_id',
  );
  assertError(await s.raw('GET', '/api/v1/sse/st-bob'), 401, 'unauthorized');
  assertError(await s.raw('GET', '/api/v1/events'), 401, 'unauthorized');
  assertError(await s.raw('GET', '/api/v1/events?access_token=garbage'), 401, 'unauthorized');
});

test('a non-numeric Last-Event-ID is 400, not a silent fresh start', async () => {
  const auth = { authorization: `Bearer ${await s.token('st-alice')}` };
  for (const bad of ['abc', '-1', '1.5', '12abc']) {
    const res = await s.raw('GET', '/api/v1/events', { headers: { ...auth, 'last-event-id': bad } });
    assertError(res, 400, 'invalid_request', 'last_event_id');
    const q = await s.raw('GET', `/api/v1/events?last_event_id=${encodeURIComponent(bad)}`, { headers: auth });
    assertError(q, 400, 'invalid_request', 'last_event_id');
  }
});

test('a message sent through the REST API reaches members over SSE as the same Message', async () => {
  const ch = await group(s, 'st-alice', ['st-bob']);
  const bob = await s.sse('st-bob');
  try {
    await bob.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'connection');
    const m = await send(s, 'st-alice', ch, 'over the wire');
    await bob.waitFor((e) => e.some((x) => x.type === 'new_message'), 5000, 'new_message');
    const ev = bob.of('new_message')[0]!;
    assert.equal(ev.channel_id, ch);
    assert.deepEqual(ev.data, m);
    assert.equal(ev.id, String(ev.pos));
  } finally {
    bob.close();
  }
});
