import { Type } from '@sinclair/typebox';
import { createChannelAsServer, deleteChannel, ServerChannelInput } from '../../../chat/channels.ts';
import { ServerMessageInput, sendAsServer } from '../../../chat/messages.ts';
import { Channel, Message } from '../../../contract/resources.ts';
import { ChannelParams, errors } from '../../schemas.ts';
import type { Routes } from '../types.ts';

const ServerChannel = Type.Intersect([Channel, Type.Object({ metadata: Type.Record(Type.String(), Type.Unknown()) })]);

/** The server API's channels: any members, any roles, system messages. */
const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;
  const tags = ['server'];

  app.post(
    '/channels',
    {
      schema: {
        tags,
        summary: 'Create a channel for any members',
        description:
          'E.g. a tutor_student channel for a tutor and a student when a lesson is booked. A direct channel ' +
          '(two members) is found if the pair has one already (200).',
        body: ServerChannelInput,
        response: { 200: ServerChannel, 201: ServerChannel, ...errors(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const { created, channel } = await createChannelAsServer(chat, req.actor, req.body);
      return reply.status(created ? 201 : 200).send(channel);
    },
  );

  app.delete(
    '/channels/:id',
    {
      schema: {
        tags,
        summary: 'Delete a channel and everything in it',
        params: ChannelParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await deleteChannel(chat, req.actor, req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/channels/:id/messages',
    {
      schema: {
        tags,
        summary: 'Post a system message, or as a member',
        description:
          'Without user_id: a system message (user_id null, system true). With user_id: as that member, with ' +
          'no user checks. client_id makes retries idempotent (200 with the earlier message).',
        params: ChannelParams,
        body: ServerMessageInput,
        response: { 200: Message, 201: Message, ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const { created, message } = await sendAsServer(chat, req.actor, req.params.id, req.body);
      return reply.status(created ? 201 : 200).send(message);
    },
  );
};

export default routes;
