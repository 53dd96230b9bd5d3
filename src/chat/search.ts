import { type Static, Type } from '@sinclair/typebox';
import { Text, Uuid } from '../contract/schemas.ts';
import type { SearchResult } from '../contract/search.ts';
import { type RankCursor, searchMessages } from '../db/search.ts';
import { invalid } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { placeIn, userOf } from './place.ts';
import { parseQuery } from './search-query.ts';
import { makeSnippet } from './snippet.ts';

/** The contract's bounds: q is 1–500 characters (code points, as Ajv counts), limit at most 100. */
export const SearchInput = Type.Object({
  q: Text({ minLength: 1, maxLength: 500, description: 'web-search syntax: words, "a phrase", -word, or' }),
  channel_id: Type.Optional(Uuid),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  before: Type.Optional(
    Type.String({ maxLength: 64, description: 'next_before of the previous page: the page after it, in rank order' }),
  ),
});

/**
 * The cursor of a ranked page is the last result's score and seq, opaque to clients (base64url of
 * "score:seq"): ranks repeat, so a message id alone would not say where among equal scores a page
 * ended, and the score of a message edited since would have moved.
 */
export function encodeCursor(c: RankCursor): string {
  return Buffer.from(`${c.score}:${c.seq}`).toString('base64url');
}

export function decodeCursor(text: string): RankCursor | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const m = /^(\d{1,7}):(\d{1,15})$/.exec(Buffer.from(text, 'base64url').toString('latin1'));
  return m ? { score: Number(m[1]), seq: Number(m[2]) } : undefined;
}

/**
 * Full-text search in the caller's channels: those they are a member of when they ask (observers
 * included: they read the whole channel, as history shows it to them), or the one channel_id names
 * (404 no such channel, 403 not a member). Deleted messages are never found; an edited one is
 * found by its current text only (the index is computed from the stored text).
 */
export async function search(chat: Chat, actor: Actor, input: Static<typeof SearchInput>): Promise<SearchResult> {
  const userId = userOf(actor);
  chat.limits.take(actor, 'search');
  const after = input.before === undefined ? undefined : decodeCursor(input.before);
  if (input.before !== undefined && !after) {
    throw invalid('before', 'before must be the next_before of an earlier page of this search.');
  }
  const parsed = parseQuery(input.q);
  if (parsed.termCount > chat.search.maxTerms) {
    throw invalid('q', `q has ${parsed.termCount} terms; at most ${chat.search.maxTerms} are searched for at once.`);
  }
  if (input.channel_id !== undefined) await placeIn(chat, actor, input.channel_id);
  // Nothing searchable (punctuation, operators alone): nothing found, and no query to run.
  if (parsed.groups.length === 0) return { messages: [], has_more: false, next_before: null };
  const hits = await searchMessages(chat.sql, {
    userId,
    channelId: input.channel_id,
    groups: parsed.groups,
    after,
    limit: input.limit + 1,
  });
  const page = hits.slice(0, input.limit);
  const terms = parsed.groups.flatMap((g) => g.must.map((t) => t.text));
  const has_more = hits.length > input.limit;
  return {
    messages: page.map((h) => ({ ...h.message, ...makeSnippet(h.message.content, terms, chat.search.snippetChars) })),
    has_more,
    next_before: has_more ? encodeCursor(page[page.length - 1]!) : null,
  };
}
