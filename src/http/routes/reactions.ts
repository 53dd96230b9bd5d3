import { Type } from '@sinclair/typebox';
import { react } from '../actions.ts';
import { errors, Uuid } from '../schemas/common.ts';
import { Message } from '../schemas/resources.ts';
import type { Routes } from './types.ts';

const Params = Type.Object({ id: Uuid, emoji: Type.String({ minLength: 1 }) });

const routes: Routes = async (app, { deps }) => {
  const schema = {
    tags: ['reactions'],
    params: Params,
    response: { 200: Message, ...errors(400, 401, 403, 404, 409) },
  };

  app.put(
    '/messages/:id/reactions/:emoji',
    { schema },
    async (req) => (await react(deps, req.user.id, req.params.id, req.params.emoji, true)) as never,
  );

  app.delete(
    '/messages/:id/reactions/:emoji',
    { schema },
    async (req) => (await react(deps, req.user.id, req.params.id, req.params.emoji, false)) as never,
  );
};

export default routes;
