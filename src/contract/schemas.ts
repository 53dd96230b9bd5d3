import { type StringOptions, type TSchema, Type } from '@sinclair/typebox';

/**
 * Text without NUL characters or unpaired surrogates. PostgreSQL text cannot hold U+0000, so without
 * this a NUL reaches the database and comes back as an error that cannot say which field was wrong; an
 * unpaired surrogate (valid JSON, "\ud800", but not Unicode) would be stored silently as U+FFFD, i.e.
 * not what was sent. Ajv compiles patterns with the `u` flag, so a proper pair is one code point and
 * only a lone half falls in \ud800-\udfff.
 */
export const NO_NUL = '^[^\\u0000\\ud800-\\udfff]*$';
export const Text = (opts: StringOptions = {}) => Type.String({ ...opts, pattern: NO_NUL });

/** A UUID; validation lower-cases it (see LOWERCASE in ../validation.ts). */
export const Uuid = Type.String({ format: 'uuid', 'x-lowercase': true });
/**
 * User ids are 1–128 characters, counted as PostgreSQL's char_length counts them (code points, as
 * Ajv's maxLength does too): one rule for the schemas, the token check and the table.
 */
export const USER_ID_MAX = 128;
export const UserId = Text({ minLength: 1, maxLength: USER_ID_MAX });
export const isUserIdLength = (id: string): boolean => {
  let n = 0;
  for (const _ of id) if (++n > USER_ID_MAX) return false;
  return n >= 1;
};
export const Timestamp = Type.String({ format: 'date-time' });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** Every error a client sees, over REST and (as an ack's `error`) over WebSocket. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String()),
  }),
});

/**
 * Text PostgreSQL cannot store as given: NUL, and lone UTF-16 surrogates (which would be stored as
 * U+FFFD, so the stored id would differ from the id requests run as).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is refused
export const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
