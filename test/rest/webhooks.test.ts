/**
 * Webhooks through the server API, delivered to a real HTTP receiver that verifies the Standard
 * Webhooks signature on its own: the endpoints' API and its refusals, what is delivered (every
 * durable event server-wide, the stream's JSON, evt_<pos> ids; not typing; message_reported), the
 * events filter, retries in order with backoff, a receiver that is down then up, and the failing
 * marker when retention prunes events an endpoint never got.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createServerKey } from '../../src/db/server-keys.ts';
import { eventually } from '../helpers/delivery.ts';
import { type HttpResult, startTestServer, type TestServer } from '../helpers/server.ts';
import { Receiver } from '../helpers/webhook-receiver.ts';
import { assertError, group, ISO_RE, send, storesNothing, UUID_RE } from './lib.ts';

const FAST = { webhookRetryMinMs: 100, webhookRetryMaxMs: 800, webhookPollMs: 500, webhookLeaseMs: 2_000 };
const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

let s: TestServer;
let key: string;
/** Every receiver a test started, stopped after the file even when a test failed half-way. */
const receivers: Receiver[] = [];
before(async () => {
  s = await startTestServer(FAST);
  key = (await createServerKey(s.sql, 'webhook tests')).key;
});
after(async () => {
  for (const r of receivers) await r.stop();
  await s.close();
});

function server(t: TestServer, k: string, method: string, path: string, body?: unknown): Promise<HttpResult> {
  return t.raw(method, `/api/v1/server${path}`, { body, headers: { authorization: `Bearer ${k}` } });
}

/** A receiver and an endpoint that POSTs to it; removed again by `done`. */
async function endpoint(t: TestServer, k: string, body: Record<string, unknown> = {}) {
  const r = new Receiver();
  receivers.push(r);
  r.secret = SECRET;
  await r.start();
  const res = await server(t, k, 'POST', '/webhooks', { url: r.url, secret: SECRET, ...body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const id = res.body.id as string;
  const [row] = await t.sql`SELECT cursor_pos FROM webhook_endpoints WHERE id = ${id}`;
  return {
    r,
    id,
    from: Number(row!.cursor_pos),
    state: async () => (await server(t, k, 'GET', '/webhooks')).body.webhooks.find((w: { id: string }) => w.id === id),
    done: async () => {
      assert.equal((await server(t, k, 'DELETE', `/webhooks/${id}`)).status, 204);
      await r.stop();
    },
  };
}

const posOf = (id: string) => Number(id.replace(/^evt_/, ''));

async function logAfter(t: TestServer, from: number, types?: string[]): Promise<number[]> {
  const rows = await t.sql`SELECT pos, type FROM event_log WHERE pos > ${from} ORDER BY pos`;
  return rows.filter((r) => !types || types.includes(r.type as string)).map((r) => Number(r.pos));
}

async function metric(t: TestServer, name: string, endpointId: string): Promise<number> {
  const text = (await t.raw('GET', '/metrics')).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{endpoint="${endpointId}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('POST /server/webhooks: 201 with a generated whsec_ secret; GET lists it without the secret; DELETE', async () => {
  const res = await server(s, key, 'POST', '/webhooks', { url: 'https://example.com/hooks', events: ['new_message'] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const w = res.body;
  assert.match(w.id, UUID_RE);
  assert.equal(w.url, 'https://example.com/hooks');
  assert.deepEqual(w.events, ['new_message']);
  assert.match(w.created_at, ISO_RE);
  assert.match(w.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  assert.ok(Buffer.from(w.secret.slice(6), 'base64').length >= 24);
  assert.equal(w.failing, false);

  const list = await server(s, key, 'GET', '/webhooks');
  assert.equal(list.status, 200);
  const shown = list.body.webhooks.find((x: { id: string }) => x.id === w.id);
  assert.equal(shown.url, w.url);
  assert.equal(shown.secret, undefined, 'the secret is shown once, when created');
  for (const k of ['cursor', 'lag_events', 'lag_seconds', 'attempts', 'failing', 'skipped_events']) {
    assert.ok(k in shown, `GET shows ${k}`);
  }

  const all = await server(s, key, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/x' });
  assert.deepEqual(all.body.events, ['*'], 'no events: every event');

  const audit = await s.sql`SELECT action, target, detail::text AS detail FROM audit_log WHERE action LIKE 'webhook.%'`;
  assert.ok(audit.some((a) => a.action === 'webhook.create' && a.target === w.id));
  for (const a of audit) assert.equal(a.detail.includes('whsec_'), false, 'no secret in the audit');

  assert.equal((await server(s, key, 'DELETE', `/webhooks/${w.id}`)).status, 204);
  assert.equal((await server(s, key, 'DELETE', `/webhooks/${all.body.id}`)).status, 204);
  assertError(await server(s, key, 'DELETE', `/webhooks/${w.id}`), 404, 'not_found');
  const [del] =
    await s.sql`SELECT count(*)::int AS n FROM audit_log WHERE action = 'webhook.delete' AND target = ${w.id}`;
  assert.equal(del!.n, 1);
});

test('hostile input: 400 naming the field, 401/403 without a server key; nothing stored', async () => {
  const cases: [unknown, string][] = [
    [{ url: 'ftp://example.com/x' }, 'body.url'],
    [{ url: 'javascript:alert(1)' }, 'body.url'],
    [{ url: 'not a url' }, 'body.url'],
    [{ url: `https://example.com/${'x'.repeat(3000)}` }, 'body.url'],
    [{ url: 'https://example.com', events: ['typing'] }, 'body.events'],
    [{ url: 'https://example.com', events: ['presence'] }, 'body.events'],
    [{ url: 'https://example.com', events: [] }, 'body.events'],
    [{ url: 'https://example.com', events: 'new_message' }, 'body.events'],
    [{ url: 'https://example.com', secret: 'hunter2' }, 'body.secret'],
    [{ url: 'https://example.com', secret: 'whsec_c2hvcnQ=' }, 'body.secret'],
    [{ url: 'https://example.com', secret: 'whsec_!!!!' }, 'body.secret'],
    [{}, 'body.url'],
  ];
  await storesNothing(s, async () => {
    for (const [body, field] of cases) {
      assertError(await server(s, key, 'POST', '/webhooks', body), 400, 'invalid_request', field);
    }
    assertError(
      await server(s, key, 'POST', '/webhooks', { url: 'https://example.com', x: 1 }),
      400,
      'invalid_request',
    );
    assertError(await server(s, key, 'POST', '/webhooks', '{"url":'), 400, 'invalid_request');
    assertError(await server(s, key, 'DELETE', '/webhooks/not-a-uuid'), 400, 'invalid_request', 'params.id');
    assertError(await s.as('w-user').post('/api/v1/server/webhooks', { url: 'https://example.com' }), 403, 'forbidden');
    assertError(await s.as('w-user').get('/api/v1/server/webhooks'), 403, 'forbidden');
    assertError(await s.raw('GET', '/api/v1/server/webhooks'), 401, 'unauthorized');
  }, ['w-user']);
});

test('every durable event server-wide, signed, in pos order, as the stream sends it; no typing; message_reported', async () => {
  const ep = await endpoint(s, key);
  const ch = await group(s, 'd-ann', ['d-bob']);
  const other = await group(s, 'd-cat', [], 'elsewhere');
  const stream = await s.sse('d-bob');
  const m = await send(s, 'd-ann', ch, { content: 'hello @d-bob', mentions: ['d-bob'] });
  await send(s, 'd-cat', other, 'a channel nobody else is in');
  assert.equal((await s.as('d-bob').put(`/api/v1/messages/${m.id}/reactions/${encodeURIComponent('👍')}`)).status, 200);
  assert.equal((await s.as('d-bob').post(`/api/v1/channels/${ch}/typing`, {})).status, 204);
  assert.equal((await s.as('d-bob').post(`/api/v1/messages/${m.id}/reports`, { reason: 'rude' })).status, 201);
  await send(s, 'd-ann', ch, 'last');
  const expected = await logAfter(s, ep.from);
  await eventually(() => ep.r.acked().length >= expected.length, 15_000, 'every event delivered');

  const got = ep.r.acked();
  assert.deepEqual(
    got.map((h) => posOf(h.id)),
    expected,
    'every event of the log after the endpoint was made, each once, in pos order',
  );
  for (const h of got) {
    assert.ok(h.verified, 'signature verifies');
    assert.match(h.id, /^evt_\d+$/);
    assert.equal(h.event.pos, posOf(h.id));
    assert.ok(Math.abs(h.timestamp - Date.now() / 1000) < 60, 'webhook-timestamp is now, in seconds');
    assert.deepEqual(Object.keys(h.event).sort(), ['channel_id', 'data', 'pos', 'ts', 'type']);
  }
  const types = got.map((h) => h.event.type);
  assert.ok(types.includes('channel_created') && types.includes('mention') && types.includes('message_reaction'));
  assert.ok(types.includes('message_reported'), 'message_reported goes to webhooks');
  assert.equal(types.includes('typing'), false, 'ephemeral events are not delivered');
  assert.ok(
    got.some((h) => h.event.channel_id === other),
    'server-wide: a channel of users the stream does not share',
  );
  // The same JSON object the stream sends.
  await stream.waitFor(
    () =>
      stream.events.some(
        (e) => e.type === 'new_message' && e.pos === got.find((h) => h.event.type === 'new_message')!.event.pos,
      ),
    10_000,
    'the stream',
  );
  const viaStream = stream.events.find((e) => e.type === 'new_message')!;
  const viaHook = got.find((h) => h.event.pos === viaStream.pos)!;
  const { id: _id, ...streamed } = viaStream as unknown as Record<string, unknown>;
  assert.deepEqual(viaHook.event, streamed);
  assert.equal(
    stream.events.some((e) => e.type === 'message_reported'),
    false,
    'never on a user stream',
  );
  stream.close();

  assert.ok((await metric(s, 'parley_webhook_deliveries_total', ep.id)) >= expected.length);
  const st = await ep.state();
  assert.equal(st.cursor, expected.at(-1));
  assert.equal(st.lag_events, 0);
  await ep.done();
});

test('events filter: only the named events are POSTed; the cursor passes the rest', async () => {
  const ep = await endpoint(s, key, { events: ['message_reaction', 'message_deleted'] });
  const ch = await group(s, 'f-ann', ['f-bob']);
  const m = await send(s, 'f-ann', ch, 'react to me');
  assert.equal((await s.as('f-bob').put(`/api/v1/messages/${m.id}/reactions/${encodeURIComponent('🎉')}`)).status, 200);
  await send(s, 'f-ann', ch, 'not wanted');
  assert.equal((await s.as('f-ann').delete(`/api/v1/messages/${m.id}`)).status, 204);
  const expected = await logAfter(s, ep.from, ['message_reaction', 'message_deleted']);
  assert.equal(expected.length, 2);
  await eventually(() => ep.r.acked().length >= 2, 10_000, 'the two wanted events');
  const last = (await logAfter(s, ep.from)).at(-1)!;
  await eventually(async () => (await ep.state()).cursor >= last, 10_000, 'the cursor past the unwanted ones');
  assert.deepEqual(
    ep.r.hits.map((h) => posOf(h.id)),
    expected,
  );
  assert.deepEqual(
    ep.r.hits.map((h) => h.event.type),
    ['message_reaction', 'message_deleted'],
  );
  await ep.done();
});

test('a receiver answering 500 three times: the same event is retried with growing waits, the next waits, nothing lost', async () => {
  const ep = await endpoint(s, key);
  ep.r.answer = (n) => (n < 3 ? 500 : 200);
  const ch = await group(s, 'r-ann', ['r-bob']);
  for (let i = 0; i < 5; i++) await send(s, 'r-ann', ch, `m${i}`);
  const expected = await logAfter(s, ep.from);
  await eventually(() => ep.r.acked().length >= expected.length, 20_000, 'every event acknowledged');
  const hits = ep.r.hits;
  assert.deepEqual(
    hits.slice(0, 4).map((h) => h.id),
    Array(4).fill(`evt_${expected[0]}`),
    'one event, four attempts',
  );
  assert.deepEqual(
    hits.slice(0, 4).map((h) => h.status),
    [500, 500, 500, 200],
  );
  // Backoff doubles from PARLEY_WEBHOOK_RETRY_MIN (100 ms here): 100 + 200 + 400 ms at least between
  // the first attempt and the fourth (a lower bound, measured at the receiver, whose own delays only add).
  const span = hits[3]!.at - hits[0]!.at;
  assert.ok(span >= 700 - 30, `the three retries waited ${span} ms in all`);
  assert.deepEqual(
    ep.r.acked().map((h) => posOf(h.id)),
    expected,
    'every event once acknowledged, in pos order',
  );
  assert.deepEqual(
    ep.r.firsts().map((h) => posOf(h.id)),
    expected,
    'first deliveries in pos order',
  );
  assert.ok((await metric(s, 'parley_webhook_failures_total', ep.id)) >= 3);
  assert.ok((await metric(s, 'parley_webhook_retries_total', ep.id)) >= 3);
  const st = await ep.state();
  assert.equal(st.attempts, 0);
  assert.equal(st.last_status, 200);
  await ep.done();
});

test('a receiver that is down, then up: attempts are recorded, then everything arrives in order', async () => {
  const ep = await endpoint(s, key);
  const port = ep.r.port;
  await ep.r.stop();
  const ch = await group(s, 'u-ann', ['u-bob']);
  for (let i = 0; i < 3; i++) await send(s, 'u-ann', ch, `while down ${i}`);
  await eventually(async () => (await ep.state()).attempts >= 2, 10_000, 'failed attempts recorded');
  const st = await ep.state();
  assert.ok(st.last_error, 'the error is shown');
  assert.ok(st.lag_events > 0);
  assert.ok(st.next_attempt_at);
  await ep.r.start(port);
  const expected = await logAfter(s, ep.from);
  await eventually(() => ep.r.acked().length >= expected.length, 15_000, 'delivered once the receiver is up');
  assert.deepEqual(
    ep.r.acked().map((h) => posOf(h.id)),
    expected,
  );
  assert.deepEqual(
    ep.r.firsts().map((h) => posOf(h.id)),
    expected,
  );
  await ep.done();
});

test('events pruned before delivery: the endpoint is marked failing, skips forward, and recovers', async () => {
  // A node of its own whose log keeps events for 1 s; its pruning runs when the test says.
  const t = await startTestServer({ ...FAST, eventRetentionMs: 1_000 });
  try {
    const k = (await createServerKey(t.sql, 'retention')).key;
    const ep = await endpoint(t, k);
    ep.r.answer = () => 503;
    const ch = await group(t, 'p-ann', ['p-bob']);
    for (let i = 0; i < 3; i++) await send(t, 'p-ann', ch, `doomed ${i}`);
    await eventually(() => ep.r.hits.length >= 1, 10_000, 'a first attempt');
    await new Promise((r) => setTimeout(r, 1_200));
    assert.ok((await t.parley.retention.runOnce()) > 0, 'the log was pruned');
    await eventually(async () => (await ep.state()).failing === true, 10_000, 'the failing marker');
    const st = await ep.state();
    assert.ok(st.skipped_events > 0);
    assert.ok(st.failing_since);
    const [pruned] = await t.sql`SELECT value FROM parley_state WHERE key = 'pruned_through'`;
    assert.ok(st.cursor >= Number(pruned!.value), 'the cursor skipped to what the log still has');
    assert.equal(await metric(t, 'parley_webhook_failing', ep.id), 1);
    assert.ok((await metric(t, 'parley_webhook_skipped_events_total', ep.id)) > 0);
    // The receiver comes back: new events are delivered and the marker clears.
    ep.r.answer = () => 200;
    const m = await send(t, 'p-ann', ch, 'after');
    await eventually(() => ep.r.acked().some((h) => h.event.data.id === m.id), 10_000, 'a new event delivered');
    await eventually(async () => (await ep.state()).failing === false, 5_000, 'the marker cleared');
    await ep.done();
  } finally {
    await t.close();
  }
});
