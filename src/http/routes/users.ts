import { Type } from '@sinclair/typebox';
import { me, usersByIds } from '../../chat/users.ts';
import { Nullable, Text } from '../../contract/schemas.ts';
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

  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        description:
          'Names and avatars of the users whose ids a client shows: the caller and users who share a channel with ' +
          'the caller; other ids are left out. `ids=a,b`, or `ids=a&ids=b` (for ids that contain a comma).',
        querystring: Type.Object({
          ids: Type.Union([Text({ maxLength: 20_000 }), Type.Array(Text(), { maxItems: 100 })]),
        }),
        response: {
          200: Type.Object({
            users: Type.Array(
              Type.Object({ id: Type.String(), name: Nullable(Type.String()), avatar_url: Nullable(Type.String()) }),
            ),
          }),
          ...errors(400, 401),
        },
      },
    },
    async (req) => {
      const { ids } = req.query;
      return { users: await usersByIds(deps.chat, req.actor, Array.isArray(ids) ? ids : ids.split(',')) };
    },
  );
};

export default routes;
