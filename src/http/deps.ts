import type { ServerKeys } from '../auth/server-keys.ts';
import type { Auth } from '../auth/tokens.ts';
import type { Actor } from '../chat/actor.ts';
import type { Chat } from '../chat/context.ts';
import type { Config } from '../config.ts';
import type { Users } from '../db/users.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Listener } from '../realtime/listener.ts';
import type { Streams } from '../transports/session.ts';

/** What the HTTP layer is given: the domain (`chat`) and the node's streaming parts. */
export interface HttpDeps {
  config: Config;
  chat: Chat;
  auth: Auth;
  /** The host application's server keys. */
  keys: ServerKeys;
  users: Users;
  listener: Listener;
  /** Every event stream open on this node (SSE and WebSocket). */
  streams: Streams;
  metrics: Metrics;
  log: Logger;
  /** Set while the node drains for shutdown: streams and writes are refused. */
  draining: () => boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts as, set by the authentication hook of /api/v1. */
    actor: Actor;
    /** What the token says of its own lifetime (streams close when it expires). */
    credentials: { expiresAtMs: number; issuedAtMs?: number };
  }
}
