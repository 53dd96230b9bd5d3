import { Type } from '@sinclair/typebox';
import { requireMember } from '../../db/members.ts';
import { invalid } from '../../errors.ts';
import { ChannelParams, errors, Uuid } from '../schemas/common.ts';
import type { Routes } from './types.ts';

const TypingBody = Type.Object({ is_typing: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const ReadBody = Type.Object({ message_id: Uuid }, { additionalProperties: false });

const routes: Routes = async (app, { deps }) => {
  const { sql } = deps;

  app.post(
    '/channels/:id/typing',
    {
      // The body is optional ({is_typing?: true}): a bare POST with no body at all means "typing".
      // Without this the schema would see `undefined` and refuse it as "body must be object".
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
      schema: {
        tags: ['activity'],
        params: ChannelParams,
        body: Type.Optional(TypingBody),
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      await requireMember(sql, req.params.id, req.user.id);
      await deps.typing.set(req.params.id, req.user.id, req.body?.is_typing ?? true);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/channels/:id/read',
    {
      schema: {
        tags: ['activity'],
        params: ChannelParams,
        body: ReadBody,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await requireMember(sql, req.params.id, req.user.id);
      const [msg] = await sql`
        SELECT seq FROM channel_messages WHERE id = ${req.body.message_id} AND channel_id = ${req.params.id}`;
      if (!msg) throw invalid('body.message_id', 'body.message_id is not a message of this channel.');
      // Only forward: an older receipt (another tab, a late retry) never moves the position back.
      await sql`
        UPDATE channel_members
           SET last_read_message_id = ${req.body.message_id}, last_read_at = now(), last_read_seq = ${msg.seq}
         WHERE channel_id = ${req.params.id} AND user_id = ${req.user.id} AND last_read_seq < ${msg.seq}`;
      return reply.status(204).send(null);
    },
  );
};

export default routes;
