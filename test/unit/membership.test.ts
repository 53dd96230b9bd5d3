/**
 * The pure logic of entitlement: membership rebuilt at a resume point, durable events applied to a
 * stream's membership in pos order, and the hub's channel index kept in step with it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sql } from '../../src/db/client.ts';
import { createMetrics } from '../../src/metrics.ts';
import type { StreamEvent } from '../../src/realtime/event.ts';
import { Hub } from '../../src/realtime/hub.ts';
import { membershipAt } from '../../src/realtime/replay.ts';
import { applyDurable, entitled, type Subscriber } from '../../src/realtime/subscriber.ts';

function sub(userId: string, channels: string[] = [], lastPos = 0): Subscriber & { got: number[] } {
  const got: number[] = [];
  return {
    userId,
    channels: new Set(channels),
    blocks: new Set(),
    lastPos,
    closed: false,
    buffered: 0,
    got,
    send: (ev) => {
      got.push(ev.pos ?? -1);
      return true;
    },
    drained: async () => true,
    close: () => {},
  };
}

const ev = (pos: number, type: string, channelId: string, extra: Partial<StreamEvent> = {}): StreamEvent => ({
  type,
  channelId,
  pos,
  json: '{}',
  ...extra,
});

test('membershipAt undoes the user’s own joins and leaves, newest first, from membership at the head', () => {
  // At the head the user is in a and c. Between the resume point and the head: joined b, left b,
  // left d, joined c.
  const { channels, everMember } = membershipAt(
    ['a', 'c'],
    [
      { type: 'member_joined', channel_id: 'b' },
      { type: 'member_left', channel_id: 'b' },
      { type: 'member_left', channel_id: 'd' },
      { type: 'member_joined', channel_id: 'c' },
    ],
  );
  assert.deepEqual([...channels].sort(), ['a', 'd'], 'at the resume point: a, and d (left later)');
  assert.deepEqual([...everMember].sort(), ['a', 'b', 'c', 'd'], 'every channel of the range is read');
  assert.deepEqual([...membershipAt([], []).channels], []);
});

test('applyDurable: a joiner sees their own join, a leaver their own leave and nothing after; repeats are dropped', () => {
  const s = sub('u', ['a']);
  assert.equal(applyDurable(s, ev(1, 'new_message', 'a')), true);
  assert.equal(applyDurable(s, ev(2, 'new_message', 'b')), false, 'not a member of b');
  assert.equal(applyDurable(s, ev(3, 'member_joined', 'b', { subjectUserId: 'u' })), true, 'own join');
  assert.equal(applyDurable(s, ev(4, 'new_message', 'b')), true);
  assert.equal(applyDurable(s, ev(5, 'member_joined', 'b', { subjectUserId: 'v' })), true, "another's join");
  assert.equal(applyDurable(s, ev(6, 'member_left', 'a', { subjectUserId: 'u' })), true, 'own leave');
  assert.equal(applyDurable(s, ev(7, 'new_message', 'a')), false, 'nothing after the leave');
  assert.equal(applyDurable(s, ev(4, 'new_message', 'b')), false, 'a repeat');
  assert.deepEqual(s.got, [1, 3, 4, 5, 6]);
  assert.equal(s.lastPos, 7, 'every event considered moves the resume point');
  assert.deepEqual([...s.channels], ['b']);
});

test('entitled: targeted events go to their targets only; channel_created to its members before their joins', () => {
  const s = sub('u', ['a']);
  assert.equal(entitled(s, ev(1, 'mention', 'a', { targetUserIds: ['u'] })), true);
  assert.equal(entitled(s, ev(2, 'mention', 'a', { targetUserIds: ['v'] })), false);
  assert.equal(entitled(s, ev(3, 'channel_created', 'z', { targetUserIds: ['u', 'v'] })), true);
  assert.equal(entitled(s, ev(4, 'mention', 'z', { targetUserIds: ['u'] })), false, 'a target, but not a member of z');
});

test("the hub's channel index follows membership events in pos order", () => {
  const hub = new Hub({} as Sql, createMetrics(), { highWater: 1, stallMs: 1 });
  const u = sub('u', ['a']);
  const v = sub('v', ['a', 'b']);
  // Index the two streams as attach would, without a database: through their first events.
  (hub as unknown as { index(s: Subscriber): void }).index(u);
  (hub as unknown as { index(s: Subscriber): void }).index(v);
  hub.dispatch(ev(1, 'new_message', 'b'));
  hub.dispatch(ev(2, 'member_joined', 'b', { subjectUserId: 'u' }));
  hub.dispatch(ev(3, 'new_message', 'b'));
  hub.dispatch(ev(4, 'member_left', 'a', { subjectUserId: 'u' }));
  hub.dispatch(ev(5, 'new_message', 'a'));
  hub.dispatch(ev(6, 'mention', 'b', { targetUserIds: ['v'] }));
  assert.deepEqual(u.got, [2, 3, 4]);
  assert.deepEqual(v.got, [1, 2, 3, 4, 5, 6]);
  hub.detach(u);
  hub.dispatch(ev(7, 'new_message', 'b'));
  assert.deepEqual(u.got, [2, 3, 4], 'a detached stream gets nothing');
  assert.deepEqual(v.got.at(-1), 7);
});
