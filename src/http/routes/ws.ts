import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import type { FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { markRead, setTyping } from '../../chat/activity.ts';
import type { Actor } from '../../chat/actor.ts';
import { sendFields, sendMessage } from '../../chat/messages.ts';
import { react } from '../../chat/reactions.ts';
import { Uuid } from '../../contract/schemas.ts';
import { describeIssue, strictAjv } from '../../contract/validation.ts';
import { ApiError } from '../../errors.ts';
import { headPos } from '../../realtime/log.ts';
import type { StreamSession } from '../../transports/session.ts';
import { WsTransport } from '../../transports/ws.ts';
import type { HttpDeps } from '../deps.ts';
import { toApiError } from '../errors.ts';
import { resumePoint, streamOwner } from './stream.ts';
import type { Routes } from './types.ts';

const Ref = Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Number()]));
/** Unknown fields are refused, as in REST bodies: a typo (`channelId`) is an error, not a silent no-op. */
const op = <P extends Record<string, TSchema>>(props: P) => Type.Object(props, { additionalProperties: false });
const ops = {
  // The REST body's fields (attachment_ids included), plus the channel REST has in its path.
  send: op({ op: Type.Literal('send'), ref: Ref, channel_id: Uuid, ...sendFields }),
  typing: op({ op: Type.Literal('typing'), ref: Ref, channel_id: Uuid, is_typing: Type.Optional(Type.Boolean()) }),
  read: op({ op: Type.Literal('read'), ref: Ref, channel_id: Uuid, message_id: Uuid }),
  react: op({ op: Type.Literal('react'), ref: Ref, message_id: Uuid, emoji: Type.String({ minLength: 1 }) }),
  unreact: op({ op: Type.Literal('unreact'), ref: Ref, message_id: Uuid, emoji: Type.String({ minLength: 1 }) }),
  resume: op({ op: Type.Literal('resume'), ref: Ref, last_event_id: Type.Integer({ minimum: 0 }) }),
  ping: op({ op: Type.Literal('ping'), ref: Ref }),
} satisfies Record<string, TSchema>;
type Ops = { [K in keyof typeof ops]: Static<(typeof ops)[K]> };
/** Each op's own fields, for test/ops/api-doc.test.ts (docs/api.md's table of ops must name them all). */
export const WS_OP_FIELDS: Record<string, string[]> = Object.fromEntries(
  Object.entries(ops).map(([name, s]) => [name, Object.keys(s.properties).filter((f) => f !== 'op' && f !== 'ref')]),
);

/**
 * A Map, not an object: an op named after a property every object inherits (`__proto__`,
 * `constructor`, `hasOwnProperty`) must find nothing, not Object.prototype's members.
 */
const validators: ReadonlyMap<string, ValidateFunction> = new Map(
  Object.entries(ops).map(([k, s]) => [k, strictAjv.compile(s)]),
);

/** The ref to echo: only a string or a number the client chose, never an object it sent. */
function refOf(msg: unknown): string | number | null {
  const ref = msg !== null && typeof msg === 'object' ? (msg as { ref?: unknown }).ref : undefined;
  return (typeof ref === 'string' && ref.length <= 128) || (typeof ref === 'number' && Number.isFinite(ref))
    ? ref
    : null;
}

/** How long a connection without ?last_event_id waits for a first `resume` before going live. */
const RESUME_GRACE_MS = 250;

/** An op as the domain operation REST calls for the same thing. */
async function perform(deps: HttpDeps, actor: Actor, msg: Ops[keyof Ops]): Promise<unknown> {
  const { chat } = deps;
  switch (msg.op) {
    case 'send': {
      const { op: _op, ref: _ref, channel_id, ...input } = msg;
      return (await sendMessage(chat, actor, channel_id, input)).message;
    }
    case 'typing':
      return setTyping(chat, actor, msg.channel_id, msg.is_typing ?? true);
    case 'read':
      return markRead(chat, actor, msg.channel_id, msg.message_id);
    case 'react':
    case 'unreact':
      return react(chat, actor, msg.message_id, msg.emoji, msg.op === 'react');
    case 'ping':
      return { ts: new Date().toISOString() };
    default:
      return undefined;
  }
}

function handle(deps: HttpDeps, socket: WebSocket, req: FastifyRequest): void {
  const actor = req.actor;
  const transport = new WsTransport(socket, deps.config.sseHeartbeatMs);
  let session: StreamSession;
  try {
    session = deps.streams.open(streamOwner(req), transport);
  } catch (err) {
    // The cap was checked before the upgrade; streams opened since then took the last places.
    socket.close(1008, toApiError(err).message.slice(0, 120));
    return;
  }
  const ack = (
    ref: string | number | null,
    body: { ok: true; data?: unknown } | { ok: false; error: unknown; retry_after_ms?: number },
  ) => {
    if (session.closed) return;
    // A client that sends ops and never reads the acks is a slow consumer like any other.
    if (transport.buffered > deps.config.maxBufferedBytes) return session.close('slow_consumer');
    transport.text(JSON.stringify({ op: 'ack', ref, ...body }));
  };
  let started = false;
  const start = (from: number | undefined, asked: boolean) => {
    started = true;
    return session.start(from, asked);
  };

  let grace: NodeJS.Timeout | undefined;
  const fromUrl = (req as FastifyRequest & { resumeFrom?: number }).resumeFrom;
  // Without ?last_event_id the client may still send a first `resume`. Meanwhile nothing is sent,
  // and the stream's start is fixed now, at the head of the log: if no resume comes it starts from
  // there (replaying what committed during the wait), so a message sent just after connecting is
  // not missed.
  const startHead = fromUrl === undefined ? headPos(deps.chat.sql) : undefined;
  startHead?.catch(() => {});
  if (fromUrl !== undefined) void start(fromUrl, true);
  else {
    grace = setTimeout(() => {
      startHead!.then(
        (head) => start(head, false),
        () => session.close('unavailable'),
      );
    }, RESUME_GRACE_MS);
  }
  transport.onClose(() => clearTimeout(grace));

  let queue: Promise<void> = Promise.resolve();
  let pendingBytes = 0;
  const onFrame = (raw: RawData, isBinary: boolean) => {
    let msg: unknown;
    try {
      msg = JSON.parse(isBinary ? '' : raw.toString('utf8'));
    } catch {
      ack(null, { ok: false, error: { code: 'invalid_request', message: 'Send one JSON object per message.' } });
      return;
    }
    const ref = refOf(msg);
    const name = msg !== null && typeof msg === 'object' ? (msg as { op?: unknown }).op : undefined;
    const check = typeof name === 'string' ? validators.get(name) : undefined;
    if (!check) {
      const message = typeof name === 'string' ? `Unknown op "${name.slice(0, 40)}".` : 'Every message needs an "op".';
      ack(ref, { ok: false, error: { code: 'invalid_request', message, field: 'op' } });
      return;
    }
    if (!check(msg)) {
      ack(ref, { ok: false, error: describeIssue(check.errors?.[0] ?? {}, undefined, 'op').toJSON().error });
      return;
    }
    const typed = msg as Ops[keyof Ops];
    if (typed.op === 'resume') {
      // A resume replays from the log before anything newer, so it must come before the stream starts.
      if (started) {
        ack(ref, {
          ok: false,
          error: { code: 'conflict', message: 'The stream has started; reconnect with ?last_event_id to resume.' },
        });
        return;
      }
      clearTimeout(grace);
      void start(typed.last_event_id, true).then(() => ack(ref, { ok: true }));
      return;
    }
    // A socket's ops run one after another, in the order they came: "typing" then "stopped" must
    // not be decided the other way round because one membership lookup answered first, and two
    // messages sent in a row are written in that order. The bytes of the ops waiting are bounded
    // like what a stream buffers (PARLEY_MAX_BUFFERED_BYTES): past it an op is refused at once.
    const size = Array.isArray(raw) ? raw.reduce((n, b) => n + b.length, 0) : raw.byteLength;
    if (pendingBytes > 0 && pendingBytes + size > deps.config.maxBufferedBytes) {
      ack(ref, {
        ok: false,
        error: { code: 'rate_limited', message: 'Too many ops are waiting on this socket: wait for their acks.' },
        retry_after_ms: 1000,
      });
      return;
    }
    pendingBytes += size;
    queue = queue
      .then(() => perform(deps, actor, typed))
      .then(
        (data) => ack(ref, data === undefined ? { ok: true } : { ok: true, data }),
        (err) => {
          const e = toApiError(err);
          if (e.status >= 500 && e.code !== 'unavailable') req.log.error({ err }, 'websocket op failed');
          ack(ref, {
            ok: false,
            error: e.toJSON().error,
            ...(e.retryAfterMs !== undefined ? { retry_after_ms: e.retryAfterMs } : {}),
          });
        },
      )
      .finally(() => {
        pendingBytes -= size;
      });
  };
  // Nothing a client sends may throw out of the handler: an exception there would be uncaught and
  // take the process, and every stream on it, down. A bug is answered as an internal error instead.
  socket.on('message', (raw, isBinary) => {
    try {
      onFrame(raw, isBinary);
    } catch (err) {
      req.log.error({ err }, 'websocket frame handler failed');
      ack(null, { ok: false, error: { code: 'internal', message: 'Something went wrong on our side.' } });
    }
  });
}

const routes: Routes = async (app, { deps }) => {
  app.get(
    '/ws',
    {
      websocket: true,
      schema: {
        tags: ['events'],
        description:
          'The event stream over WebSocket, both ways. Ops: send, typing, read, react, unreact, resume, ping; each answered by an ack.',
        hide: false,
      },
      // Refused with an HTTP status before the upgrade: a bad resume point, no room, shutting down.
      preValidation: async (req) => {
        if (deps.draining())
          throw new ApiError('unavailable', 'This node is shutting down; connect again.', undefined, 1);
        (req as FastifyRequest & { resumeFrom?: number }).resumeFrom = resumePoint(req);
        deps.streams.assertRoom(streamOwner(req).userId);
      },
    },
    (socket, req) => handle(deps, socket, req),
  );
};

export default routes;
