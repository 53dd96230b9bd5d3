import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServerKeys } from '../auth/server-keys.ts';
import { asUser } from '../chat/actor.ts';
import { recordAudit } from '../chat/audit.ts';
import { isUserIdLength, UNSTORABLE } from '../contract/schemas.ts';
import { ApiError } from '../errors.ts';
import type { HttpDeps } from './deps.ts';

/**
 * Who a request under /api/v1 acts as:
 * - a user token (HS256, or the host's identity provider): that user;
 * - a server key (`Bearer psk_…`) on /api/v1/server/*: the platform itself, with no user's checks;
 * - a server key with `X-Parley-User: <id>` on any other endpoint: that user, with that user's
 *   permissions (the user row is created if needed). Without the header: 400.
 * A user token on /api/v1/server/* is 403. Tokens in `?access_token=` are taken only where a
 * browser cannot send a header (event streams, attachment downloads), and never a server key.
 */
const QUERY_TOKEN_ROUTES = /^\/api\/v1\/(events|ws|sse\/[^/?]+|attachments\/[^/?]+)(\?|$)/;
const SERVER_ROUTES = /^\/api\/v1\/server(\/|\?|$)/;

function tokenOf(req: FastifyRequest): { token: string; fromQuery: boolean } | undefined {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new ApiError('unauthorized', 'Authorization must be "Bearer <token>".');
    return { token: m[1]!, fromQuery: false };
  }
  if (QUERY_TOKEN_ROUTES.test(req.url)) {
    const q = (req.query as Record<string, unknown> | undefined)?.access_token;
    if (typeof q === 'string' && q) return { token: q, fromQuery: true };
  }
  return undefined;
}

export function authenticate(deps: HttpDeps) {
  return async (req: FastifyRequest): Promise<void> => {
    const found = tokenOf(req);
    if (!found) throw new ApiError('unauthorized', 'A bearer token is required.');
    const server = SERVER_ROUTES.test(req.url);
    if (ServerKeys.looksLike(found.token)) {
      if (found.fromQuery) throw new ApiError('unauthorized', 'A server key goes in the Authorization header only.');
      const keyId = await deps.keys.verify(found.token);
      req.credentials = { expiresAtMs: Number.POSITIVE_INFINITY };
      if (server) {
        req.actor = { kind: 'server', keyId };
        return;
      }
      const userId = req.headers['x-parley-user'];
      if (typeof userId !== 'string' || !isUserIdLength(userId) || UNSTORABLE.test(userId)) {
        throw new ApiError(
          'invalid_request',
          'With a server key, X-Parley-User must name the user to act as (1 to 128 characters).',
          'headers.x-parley-user',
        );
      }
      await deps.users.ensure({ id: userId, name: null });
      req.actor = asUser(userId, null, keyId);
      return;
    }
    const { user, expiresAtMs, issuedAtMs } = await deps.auth.verify(found.token);
    if (server) {
      throw new ApiError('forbidden', 'The server API needs a server key (Bearer psk_…), not a user token.');
    }
    await deps.users.ensure(user);
    req.actor = asUser(user.id, user.name);
    req.credentials = issuedAtMs === undefined ? { expiresAtMs } : { expiresAtMs, issuedAtMs };
  };
}

/** Every change made with a server key goes into the audit, with the key, the user and the target. */
export function auditServerKeys(deps: HttpDeps) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const actor = req.actor;
    if (!actor || (actor.kind === 'user' && !actor.keyId)) return;
    if (req.method === 'GET' || req.method === 'HEAD' || reply.statusCode >= 400) return;
    const params = (req.params ?? {}) as { id?: string; user_id?: string };
    const route = req.routeOptions.url ?? req.url.split('?')[0]!;
    await recordAudit(deps.chat, actor, {
      action: `${req.method} ${route}`,
      target: req.url.split('?')[0]!,
      channelId: /\/channels\/:id/.test(route) ? (params.id ?? null) : null,
      userId: params.user_id ?? (actor.kind === 'user' ? actor.userId : null),
      detail: { status: reply.statusCode },
    }).catch((err) => req.log.error({ err }, 'audit: could not record a server-key action'));
  };
}
