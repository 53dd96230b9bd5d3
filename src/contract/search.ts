import { type Static, Type } from '@sinclair/typebox';
import { Message } from './resources.ts';

/** A search result: the Message, with the text around the match and where the terms are in it. */
export const SearchHit = Type.Composite([
  Message,
  Type.Object({
    snippet: Type.String({ description: 'plain text around the first match, on one line; … where it was cut' }),
    highlights: Type.Array(Type.Tuple([Type.Integer(), Type.Integer()]), {
      description: '[start, end) of each match in snippet, in UTF-16 code units (JavaScript string indices)',
    }),
  }),
]);

export const SearchResult = Type.Object({
  messages: Type.Array(SearchHit, { description: 'best match first; equal scores newest first' }),
  has_more: Type.Boolean(),
  next_before: Type.Union([Type.String(), Type.Null()], {
    description: 'pass as before for the next page (null: this was the last)',
  }),
});

export type SearchHit = Static<typeof SearchHit>;
export type SearchResult = Static<typeof SearchResult>;
