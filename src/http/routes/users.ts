import { Type } from '@sinclair/typebox';
import { errors, Nullable } from '../schemas/common.ts';
import type { Routes } from './types.ts';

const routes: Routes = async (app, { deps }) => {
  const { sql } = deps;

  app.get(
    '/me',
    {
      schema: {
        tags: ['users'],
        response: { 200: Type.Object({ id: Type.String(), name: Nullable(Type.String()) }), ...errors(401) },
      },
    },
    async (req) => {
      // The stored name, not the token's: a token without a `name` claim keeps the name the user has
      // (users.ensure never clears it), and /me should say the same as the rest of the system.
      const [row] = await sql`SELECT name FROM users WHERE id = ${req.user.id}`;
      return { id: req.user.id, name: (row?.name as string | null | undefined) ?? req.user.name };
    },
  );
};

export default routes;
