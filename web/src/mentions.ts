/** The pure part of @mentions: what is being typed at the caret, and whom a text mentions. */

export interface MentionQuery {
  /** Where the `@` is. */
  start: number;
  /** What follows it, up to the caret. */
  query: string;
}

/** The `@word` the caret is in, if any (an `@` at the start or after a space, e.g. not in an e-mail). */
export function mentionQuery(text: string, caret: number): MentionQuery | undefined {
  const m = /(^|\s)@([^\s@]*)$/.exec(text.slice(0, caret));
  if (!m) return undefined;
  return { start: caret - m[2]!.length - 1, query: m[2]! };
}

/** The text with the query replaced by `@id ` and where the caret goes after it. */
export function insertMention(text: string, q: MentionQuery, caret: number, id: string): [string, number] {
  const before = `${text.slice(0, q.start)}@${id} `;
  return [before + text.slice(caret).replace(/^ /, ''), before.length];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The ids among `ids` that the text mentions as `@id` (a whole word: `@bob` does not mention `bo`). */
export function mentionedIds(text: string, ids: Iterable<string>): string[] {
  const out: string[] = [];
  for (const id of ids) {
    if (new RegExp(`(^|\\s)@${escapeRe(id)}(?=$|[\\s.,!?;:)\\]])`, 'u').test(text)) out.push(id);
  }
  return out;
}
