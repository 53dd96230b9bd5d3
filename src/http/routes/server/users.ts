import { Type } from '@sinclair/typebox';
import { eraseUser, getUser, RevokeInput, revokeTokens, UpsertUserInput, upsertUser } from '../../../chat/users.ts';
import { Nullable, Timestamp, UserId } from '../../../contract/schemas.ts';
import { errors } from '../../schemas.ts';
import type { Routes } from '../types.ts';

const UserParams = Type.Object({ user_id: UserId });
const User = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  avatar_url: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  created_at: Timestamp,
});

/** The server API's users: the host application's own records of its users. */
const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;
  const tags = ['server'];

  app.put(
    '/users/:user_id',
    {
      schema: {
        tags,
        summary: 'Create or update a user',
        params: UserParams,
        body: UpsertUserInput,
        response: { 200: User, 201: User, ...errors(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const { created, user } = await upsertUser(chat, req.actor, req.params.user_id, req.body);
      return reply.status(created ? 201 : 200).send(user);
    },
  );

  app.get(
    '/users/:user_id',
    { schema: { tags, summary: 'A user', params: UserParams, response: { 200: User, ...errors(401, 403, 404) } } },
    (req) => getUser(chat, req.actor, req.params.user_id),
  );

  app.delete(
    '/users/:user_id',
    {
      schema: {
        tags,
        summary: 'Erase a user',
        description:
          "Erases the user's messages (content, mentions, attachments: others get message_deleted), reactions, " +
          'memberships and presence, and revokes their tokens. The id stays reserved by an empty row.',
        params: UserParams,
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await eraseUser(chat, req.actor, req.params.user_id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/users/:user_id/revoke-tokens',
    {
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
      schema: {
        tags,
        summary: "Revoke a user's tokens",
        description:
          'Tokens of the user issued (iat) before `before` (default: now) get 401 from then on, and the ' +
          "user's open streams on every node close within a second (disconnect event, WebSocket 4003).",
        params: UserParams,
        body: Type.Optional(RevokeInput),
        response: { 200: Type.Object({ user_id: Type.String(), before: Timestamp }), ...errors(400, 401, 403) },
      },
    },
    (req) => revokeTokens(chat, req.actor, req.params.user_id, req.body ?? {}),
  );
};

export default routes;
