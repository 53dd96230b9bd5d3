import { Type } from '@sinclair/typebox';
import { Text, UserId } from '../../contract/schemas.ts';
import { ApiError } from '../../errors.ts';
import { errors } from '../schemas.ts';
import type { Routes } from './types.ts';

/** Anyone can become anyone: only for local demos, and only with PARLEY_DEV_AUTH=1. */
const routes: Routes = async (app, { deps }) => {
  app.post(
    '/dev/token',
    {
      onRequest: async () => {
        if (!deps.config.devAuth) throw new ApiError('not_found', 'No route POST /api/v1/dev/token.');
      },
      schema: {
        tags: ['dev'],
        security: [],
        body: Type.Object(
          { user_id: UserId, name: Type.Optional(Text({ maxLength: 200 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ token: Type.String() }), ...errors(400, 404) },
      },
    },
    async (req) => ({ token: await deps.auth.sign(req.body.user_id, req.body.name) }),
  );
};

export default routes;
