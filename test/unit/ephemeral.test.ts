/** Ephemeral notifications are believed only signed, fresh, once, and well-formed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EphemeralInbox } from '../../src/realtime/ephemeral.ts';
import { mac } from '../../src/realtime/notification.ts';

const KEY = new Uint8Array(32).fill(3);
const typing = [{ type: 'typing', channel_id: 'c', data: { user_id: 'u', is_typing: true } }];
const signed = (json: string, ts: number, key = KEY) => `e1 ${ts} ${mac(key, `${ts}\n${json}`)}\n${json}`;

test('a signed, fresh payload is opened once', () => {
  const inbox = new EphemeralInbox(KEY);
  const p = signed(JSON.stringify(typing), 1_000_000);
  assert.deepEqual(inbox.open(p, 1_000_500), typing);
  assert.equal(inbox.open(p, 1_000_600), undefined, 'the same payload again: a replay');
});

test('unsigned, wrongly signed, stale, future or malformed payloads are refused', () => {
  const inbox = new EphemeralInbox(KEY);
  const json = JSON.stringify(typing);
  assert.equal(inbox.open(json, 0), undefined, 'the unsigned format of 012d59d');
  assert.equal(inbox.open(signed(json, 5, new Uint8Array(32).fill(4)), 5), undefined, 'another key');
  assert.equal(inbox.open(signed(json, 0), 60_001), undefined, 'older than a minute');
  assert.equal(inbox.open(signed(json, 120_000), 0), undefined, 'from the future');
  assert.equal(inbox.open(signed(json, 10).replace('"u"', '"v"'), 10), undefined, 'changed after signing');
  assert.equal(inbox.open(signed('{"not":"a list"}', 10), 10), undefined);
  assert.equal(inbox.open('e1 10\nx', 10), undefined);
  // Well signed but of a shape no node sends: dropped one by one.
  const odd = JSON.stringify([
    { type: 'typing', channel_id: 'c', data: { user_id: 5, is_typing: true } },
    { type: 'presence', channel_id: null, data: { user_id: 'u', online: 'yes' } },
    { type: 'other', channel_id: null, data: { user_id: 'u' } },
    { type: 'presence', channel_id: null, data: { user_id: 'u', online: true, last_seen_at: null } },
  ]);
  assert.deepEqual(inbox.open(signed(odd, 20), 20), [
    { type: 'presence', channel_id: null, data: { user_id: 'u', online: true, last_seen_at: null } },
  ]);
});
