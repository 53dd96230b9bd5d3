/**
 * A search result's snippet and highlights, computed from the message's text and the terms that
 * found it. Pure: unit tested in test/unit/snippet.test.ts.
 *
 * Offsets count UTF-16 code units, JavaScript's string indices: a client takes
 * `snippet.slice(start, end)` and gets the highlighted text, an emoji outside the basic plane
 * counting 2 and a CJK character 1. A snippet never cuts a surrogate pair.
 */
import { GRAM_CHARS } from './search-query.ts';

export type Range = [start: number, end: number];

const GRAM_RUNS = new RegExp(`${GRAM_CHARS.source}+`, 'gu');
const WORD = '[\\p{L}\\p{N}\\p{M}]';
const NOT_WORD = '[^\\p{L}\\p{N}\\p{M}]+';

/**
 * Where each term occurs in `content`: gram runs anywhere (they are substrings: 数学 inside
 * 我们学习数学), words only as whole words, in any case, a phrase's words with anything but
 * letters between them, as PostgreSQL's parser splits them. Sorted, overlaps merged.
 */
export function findMatches(content: string, terms: readonly string[]): Range[] {
  const found: Range[] = [];
  // Words are matched in a copy where each gram character is blanked (same length, so the offsets
  // hold): the database indexes the words of a text with its gram runs taken out, so "数学hello"
  // holds the word "hello".
  const masked = content.replace(GRAM_RUNS, (run) => ' '.repeat(run.length));
  for (const term of terms) {
    for (const [run] of term.matchAll(GRAM_RUNS)) {
      for (let at = content.indexOf(run); at !== -1; at = content.indexOf(run, at + 1)) {
        found.push([at, at + run.length]);
      }
    }
    const words = term
      .replace(GRAM_RUNS, ' ')
      .split(new RegExp(NOT_WORD, 'u'))
      .filter((w) => w !== '');
    if (words.length === 0) continue;
    const re = new RegExp(`(?<!${WORD})${words.join(NOT_WORD)}(?!${WORD})`, 'giu');
    for (const m of masked.matchAll(re)) found.push([m.index, m.index + m[0].length]);
  }
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Range[] = [];
  for (const r of found) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
/** How far a cut may move to land between words instead of inside one. */
const SNAP = 16;
const ELLIPSIS = '\u2026';

/**
 * At most `maxChars` code units of `content` (plus an ellipsis at each end that was cut) around
 * the first match, on one line, and the matches inside it as offsets into the snippet.
 */
export function makeSnippet(
  content: string,
  terms: readonly string[],
  maxChars: number,
): { snippet: string; highlights: Range[] } {
  // Line breaks and tabs as spaces, one for one, so offsets into content stay offsets into this.
  const text = content.replace(/[\r\n\t\f\v\u2028\u2029]/g, ' ');
  const ranges = findMatches(text, terms);
  if (text.length <= maxChars) return { snippet: text, highlights: ranges };
  const first = ranges[0] ?? [0, 0];
  let start = Math.max(0, first[0] - Math.floor(maxChars / 4));
  let end = Math.min(text.length, start + maxChars);
  start = Math.max(0, end - maxChars);
  if (start > 0) {
    const space = text.indexOf(' ', start);
    if (space !== -1 && space < first[0] && space - start <= SNAP) start = space + 1;
  }
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end);
    if (space > first[1] && end - space <= SNAP) end = space;
  }
  if (start > 0 && isLow(text.charCodeAt(start)) && isHigh(text.charCodeAt(start - 1))) start++;
  if (end < text.length && isHigh(text.charCodeAt(end - 1)) && isLow(text.charCodeAt(end))) end--;
  const pre = start > 0 ? ELLIPSIS : '';
  const post = end < text.length ? ELLIPSIS : '';
  const shift = pre.length - start;
  const highlights: Range[] = [];
  for (const [s, e] of ranges) {
    const a = Math.max(s, start);
    const b = Math.min(e, end);
    if (a < b) highlights.push([a + shift, b + shift]);
  }
  return { snippet: pre + text.slice(start, end) + post, highlights };
}
