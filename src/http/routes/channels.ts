import { Type } from '@sinclair/typebox';
import {
  CreateChannelInput,
  createChannel,
  getChannel,
  listChannels,
  UpdateChannelInput,
  updateChannel,
} from '../../chat/channels.ts';
import { Channel } from '../../contract/resources.ts';
import { ChannelParams, errors } from '../schemas.ts';
import type { Routes } from './types.ts';

const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;

  app.post(
    '/channels',
    { schema: { tags: ['channels'], body: CreateChannelInput, response: { 201: Channel, ...errors(400, 401) } } },
    async (req, reply) => reply.status(201).send(await createChannel(chat, req.actor, req.body)),
  );

  app.get(
    '/channels',
    {
      schema: {
        tags: ['channels'],
        response: { 200: Type.Object({ channels: Type.Array(Channel) }), ...errors(401) },
      },
    },
    async (req) => ({ channels: await listChannels(chat, req.actor) }),
  );

  app.get(
    '/channels/:id',
    {
      schema: { tags: ['channels'], params: ChannelParams, response: { 200: Channel, ...errors(400, 401, 403, 404) } },
    },
    (req) => getChannel(chat, req.actor, req.params.id),
  );

  app.patch(
    '/channels/:id',
    {
      schema: {
        tags: ['channels'],
        params: ChannelParams,
        body: UpdateChannelInput,
        response: { 200: Channel, ...errors(400, 401, 403, 404) },
      },
    },
    (req) => updateChannel(chat, req.actor, req.params.id, req.body),
  );
};

export default routes;
