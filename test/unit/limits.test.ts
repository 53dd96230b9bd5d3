/** The rate limiter on its own, with a clock the test moves. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asUser } from '../../src/chat/actor.ts';
import { RateLimiter } from '../../src/chat/limits.ts';
import { ApiError } from '../../src/errors.ts';

test('a bucket of N tokens refilled at N per window; 429 with the wait until the next token', () => {
  let now = 0;
  const l = new RateLimiter({ send: { limit: 3, windowMs: 3000 } }, () => now);
  const alice = asUser('alice');
  assert.deepEqual(
    [1, 2, 3].map(() => l.take(alice, 'send')!.remaining),
    [2, 1, 0],
  );
  try {
    l.take(alice, 'send');
    assert.fail('a fourth within the window');
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'rate_limited');
    assert.equal(err.status, 429);
    assert.equal(err.retryAfterMs, 1000);
    assert.equal(err.retryAfterSeconds, 1);
  }
  assert.deepEqual(l.lastState(alice), { limit: 3, remaining: 0, resetSeconds: 3 });
  now = 999;
  assert.throws(() => l.take(alice, 'send'), /Too many send/);
  now = 1000;
  assert.equal(l.take(alice, 'send')!.remaining, 0, 'one token back after a third of the window');
  now = 100_000;
  assert.equal(l.take(alice, 'send')!.remaining, 2, 'never more than the bucket holds');
  l.stop();
});

test('users and buckets are apart; an unlimited bucket and server keys are not counted', () => {
  const l = new RateLimiter({ send: { limit: 1, windowMs: 60_000 } }, () => 0);
  l.take(asUser('a'), 'send');
  assert.throws(() => l.take(asUser('a'), 'send'));
  assert.ok(l.take(asUser('b'), 'send'));
  assert.equal(l.take(asUser('a'), 'typing'), undefined, 'typing is not limited here');
  for (let i = 0; i < 5; i++) {
    assert.equal(l.take({ kind: 'server', keyId: 'k' }, 'send'), undefined);
    assert.equal(l.take(asUser('a', null, 'k'), 'send'), undefined, 'a server key acting for a user');
  }
  l.stop();
});
