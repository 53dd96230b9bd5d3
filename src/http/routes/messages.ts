import { Type } from '@sinclair/typebox';
import { canManage, requireMember } from '../../db/members.ts';
import { findMessage, history, messageJson, thread, validateNewMessage } from '../../db/messages.ts';
import { ApiError, notFound } from '../../errors.ts';
import { checkContent, sendMessage } from '../actions.ts';
import { ChannelParams, errors, MessageParams, Text, UserId, Uuid } from '../schemas/common.ts';
import { Message } from '../schemas/resources.ts';
import type { Routes } from './types.ts';

export const MAX_CONTENT = 40_000;
const Content = Text({ minLength: 1, maxLength: MAX_CONTENT });
const Mentions = Type.Array(UserId, { maxItems: 100, uniqueItems: true });

const SendBody = Type.Object(
  {
    content: Content,
    parent_message_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
    mentions: Type.Optional(Mentions),
    attachment_ids: Type.Optional(Type.Array(Uuid, { maxItems: 20, uniqueItems: true })),
    client_id: Type.Optional(Text({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
const EditBody = Type.Object({ content: Content, mentions: Type.Optional(Mentions) }, { additionalProperties: false });
const HistoryQuery = Type.Object({
  before: Type.Optional(Uuid),
  after: Type.Optional(Uuid),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  include_replies: Type.Optional(Type.Union([Type.Boolean(), Type.Literal(1), Type.Literal(0)])),
});
const ThreadQuery = Type.Object({
  after: Type.Optional(Uuid),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
});
const PageOf = (item: typeof Message) => Type.Object({ messages: Type.Array(item), has_more: Type.Boolean() });

/** The message and the caller's membership of its channel (404 if no message, 403 if not a member). */
async function messageForCaller(sql: Parameters<typeof findMessage>[0], id: string, userId: string) {
  const msg = await findMessage(sql, id);
  if (!msg) throw notFound('Message');
  const membership = await requireMember(sql, msg.channel_id, userId);
  return { msg, membership };
}

const routes: Routes = async (app, { deps }) => {
  const { sql } = deps;

  app.get(
    '/channels/:id/messages',
    {
      schema: {
        tags: ['messages'],
        params: ChannelParams,
        querystring: HistoryQuery,
        response: { 200: PageOf(Message), ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const body = await history(sql, req.params.id, req.user.id, {
        before: q.before,
        after: q.after,
        limit: q.limit,
        includeReplies: q.include_replies === true || q.include_replies === 1,
      });
      // Already JSON in the documented shape (built by PostgreSQL): sent as is, not serialised again.
      return reply.type('application/json; charset=utf-8').send(body as never);
    },
  );

  app.post(
    '/channels/:id/messages',
    {
      schema: {
        tags: ['messages'],
        params: ChannelParams,
        body: SendBody,
        response: { 200: Message, 201: Message, ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      const { status, message } = await sendMessage(deps, req.user.id, req.params.id, req.body);
      return reply.status(status).send(message as never);
    },
  );

  app.patch(
    '/messages/:id',
    {
      schema: {
        tags: ['messages'],
        params: MessageParams,
        body: EditBody,
        response: { 200: Message, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const { msg } = await messageForCaller(sql, req.params.id, req.user.id);
      if (msg.user_id !== req.user.id) throw new ApiError('forbidden', 'Only the author can edit a message.');
      if (msg.deleted_at) throw new ApiError('conflict', 'The message was deleted.');
      checkContent(req.body.content);
      const mentions = req.body.mentions;
      if (mentions) {
        await validateNewMessage(sql, {
          channelId: msg.channel_id,
          userId: req.user.id,
          content: req.body.content,
          parentMessageId: null,
          mentions,
          attachmentIds: [],
          clientId: null,
        });
      }
      await sql`
        UPDATE channel_messages
           SET content = ${req.body.content}, edited_at = now(),
               mentions = ${mentions ? sql`${mentions}::text[]` : sql`mentions`}
         WHERE id = ${msg.id} AND deleted_at IS NULL`;
      return (await messageJson(sql, msg.id)) as never;
    },
  );

  app.delete(
    '/messages/:id',
    {
      schema: {
        tags: ['messages'],
        params: MessageParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const { msg, membership } = await messageForCaller(sql, req.params.id, req.user.id);
      if (msg.user_id !== req.user.id && !canManage(membership.role)) {
        throw new ApiError('forbidden', 'Only the author, the owner or an admin can delete a message.');
      }
      // Soft delete: the row stays so threads and read positions that point at it keep working.
      await sql`
        UPDATE channel_messages SET content = '', mentions = '{}', deleted_at = now()
         WHERE id = ${msg.id} AND deleted_at IS NULL`;
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/messages/:id/thread',
    {
      schema: {
        tags: ['messages'],
        params: MessageParams,
        querystring: ThreadQuery,
        response: {
          200: Type.Object({ parent: Message, replies: Type.Array(Message), has_more: Type.Boolean() }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      const { msg } = await messageForCaller(sql, req.params.id, req.user.id);
      const parentId = msg.parent_message_id ?? msg.id;
      const page = await thread(sql, parentId, { after: req.query.after, limit: req.query.limit });
      return { parent: await messageJson(sql, parentId), ...page } as never;
    },
  );
};

export default routes;
