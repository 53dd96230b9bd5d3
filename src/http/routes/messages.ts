import { Type } from '@sinclair/typebox';
import {
  deleteMessage,
  EditInput,
  editMessage,
  HistoryInput,
  history,
  SendInput,
  sendMessage,
  ThreadInput,
  thread,
} from '../../chat/messages.ts';
import { Message } from '../../contract/resources.ts';
import { ChannelParams, errors, MessageParams } from '../schemas.ts';
import type { Routes } from './types.ts';

const Page = Type.Object({ messages: Type.Array(Message), has_more: Type.Boolean() });
/**
 * A history page arrives from PostgreSQL as JSON text in Page's shape and is sent as it is (a string
 * with a JSON content type is not serialised again): documented as Page, typed as the text it is.
 */
const PageText = Type.Unsafe<string>(Page);

const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;

  app.get(
    '/channels/:id/messages',
    {
      schema: {
        tags: ['messages'],
        params: ChannelParams,
        querystring: HistoryInput,
        response: { 200: PageText, ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const body = await history(chat, req.actor, req.params.id, req.query);
      // Already JSON in the documented shape (built by PostgreSQL): sent as is, not serialised again.
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );

  app.post(
    '/channels/:id/messages',
    {
      schema: {
        tags: ['messages'],
        params: ChannelParams,
        body: SendInput,
        response: { 200: Message, 201: Message, ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      const { created, message } = await sendMessage(chat, req.actor, req.params.id, req.body);
      return reply.status(created ? 201 : 200).send(message);
    },
  );

  app.patch(
    '/messages/:id',
    {
      schema: {
        tags: ['messages'],
        params: MessageParams,
        body: EditInput,
        response: { 200: Message, ...errors(400, 401, 403, 404, 409) },
      },
    },
    (req) => editMessage(chat, req.actor, req.params.id, req.body),
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
      await deleteMessage(chat, req.actor, req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/messages/:id/thread',
    {
      schema: {
        tags: ['messages'],
        params: MessageParams,
        querystring: ThreadInput,
        response: {
          200: Type.Object({ parent: Message, replies: Type.Array(Message), has_more: Type.Boolean() }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    (req) => thread(chat, req.actor, req.params.id, req.query),
  );
};

export default routes;
