import { Type } from '@sinclair/typebox';
import { requireMember } from '../../db/members.ts';
import { ApiError } from '../../errors.ts';
import { liveUsers } from '../../realtime/presence.ts';
import { errors, Nullable, Timestamp, UserId, Uuid } from '../schemas/common.ts';
import type { Routes } from './types.ts';

/** A user counts as online while a node with a fresh heartbeat holds a stream of theirs. */
const routes: Routes = async (app, { deps }) => {
  const { sql } = deps;
  const ttl = deps.config.presenceTtlMs;

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
    async (req) => {
      const rows = await sql`
        WITH peers AS (SELECT ${req.user.id}::text AS user_id
                       UNION SELECT o.user_id FROM channel_members mine
                               JOIN channel_members o ON o.channel_id = mine.channel_id
                              WHERE mine.user_id = ${req.user.id}),
             live AS (${liveUsers(sql, ttl, sql`s.user_id IN (SELECT user_id FROM peers)`)})
        SELECT live.user_id, parley_ts(live.since) AS since FROM live JOIN peers USING (user_id)
         ORDER BY live.user_id`;
      return { users: rows.map((r) => ({ user_id: r.user_id as string, since: r.since as string })) };
    },
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
    async (req) => {
      await requireMember(sql, req.params.channel_id, req.user.id);
      const rows = await sql`
        WITH live AS (${liveUsers(sql, ttl, sql`s.user_id IN (SELECT user_id FROM channel_members WHERE channel_id = ${req.params.channel_id})`)})
        SELECT m.user_id FROM channel_members m JOIN live USING (user_id)
         WHERE m.channel_id = ${req.params.channel_id} ORDER BY m.user_id`;
      return { channel_id: req.params.channel_id, user_ids: rows.map((r) => r.user_id as string) };
    },
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
    async (req) => {
      const target = req.params.user_id;
      const [row] = await sql`
        SELECT EXISTS (${liveUsers(sql, ttl, sql`s.user_id = ${target}`)}) AS online,
               (SELECT parley_ts(last_seen_at) FROM users WHERE id = ${target}) AS last_seen_at,
               (${target} = ${req.user.id} OR EXISTS (
                  SELECT 1 FROM channel_members a JOIN channel_members b ON a.channel_id = b.channel_id
                   WHERE a.user_id = ${req.user.id} AND b.user_id = ${target})) AS visible`;
      // Presence is shared only between users who share a channel.
      if (!row?.visible) throw new ApiError('forbidden', 'You share no channel with this user.');
      return { user_id: target, online: row.online as boolean, last_seen_at: (row.last_seen_at as string) ?? null };
    },
  );
};

export default routes;
