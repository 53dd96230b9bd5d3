import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { AuditQuery, listAuditEntries } from '../../../chat/audit.ts';
import { exportOf } from '../../../chat/export.ts';
import { HoldInput, holdChannel, releaseChannel, serverChannel } from '../../../chat/holds.ts';
import { Channel } from '../../../contract/resources.ts';
import { Nullable, Timestamp, UserId } from '../../../contract/schemas.ts';
import { ChannelParams, errors } from '../../schemas.ts';
import type { Routes } from '../types.ts';

const Hold = Type.Object({
  channel_id: Type.String(),
  reason: Nullable(Type.String()),
  held_by: Type.String(),
  held_at: Timestamp,
});
const AuditEntry = Type.Object({
  id: Type.String(),
  at: Timestamp,
  actor: Type.String(),
  action: Type.String(),
  target: Nullable(Type.String()),
  channel_id: Nullable(Type.String()),
  user_id: Nullable(Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown()),
});
const ServerChannelWithHold = Type.Intersect([
  Channel,
  Type.Object({ metadata: Type.Record(Type.String(), Type.Unknown()), legal_hold: Nullable(Hold) }),
]);

/** JSON Lines, pulled line by line as the socket takes them (a slow reader holds the cursor). */
function ndjson(lines: AsyncIterable<string>): Readable {
  return Readable.from(
    (async function* () {
      for await (const l of lines) yield `${l}\n`;
    })(),
  );
}

const EXPORT_DESCRIPTION =
  'JSON Lines (application/x-ndjson), one object per line with a `type`: `export` (header), then ' +
  '`channel`/`user`, `member`, `message`, `attachment`, `reaction`, `revision` (the original text of edited, ' +
  'deleted and erased messages), `report`, `ban`, `audit`, and last `end` with the number of lines. Streamed ' +
  'from one consistent snapshot. Audited.';

/** The server API's records: the audit, legal holds, exports. */
const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;
  const tags = ['server'];

  app.get(
    '/audit',
    {
      schema: {
        tags,
        summary: 'The audit: every server-key and moderation action',
        description:
          'Newest first. Filter by `channel_id`, `user_id`, `since` (ISO time); page with `before` (the id of ' +
          'the last entry of the previous page) while `has_more`. Kept apart from the event log; ' +
          'PARLEY_AUDIT_RETENTION (default: kept for good).',
        querystring: AuditQuery,
        response: {
          200: Type.Object({ entries: Type.Array(AuditEntry), has_more: Type.Boolean() }),
          ...errors(400, 401, 403),
        },
      },
    },
    (req) => listAuditEntries(chat, req.actor, req.query),
  );

  app.get(
    '/channels/:id',
    {
      schema: {
        tags,
        summary: 'A channel, with its metadata and legal hold',
        params: ChannelParams,
        response: { 200: ServerChannelWithHold, ...errors(400, 401, 403, 404) },
      },
    },
    (req) => serverChannel(chat, req.actor, req.params.id),
  );

  app.put(
    '/channels/:id/hold',
    {
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
      schema: {
        tags,
        summary: 'Place a legal hold on a channel',
        description:
          'A held channel is kept whatever PARLEY_MESSAGE_RETENTION says and cannot be deleted; erasing a ' +
          'member keeps the original text of their messages there (for moderators and exports). 201 new, ' +
          '200 held already (a reason given replaces the old one). Audited.',
        params: ChannelParams,
        body: Type.Optional(HoldInput),
        response: { 200: Hold, 201: Hold, ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const { created, hold } = await holdChannel(chat, req.actor, req.params.id, req.body ?? {});
      return reply.status(created ? 201 : 200).send(hold);
    },
  );

  app.delete(
    '/channels/:id/hold',
    {
      schema: {
        tags,
        summary: 'Release a legal hold',
        params: ChannelParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await releaseChannel(chat, req.actor, req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/channels/:id/export',
    { schema: { tags, summary: 'Export a channel', description: EXPORT_DESCRIPTION, params: ChannelParams } },
    async (req, reply) => {
      const lines = await exportOf(chat, req.actor, { channelId: req.params.id });
      return reply
        .type('application/x-ndjson; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="channel-${req.params.id}.jsonl"`)
        .send(ndjson(lines));
    },
  );

  app.get(
    '/users/:user_id/export',
    {
      schema: {
        tags,
        summary: 'Export a user',
        description: `Everything kept of one user across channels. ${EXPORT_DESCRIPTION}`,
        params: Type.Object({ user_id: UserId }),
      },
    },
    async (req, reply) => {
      const lines = await exportOf(chat, req.actor, { userId: req.params.user_id });
      return reply
        .type('application/x-ndjson; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-disposition', 'attachment; filename="user-export.jsonl"')
        .send(ndjson(lines));
    },
  );
};

export default routes;
