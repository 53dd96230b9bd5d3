import { Type } from '@sinclair/typebox';
import { onlineMembers, onlineUsers, userStatus } from '../../chat/presence.ts';
import { Nullable, Timestamp, UserId, Uuid } from '../../contract/schemas.ts';
import { errors } from '../schemas.ts';
import type { Routes } from './types.ts';

/** A user counts as online while a node with a fresh heartbeat holds a stream of theirs. */
const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;

  app.get(
    '/online-users',
    {
      schema: {
        tags: ['presence'],
        response: {
          200: Type.Object({ users: Type.Array(Type.Object({ user_id: Type.String(), since: Timestamp })) }),
          ...errors(401),
        },
      },
    },
    async (req) => ({ users: await onlineUsers(chat, req.actor) }),
  );

  app.get(
    '/channel/:channel_id/online-members',
    {
      schema: {
        tags: ['presence'],
        params: Type.Object({ channel_id: Uuid }),
        response: {
          200: Type.Object({ channel_id: Uuid, user_ids: Type.Array(Type.String()) }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (req) => ({
      channel_id: req.params.channel_id,
      user_ids: await onlineMembers(chat, req.actor, req.params.channel_id),
    }),
  );

  app.get(
    '/user/:user_id/status',
    {
      schema: {
        tags: ['presence'],
        params: Type.Object({ user_id: UserId }),
        response: {
          200: Type.Object({ user_id: Type.String(), online: Type.Boolean(), last_seen_at: Nullable(Timestamp) }),
          ...errors(400, 401, 403),
        },
      },
    },
    (req) => userStatus(chat, req.actor, req.params.user_id),
  );
};

export default routes;
