import type { Sql } from '../db/client.ts';
import type { MessageWriter } from '../db/message-writer.ts';
import type { ReactionLimits } from '../db/reactions.ts';
import type { Users } from '../db/users.ts';
import type { Typing } from '../realtime/typing.ts';
import type { RateLimiter } from './limits.ts';

/**
 * What the domain operations need of the node: the database, the message writer, typing. REST routes,
 * WebSocket ops and the server API hand the same object to the same functions.
 */
export interface Chat {
  readonly sql: Sql;
  readonly writer: MessageWriter;
  readonly users: Users;
  readonly typing: Typing;
  /** Per user and operation, for REST and WebSocket alike. */
  readonly limits: RateLimiter;
  readonly reactionLimits: ReactionLimits;
  /** A node that stops heartbeating has its users counted offline after this. */
  readonly presenceTtlMs: number;
}
