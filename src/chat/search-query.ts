/**
 * The search box's syntax, as web search engines take it: words (all must occur), "a phrase"
 * (its words in this order), -word or -"a phrase" (must not occur), and `or` between two terms
 * (either side may match; `a b or c d` is (a and b) or (c and d), as PostgreSQL's
 * websearch_to_tsquery reads it). Pure: no database, unit tested in test/unit/search-query.test.ts.
 * Each term becomes a tsquery in PostgreSQL (parley_search_term, db/live/search.sql), so words and
 * scripts without spaces are tokenised there, once, the same way as the stored messages.
 */

/**
 * Characters indexed one by one and in pairs instead of as words: the scripts written without
 * spaces, Hangul, and emoji. The same class as db/live/search.sql (a test holds them together).
 */
export const GRAM_CHARS =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: ZWJ and VS16 are matched one code point at a time on purpose, as the database indexes them
  /[\u0E00-\u0EFF\u1000-\u109F\u1100-\u11FF\u1780-\u17FF\u3040-\u30FF\u3130-\u318F\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uA960-\uA97F\uAC00-\uD7AF\uF900-\uFAFF\uFF66-\uFF9F\u{20000}-\u{3FFFF}\u2600-\u27BF\u{1F000}-\u{1FAFF}\u200D\uFE0F]/u;

/** What a term needs to find anything: a letter, a digit or a gram character. */
const SEARCHABLE = new RegExp(`[\\p{L}\\p{N}]|${GRAM_CHARS.source}`, 'u');

export interface SearchTerm {
  text: string;
  /** Written in quotes: its words must occur together, in order. */
  phrase: boolean;
}

/** One side of an `or`: every `must` term occurs and no `not` term does. */
export interface SearchGroup {
  must: SearchTerm[];
  not: SearchTerm[];
}

export interface ParsedQuery {
  /** Either group may match; empty when nothing in q can be searched for (only punctuation, operators). */
  groups: SearchGroup[];
  /** Every term of every group, `not` terms included (what a limit on terms counts). */
  termCount: number;
}

/**
 * Parses q. Never throws: whatever it cannot read is taken as text (an unclosed quote runs to the
 * end). Terms with nothing searchable ("!!!", a lone "-") are dropped, and so is a group left with
 * no `must` term: "-spam" alone would be "every message without spam", a scan of everything.
 */
export function parseQuery(q: string): ParsedQuery {
  const groups: SearchGroup[] = [];
  let current: SearchGroup = { must: [], not: [] };
  let i = 0;
  const n = q.length;
  const isSpace = (c: string) => /\s/u.test(c);
  while (i < n) {
    const c = q[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    let negated = false;
    while (q[i] === '-') {
      negated = true;
      i++;
    }
    if (i >= n || isSpace(q[i]!)) continue;
    let text: string;
    let phrase = false;
    if (q[i] === '"') {
      const close = q.indexOf('"', i + 1);
      const end = close === -1 ? n : close;
      text = q.slice(i + 1, end);
      phrase = true;
      i = end + 1;
    } else {
      const start = i;
      while (i < n && !isSpace(q[i]!) && q[i] !== '"') i++;
      text = q.slice(start, i);
      if (!negated && text.toLowerCase() === 'or') {
        if (current.must.length || current.not.length) {
          groups.push(current);
          current = { must: [], not: [] };
        }
        continue;
      }
    }
    if (!SEARCHABLE.test(text)) continue;
    (negated ? current.not : current.must).push({ text, phrase });
  }
  if (current.must.length || current.not.length) groups.push(current);
  const kept = groups.filter((g) => g.must.length > 0);
  return { groups: kept, termCount: kept.reduce((sum, g) => sum + g.must.length + g.not.length, 0) };
}
