import { DirectInput, openDirect } from '../../chat/direct.ts';
import { Channel } from '../../contract/resources.ts';
import { errors } from '../schemas.ts';
import type { Routes } from './types.ts';

const routes: Routes = async (app, { deps }) => {
  app.post(
    '/direct-messages',
    {
      schema: { tags: ['channels'], body: DirectInput, response: { 200: Channel, 201: Channel, ...errors(400, 401) } },
    },
    async (req, reply) => {
      const { created, channel } = await openDirect(deps.chat, req.actor, req.body);
      return reply.status(created ? 201 : 200).send(channel);
    },
  );
};

export default routes;
