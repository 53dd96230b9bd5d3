/**
 * The one catalogue of error codes. Every error a client sees is
 * `{"error": {"code", "message"}}` with the status listed here.
 */
export const ERRORS = {
  invalid_request: 400,
  // The contact-detail policy refused a message (PARLEY_CONTACT_POLICY=block).
  content_blocked: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  // A Range request none of whose bytes exist (a download's Range past its end).
  range_not_satisfiable: 416,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class ApiError extends Error {
  readonly status: number;
  /** The field is named as the domain names it (by `invalid`), for the transport to locate. */
  bare = false;
  /** rate_limited: the wait in milliseconds (WebSocket acks say it; REST rounds it to Retry-After). */
  retryAfterMs?: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.status = ERRORS[code];
  }
  /**
   * The same error with its field named as a transport names it: the domain says `content`, REST
   * says `body.content` (or `params.…`, `query.…`). A message that starts with the field name (as the
   * domain's do: "content must not be blank.") says the new name too.
   */
  relocate(field: string): ApiError {
    if (!this.field || !this.bare || field === this.field) return this;
    const message = this.message.startsWith(`${this.field} `)
      ? `${field}${this.message.slice(this.field.length)}`
      : this.message;
    return new ApiError(this.code, message, field, this.retryAfterSeconds);
  }

  toJSON(): { error: { code: string; message: string; field?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

/** Bad input, naming the field as the operation's input names it (REST adds body., query., params.). */
export const invalid = (field: string, message: string) =>
  Object.assign(new ApiError('invalid_request', message, field), { bare: true });
export const notFound = (what: string) => new ApiError('not_found', `${what} not found.`);
export const forbidden = (message: string) => new ApiError('forbidden', message);

/** PostgreSQL error codes that mean "the database is not reachable right now", not "bad input". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  '53300',
]);
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // Parley's own: the database did not answer in time (src/db/dedicated.ts).
  'QUERY_TIMEOUT',
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NODE_CODES.has(code));
}
