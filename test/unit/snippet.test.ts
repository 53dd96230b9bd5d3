/** Snippets and highlights on their own: offsets are UTF-16 code units, checked by slicing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMatches, makeSnippet } from '../../src/chat/snippet.ts';
import { UNSTORABLE } from '../../src/contract/schemas.ts';

const slices = (r: { snippet: string; highlights: [number, number][] }) =>
  r.highlights.map(([a, b]) => r.snippet.slice(a, b));

test('whole words in any case, phrases across punctuation, overlapping matches merged', () => {
  const text = 'Kiwi, kiwifruit and KIWI-smoothie; the quick, brown fox';
  assert.deepEqual(
    findMatches(text, ['kiwi']).map(([a, b]) => text.slice(a, b)),
    ['Kiwi', 'KIWI'],
  );
  assert.deepEqual(
    findMatches(text, ['quick brown', 'brown fox']).map(([a, b]) => text.slice(a, b)),
    ['quick, brown fox'],
  );
  assert.deepEqual(findMatches(text, ['nothing']), []);
});

test('gram scripts match inside runs; words next to them still count as words', () => {
  const text = '我们学习数学hello 数学';
  assert.deepEqual(findMatches(text, ['数学']), [
    [4, 6],
    [12, 14],
  ]);
  assert.deepEqual(findMatches(text, ['hello']), [[6, 11]]);
  assert.deepEqual(findMatches('ผมชื่อสมชาย', ['สมชาย']), [[6, 11]]);
});

test('a short message is its own snippet, line breaks as spaces', () => {
  const r = makeSnippet('hello\nworld 🎉 kiwi', ['kiwi'], 160);
  assert.equal(r.snippet, 'hello world 🎉 kiwi');
  assert.deepEqual(r.highlights, [[15, 19]]);
  assert.deepEqual(slices(r), ['kiwi']);
});

test('a long message: a window around the first match, cut with an ellipsis, offsets shifted', () => {
  const content = `${'word '.repeat(100)}the needle here ${'word '.repeat(100)}needle`;
  const r = makeSnippet(content, ['needle'], 80);
  assert.ok(r.snippet.length <= 82, String(r.snippet.length));
  assert.ok(r.snippet.startsWith('…') && r.snippet.endsWith('…'));
  assert.deepEqual(slices(r), ['needle']);
  assert.ok(!r.snippet.startsWith('…ord'), 'the cut lands between words');
  // The match at the very end: the window ends there, without a trailing ellipsis.
  const end = makeSnippet(`${'word '.repeat(100)}needle`, ['needle'], 40);
  assert.ok(end.snippet.endsWith('needle') && end.snippet.startsWith('…'));
  assert.deepEqual(slices(end), ['needle']);
});

test('a window never cuts a surrogate pair, whatever the emoji around it', () => {
  for (let pad = 0; pad < 6; pad++) {
    const content = `${'x'.repeat(pad)}${'😀'.repeat(60)}数学${'😀'.repeat(60)}`;
    const r = makeSnippet(content, ['数学'], 41);
    assert.deepEqual(slices(r), ['数学'], `pad ${pad}`);
    // Every code unit of the snippet is part of a whole code point.
    assert.ok(!UNSTORABLE.test(r.snippet), `pad ${pad}: ${JSON.stringify(r.snippet)}`);
    assert.ok(r.snippet.length <= 43);
  }
});

test('no match found in the text (the database tokenised differently): its beginning, no highlights', () => {
  const r = makeSnippet('a'.repeat(300), ['zzz'], 50);
  assert.equal(r.snippet, `${'a'.repeat(50)}…`);
  assert.deepEqual(r.highlights, []);
});
