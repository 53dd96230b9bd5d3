import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findContactDetails, mayHoldPhoneNumber } from '../../src/chat/contact.ts';

test('the phone finder is skipped only where no phone number can be', () => {
  for (const text of [
    'question 3',
    'page 12 and 13',
    'we scored 95 out of 100 in round 2',
    '12 × 34 = 408',
    'no digits',
  ]) {
    assert.equal(mayHoldPhoneNumber(text), false, text);
  }
  // Every way a number is written still reaches the finder, the shortest plans (4 digits) included.
  for (const text of [
    'call +44 7911 123456',
    '(415) 555-2671',
    '415.555.2671',
    '0800 1111',
    '+290 2222',
    '07911–123456',
    'in 2026',
  ]) {
    assert.equal(mayHoldPhoneNumber(text), true, text);
  }
});

test('phone numbers in international and local formats are found, numbers in homework are not', () => {
  const kinds = (text: string) => findContactDetails(text, ['US', 'GB']).map((f) => text.slice(f.start, f.end));
  assert.deepEqual(kinds('text me on +44 7911 123456 tonight'), ['+44 7911 123456']);
  assert.deepEqual(kinds('my cell is (415) 555-2671'), ['(415) 555-2671']);
  assert.deepEqual(kinds('ring 07911 123456'), ['07911 123456']);
  assert.deepEqual(kinds('page 12, exercises 3 to 7, due on 2026-12-08 at 16:00'), []);
  assert.deepEqual(kinds('we scored 95 out of 100 in round 2'), []);
});
