/** The search syntax on its own: what q becomes before the database sees it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseQuery } from '../../src/chat/search-query.ts';

const w = (text: string) => ({ text, phrase: false });
const p = (text: string) => ({ text, phrase: true });

test('words are all required; quotes make a phrase; - excludes; or separates groups', () => {
  assert.deepEqual(parseQuery('quick  brown\tfox').groups, [{ must: [w('quick'), w('brown'), w('fox')], not: [] }]);
  assert.deepEqual(parseQuery('"quick brown" -fox -"lazy dog"').groups, [
    { must: [p('quick brown')], not: [w('fox'), p('lazy dog')] },
  ]);
  assert.deepEqual(parseQuery('a b or c OR d').groups, [
    { must: [w('a'), w('b')], not: [] },
    { must: [w('c')], not: [] },
    { must: [w('d')], not: [] },
  ]);
  assert.equal(parseQuery('a b or c -d').termCount, 4);
});

test('a hyphen inside a word, a quoted or, and a negated or are text', () => {
  assert.deepEqual(parseQuery('e-mail "this or that" -or').groups, [
    { must: [w('e-mail'), p('this or that')], not: [w('or')] },
  ]);
});

test('operators at the ends, doubled, or alone are ignored; an unclosed quote runs to the end', () => {
  assert.deepEqual(parseQuery('or kiwi or or mango or').groups, [
    { must: [w('kiwi')], not: [] },
    { must: [w('mango')], not: [] },
  ]);
  assert.deepEqual(parseQuery('say "hello world').groups, [{ must: [w('say'), p('hello world')], not: [] }]);
  assert.deepEqual(parseQuery('--kiwi x').groups, [{ must: [w('x')], not: [w('kiwi')] }]);
});

test('nothing searchable: no groups (punctuation, operators, empty quotes, negations alone)', () => {
  for (const q of ['', '   ', '!!!', '-', 'or', '""', '" "', '- or "" -', '-kiwi', '-kiwi or -mango', '&|!()<->:*']) {
    assert.deepEqual(parseQuery(q), { groups: [], termCount: 0 }, JSON.stringify(q));
  }
  // A group of exclusions only is dropped, the other side of its `or` kept.
  assert.deepEqual(parseQuery('-spam or ham').groups, [{ must: [w('ham')], not: [] }]);
});

test('any script, emoji and odd code points are terms or are dropped, never an error', () => {
  assert.deepEqual(parseQuery('数学 -日本 🎉 สวัสดี').groups, [
    { must: [w('数学'), w('🎉'), w('สวัสดี')], not: [w('日本')] },
  ]);
  assert.deepEqual(parseQuery('\u0000 \ud800 \u202e\u200f').groups, []);
  assert.deepEqual(parseQuery('שלום\u200f').groups, [{ must: [w('שלום\u200f')], not: [] }]);
});
