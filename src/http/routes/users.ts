import { Type } from '@sinclair/typebox';
import { errors, Nullable } from '../schemas/common.ts';
import type { Routes } from './types.ts';

const routes: Routes = async (app) => {
  app.get(
    '/me',
    {
      schema: {
        tags: ['users'],
        response: { 200: Type.Object({ id: Type.String(), name: Nullable(Type.String()) }), ...errors(401) },
      },
    },
    async (req) => ({ id: req.user.id, name: req.user.name }),
  );
};

export default routes;
