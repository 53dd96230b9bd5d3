import type { Auth } from '../auth.ts';
import type { Actor } from '../chat/actor.ts';
import type { Chat } from '../chat/context.ts';
import type { Config } from '../config.ts';
import type { Users } from '../db/users.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Hub } from '../realtime/hub.ts';
import type { Listener } from '../realtime/listener.ts';
import type { Presence } from '../realtime/presence.ts';

/** What the HTTP layer is given: the domain (`chat`) and the node's streaming parts. */
export interface HttpDeps {
  config: Config;
  chat: Chat;
  auth: Auth;
  users: Users;
  hub: Hub;
  listener: Listener;
  presence: Presence;
  metrics: Metrics;
  log: Logger;
  /** Set while the node drains for shutdown: streams and writes are refused. */
  draining: () => boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts as, set by the authentication hook of /api/v1. */
    actor: Actor;
  }
}
