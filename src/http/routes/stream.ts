import type { OutgoingHttpHeaders } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { userOf } from '../../chat/place.ts';
import { UserId } from '../../contract/schemas.ts';
import { ApiError } from '../../errors.ts';
import type { StreamOwner } from '../../transports/session.ts';
import { SseHeartbeat, SseTransport } from '../../transports/sse.ts';
import type { HttpDeps } from '../deps.ts';
import { errors } from '../schemas.ts';
import type { Routes } from './types.ts';

const StreamQuery = Type.Object({
  access_token: Type.Optional(Type.String()),
  last_event_id: Type.Optional(Type.String()),
});

/** A stream is one user's (the token's, or the one a server key acts for) until the token expires. */
export function streamOwner(req: FastifyRequest): StreamOwner {
  return { userId: userOf(req.actor), ...req.credentials };
}

/** Last-Event-ID header, else ?last_event_id; a non-integer is a 400, not a silent fresh start. */
export function resumePoint(req: FastifyRequest): number | undefined {
  const header = req.headers['last-event-id'];
  const raw =
    (typeof header === 'string' && header !== '' ? header : undefined) ??
    (req.query as { last_event_id?: string }).last_event_id;
  if (raw === undefined || raw === '') return undefined;
  // Named as such whether it came as the header or the query parameter.
  if (!/^\d{1,15}$/.test(raw.trim())) {
    throw new ApiError('invalid_request', 'last_event_id must be a pos (a whole number).', 'last_event_id');
  }
  return Number(raw.trim());
}

async function openStream(deps: HttpDeps, heartbeat: SseHeartbeat, req: FastifyRequest, reply: FastifyReply) {
  if (deps.draining()) throw new ApiError('unavailable', 'This node is shutting down; connect again.', undefined, 1);
  const resumeFrom = resumePoint(req);
  const owner = streamOwner(req);
  deps.streams.assertRoom(owner.userId);
  reply.hijack();
  const res = reply.raw;
  // The stream has heartbeats of its own and its own rule for readers that stop: the idle-socket
  // timeout that closes silent HTTP connections does not apply to it.
  res.socket?.setTimeout(0);
  // The body runs until the connection closes (a stream never ends otherwise), so no chunked
  // framing: each event is one buffer for the socket instead of four (size line, CRLF, data, CRLF),
  // which at 10,000 streams is 30,000 fewer writes per event. Node answers with Connection: close.
  res.useChunkedEncodingByDefault = false;
  res.writeHead(200, {
    // Headers hooks set on the reply (CORS) are not sent by a hijacked reply unless passed on here.
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  });
  const transport = new SseTransport(res, heartbeat);
  // Headers, retry hint, connection event, replay and resume point leave together when ready.
  transport.hold();
  transport.retry(2000);
  const session = deps.streams.open(owner, transport);
  req.raw.once('close', () => session.close('closed'));
  await session.start(resumeFrom);
}

const routes: Routes = async (app, { deps }) => {
  const heartbeat = new SseHeartbeat(deps.config.sseHeartbeatMs);
  app.addHook('onClose', async () => heartbeat.stop());

  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        description: "The caller's event stream (Server-Sent Events). Resume with Last-Event-ID.",
        querystring: StreamQuery,
        response: errors(400, 401, 429, 503),
      },
    },
    (req, reply) => openStream(deps, heartbeat, req, reply),
  );

  app.get(
    '/sse/:user_id',
    {
      schema: {
        tags: ['events'],
        description: "The same stream at the origin document's path; the token must be the user's own.",
        params: Type.Object({ user_id: UserId }),
        querystring: StreamQuery,
        response: errors(400, 401, 403, 429, 503),
      },
    },
    (req, reply) => {
      if (req.params.user_id !== streamOwner(req).userId) {
        throw new ApiError('forbidden', 'This stream belongs to another user.');
      }
      return openStream(deps, heartbeat, req, reply);
    },
  );
};

export default routes;
