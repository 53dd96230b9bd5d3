/**
 * Numbers the server, the SDK and the web UI must agree on, in one place. Plain constants with no
 * imports, so the SDK and the UI can use them without taking on a dependency.
 */

/** A typing indicator expires by itself this long after its last announcement. */
export const TYPING_TTL_MS = 6_000;

/** WebSocket close codes a client can act on. */
export const WS_CLOSE_CODES = {
  /** The node is shutting down: reconnect (to another node) and resume. */
  shutdown: 1012,
  /** The token expired: get a fresh one, reconnect and resume. */
  tokenExpired: 4001,
  /** The token was revoked: get a fresh one, reconnect and resume. */
  tokenRevoked: 4003,
} as const;
