import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { Received } from '../helpers/sse.ts';
import { assertError, group, MISSING_UUID, storesNothing } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

const typingOf = (events: Received[], user: string) =>
  events.filter((e) => e.type === 'typing' && e.data.user_id === user);

test('POST typing is 204; members get typing true, then false by itself; non-members get nothing', async () => {
  const ch = await group(s, 'ty-alice', ['ty-bob']);
  const bob = await s.sse('ty-bob');
  const eve = await s.sse('ty-eve');
  try {
    await bob.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'bob connected');
    await eve.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'eve connected');

    const res = await s.as('ty-alice').post(`/api/v1/channels/${ch}/typing`, { is_typing: true });
    assert.equal(res.status, 204);
    assert.equal(res.body, null);

    await bob.waitFor((e) => typingOf(e, 'ty-alice').length >= 1, 5000, 'typing true');
    const on = typingOf(bob.events, 'ty-alice')[0]!;
    assert.equal(on.channel_id, ch);
    assert.deepEqual(on.data, { user_id: 'ty-alice', is_typing: true });
    assert.equal(on.pos, undefined, 'typing is ephemeral: no pos');
    assert.equal(on.id, undefined, 'typing is ephemeral: no SSE id');

    // No further calls: the indicator expires by itself (about 6 s later).
    await bob.waitFor((e) => typingOf(e, 'ty-alice').length >= 2, 9000, 'typing false');
    const off = typingOf(bob.events, 'ty-alice')[1]!;
    assert.deepEqual(off.data, { user_id: 'ty-alice', is_typing: false });
    assert.equal(off.channel_id, ch);
    assert.ok(Date.parse(off.ts) - Date.parse(on.ts) >= 3000, 'expired by itself, not at once');

    // Eve is in no channel with Alice: she got nothing (her stream was open throughout).
    assert.deepEqual(typingOf(eve.events, 'ty-alice'), []);
  } finally {
    bob.close();
    eve.close();
  }
});

test('an empty body means typing; is_typing false stops it at once', async () => {
  const ch = await group(s, 'ty-carol', ['ty-dave']);
  const dave = await s.sse('ty-dave');
  try {
    await dave.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'dave connected');
    const on = await s.raw('POST', `/api/v1/channels/${ch}/typing`, {
      headers: { authorization: `Bearer ${await s.token('ty-carol')}` },
    });
    assert.equal(on.status, 204, JSON.stringify(on.body));
    const onJson = await s.as('ty-carol').post(`/api/v1/channels/${ch}/typing`, {});
    assert.equal(onJson.status, 204);
    await dave.waitFor((e) => typingOf(e, 'ty-carol').length >= 1, 5000, 'typing true');
    const off = await s.as('ty-carol').post(`/api/v1/channels/${ch}/typing`, { is_typing: false });
    assert.equal(off.status, 204);
    await dave.waitFor((e) => typingOf(e, 'ty-carol').some((x) => x.data.is_typing === false), 2500, 'typing false');
    const seq = typingOf(dave.events, 'ty-carol').map((x) => x.data.is_typing);
    assert.deepEqual(seq, [true, false]);
  } finally {
    dave.close();
  }
});

test('typing: non-member 403, unknown channel 404, bad body 400', async () => {
  const ch = await group(s, 'ty-alice', ['ty-bob']);
  await storesNothing(s, async () => {
    assertError(await s.as('ty-eve').post(`/api/v1/channels/${ch}/typing`, {}), 403, 'forbidden');
    assertError(await s.as('ty-bob').post(`/api/v1/channels/${MISSING_UUID}/typing`, {}), 404, 'not_found');
    assertError(await s.as('ty-bob').post('/api/v1/channels/zzz/typing', {}), 400, 'invalid_request', 'params.id');
    assertError(
      await s.as('ty-bob').post(`/api/v1/channels/${ch}/typing`, { is_typing: 'yes' }),
      400,
      'invalid_request',
      'body.is_typing',
    );
    assertError(
      await s.as('ty-bob').post(`/api/v1/channels/${ch}/typing`, { typing: true }),
      400,
      'invalid_request',
      'body.typing',
    );
  }, ['ty-eve']);
});

test('a channel id in capitals is the same channel: typing reaches its members', async () => {
  const ch = await group(s, 'ty-upper-a', ['ty-upper-b']);
  const b = await s.sse('ty-upper-b');
  try {
    await b.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'connected');
    const res = await s.as('ty-upper-a').post(`/api/v1/channels/${ch.toUpperCase()}/typing`, { is_typing: true });
    assert.equal(res.status, 204);
    await b.waitFor((e) => typingOf(e, 'ty-upper-a').length >= 1, 5000, 'typing true');
    assert.equal(typingOf(b.events, 'ty-upper-a')[0]!.channel_id, ch);
  } finally {
    b.close();
  }
});

test('the throttle holds whatever the sequence: 2,000 alternating calls over WebSocket, a few events, the last state last', async () => {
  const ch = await group(s, 'ty-spam', ['ty-watch']);
  const watcher = await s.sse('ty-watch');
  try {
    await watcher.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'watcher connected');
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ws?last_event_id=0`, {
      headers: { authorization: `Bearer ${await s.token('ty-spam')}` },
    });
    let acks = 0;
    ws.on('message', (d) => {
      if (JSON.parse(d.toString()).op === 'ack') acks++;
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const t0 = Date.now();
    const n = 2000;
    for (let i = 0; i < n; i++) ws.send(JSON.stringify({ op: 'typing', channel_id: ch, is_typing: i % 2 === 0 }));
    const deadline = Date.now() + 30_000;
    while (acks < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(acks, n);
    const seconds = (Date.now() - t0) / 1000;
    // The last call said "not typing": that is what the watcher is left with.
    await watcher.waitFor(
      (e) => typingOf(e, 'ty-spam').at(-1)?.data.is_typing === false,
      5000,
      'the last state, false',
    );
    await watcher.quiet(1500);
    const events = typingOf(watcher.events, 'ty-spam').length;
    // One a second, in bursts of two: the bound is what the calls took, plus the burst and the trail.
    assert.ok(events <= Math.ceil(seconds) + 4, `${events} typing events in ${seconds.toFixed(1)} s from ${n} calls`);
    assert.equal(typingOf(watcher.events, 'ty-spam').at(-1)?.data.is_typing, false);
    ws.close();
  } finally {
    watcher.close();
  }
});
