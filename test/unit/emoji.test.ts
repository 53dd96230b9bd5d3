import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEmoji } from '../../src/chat/reactions.ts';

test('one emoji, however composed, or a :shortcode: of up to 64 bytes', () => {
  for (const e of [
    '👍',
    '👍🏿',
    '❤️',
    '❤',
    '☺︎',
    '👩‍❤️‍👨',
    '👨‍👩‍👧‍👦',
    '🇳🇴',
    '🏴󠁧󠁢󠁷󠁬󠁳󠁿',
    '#️⃣',
    '1️⃣',
    ':x:',
    `:${'a'.repeat(62)}:`,
  ]) {
    assert.equal(isEmoji(e), true, e);
  }
  for (const e of [
    '',
    'a',
    'ab',
    '1',
    '#',
    'é',
    '👍👍',
    '👍 ',
    ' 👍',
    '\u200d',
    `:${'a'.repeat(63)}:`,
    ':X:',
    ':a b:',
    ':',
    '::',
    'a\u0000',
  ]) {
    assert.equal(isEmoji(e), false, JSON.stringify(e));
  }
});
