/**
 * Rate limits (PARLEY_RATE_LIMITS): per user and operation, one limiter for REST and WebSocket.
 * Past a limit REST answers 429 rate_limited with Retry-After, and every limited route says
 * RateLimit-Limit/Remaining/Reset; a WebSocket op gets an error ack with retry_after_ms.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { parseRateLimits } from '../../src/chat/limits.ts';
import { ConfigError, loadConfig, parseDuration } from '../../src/config.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, storesNothing } from './lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({
    rateLimits: parseRateLimits('send=3/30s,typing=2/30s,reaction=2/30s,channel=2/60s', (v) => parseDuration(v, 'x')),
  });
});
after(async () => {
  await s.close();
});

test('REST: each send says what is left; past the limit 429 with Retry-After, nothing stored', async () => {
  const ch = await group(s, 'rl-alice', ['rl-bob']);
  const remaining: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await s.as('rl-alice').post(`/api/v1/channels/${ch}/messages`, { content: `m${i}` });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('ratelimit-limit'), '3');
    remaining.push(r.headers.get('ratelimit-remaining')!);
    assert.match(r.headers.get('ratelimit-reset')!, /^\d+$/);
  }
  assert.deepEqual(remaining, ['2', '1', '0']);
  const over = await storesNothing(s, () => s.as('rl-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'x' }));
  assertError(over, 429, 'rate_limited');
  assert.ok(Number(over.headers.get('retry-after')) >= 1);
  assert.equal(over.headers.get('ratelimit-remaining'), '0');
  // Another user has a bucket of their own; a route that is not limited says nothing of limits.
  assert.equal((await s.as('rl-bob').post(`/api/v1/channels/${ch}/messages`, { content: 'bob' })).status, 201);
  assert.equal((await s.as('rl-alice').get('/api/v1/channels')).headers.get('ratelimit-limit'), null);
  // A token comes back every 10 s (the refill itself, with a clock, is test/unit/limits.test.ts).
  assert.ok(Number(over.headers.get('retry-after')) <= 10);
});

test('WebSocket ops draw on the same buckets: rate_limited acks with retry_after_ms', async () => {
  const ch = await group(s, 'rl-carol', ['rl-dave']);
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ws?last_event_id=0`, {
    headers: { authorization: `Bearer ${await s.token('rl-carol')}` },
  });
  const acks = new Map<string, { ok: boolean; error?: { code: string }; retry_after_ms?: number }>();
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString());
    if (f.op === 'ack') acks.set(f.ref, f);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const call = async (ref: string, m: object) => {
    ws.send(JSON.stringify({ ...m, ref }));
    for (let i = 0; i < 250 && !acks.has(ref); i++) await new Promise((r) => setTimeout(r, 20));
    return acks.get(ref)!;
  };
  // Two of three sends over REST, the third and a fourth over the socket.
  for (let i = 0; i < 2; i++) await s.as('rl-carol').post(`/api/v1/channels/${ch}/messages`, { content: `r${i}` });
  assert.equal((await call('a', { op: 'send', channel_id: ch, content: 'ws' })).ok, true);
  const limited = await call('b', { op: 'send', channel_id: ch, content: 'too many' });
  assert.equal(limited.ok, false);
  assert.equal(limited.error?.code, 'rate_limited');
  assert.ok(limited.retry_after_ms! > 0 && limited.retry_after_ms! <= 10_000, String(limited.retry_after_ms));
  // Typing: two, then limited, on REST and the socket alike.
  assert.equal((await call('t1', { op: 'typing', channel_id: ch })).ok, true);
  assert.equal((await s.as('rl-carol').post(`/api/v1/channels/${ch}/typing`, {})).status, 204);
  assert.equal((await call('t3', { op: 'typing', channel_id: ch })).error?.code, 'rate_limited');
  assertError(await s.as('rl-carol').post(`/api/v1/channels/${ch}/typing`, {}), 429, 'rate_limited');
  ws.close();
});

test('reactions and channel creation are limited too', async () => {
  const ch = await group(s, 'rl-erin', ['rl-frank']);
  const m = (await s.as('rl-frank').post(`/api/v1/channels/${ch}/messages`, { content: 'react' })).body;
  const put = (e: string) => s.as('rl-erin').put(`/api/v1/messages/${m.id}/reactions/${encodeURIComponent(e)}`);
  assert.equal((await put('👍')).status, 200);
  assert.equal((await put('🎉')).status, 200);
  assertError(await put('❤️'), 429, 'rate_limited');
  // group() above made one channel for rl-erin: one more, then 429, for channels and direct messages.
  assert.equal((await s.as('rl-erin').post('/api/v1/channels', { type: 'group' })).status, 201);
  assertError(await s.as('rl-erin').post('/api/v1/channels', { type: 'group' }), 429, 'rate_limited');
  assertError(await s.as('rl-erin').post('/api/v1/direct-messages', { user_id: 'rl-zed' }), 429, 'rate_limited');
});

test('PARLEY_RATE_LIMITS: the defaults, off, one bucket off or changed, and a clear error for a bad one', () => {
  assert.deepEqual(loadConfig({}).rateLimits, {
    send: { limit: 30, windowMs: 10_000 },
    typing: { limit: 20, windowMs: 10_000 },
    reaction: { limit: 60, windowMs: 10_000 },
    upload: { limit: 20, windowMs: 60_000 },
    channel: { limit: 20, windowMs: 60_000 },
    search: { limit: 30, windowMs: 10_000 },
  });
  assert.deepEqual(loadConfig({ PARLEY_RATE_LIMITS: 'off' }).rateLimits, {});
  const some = loadConfig({ PARLEY_RATE_LIMITS: 'typing=off,send=100/1m' }).rateLimits;
  assert.equal(some.typing, undefined);
  assert.deepEqual(some.send, { limit: 100, windowMs: 60_000 });
  assert.deepEqual(some.channel, { limit: 20, windowMs: 60_000 });
  for (const bad of ['send=lots', 'fly=1/1s', 'send=0/1s', 'send=5/never']) {
    assert.throws(
      () => loadConfig({ PARLEY_RATE_LIMITS: bad }),
      (e: unknown) => e instanceof ConfigError && /PARLEY_RATE_LIMITS/.test((e as Error).message),
      bad,
    );
  }
});
