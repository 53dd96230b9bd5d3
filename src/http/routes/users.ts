import { Type } from '@sinclair/typebox';
import { me } from '../../chat/users.ts';
import { Nullable } from '../../contract/schemas.ts';
import { errors } from '../schemas.ts';
import type { Routes } from './types.ts';

const routes: Routes = async (app, { deps }) => {
  app.get(
    '/me',
    {
      schema: {
        tags: ['users'],
        response: { 200: Type.Object({ id: Type.String(), name: Nullable(Type.String()) }), ...errors(401) },
      },
    },
    (req) => me(deps.chat, req.actor),
  );
};

export default routes;
