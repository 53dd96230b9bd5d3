import { Type } from '@sinclair/typebox';
import { react } from '../../chat/reactions.ts';
import { Message } from '../../contract/resources.ts';
import { Uuid } from '../../contract/schemas.ts';
import { errors } from '../schemas.ts';
import type { Routes } from './types.ts';

const Params = Type.Object({ id: Uuid, emoji: Type.String({ minLength: 1 }) });

const routes: Routes = async (app, { deps }) => {
  const schema = {
    tags: ['reactions'],
    params: Params,
    response: { 200: Message, ...errors(400, 401, 403, 404, 409) },
  };

  app.put('/messages/:id/reactions/:emoji', { schema }, (req) =>
    react(deps.chat, req.actor, req.params.id, req.params.emoji, true),
  );

  app.delete('/messages/:id/reactions/:emoji', { schema }, (req) =>
    react(deps.chat, req.actor, req.params.id, req.params.emoji, false),
  );
};

export default routes;
