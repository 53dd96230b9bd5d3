import { Type } from '@sinclair/typebox';
import { canManage, getMember, listMembers, requireMember } from '../../db/members.ts';
import { ApiError, notFound } from '../../errors.ts';
import { ChannelParams, errors, UserId, Uuid } from '../schemas/common.ts';
import { Member, NotificationLevel, Role } from '../schemas/resources.ts';
import type { Routes } from './types.ts';

const AddBody = Type.Object({ user_id: UserId, role: Type.Optional(Role) }, { additionalProperties: false });
const PrefsBody = Type.Object(
  { muted: Type.Optional(Type.Boolean()), notification_level: Type.Optional(NotificationLevel) },
  { additionalProperties: false, minProperties: 1 },
);
const MemberParams = Type.Object({ id: Uuid, user_id: UserId });

const routes: Routes = async (app, { deps }) => {
  const { sql } = deps;

  app.get(
    '/channels/:id/members',
    {
      schema: {
        tags: ['members'],
        params: ChannelParams,
        response: { 200: Type.Object({ members: Type.Array(Member) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await requireMember(sql, req.params.id, req.user.id);
      return { members: (await listMembers(sql, req.params.id)) as never[] };
    },
  );

  app.post(
    '/channels/:id/members',
    {
      schema: {
        tags: ['members'],
        params: ChannelParams,
        body: AddBody,
        response: { 200: Member, 201: Member, ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const me = await requireMember(sql, req.params.id, req.user.id);
      if (me.channelType === 'direct') throw new ApiError('forbidden', "A direct channel's members never change.");
      if (!canManage(me.role)) throw new ApiError('forbidden', "Only the channel's owner or an admin can add members.");
      const role = req.body.role ?? (me.channelType === 'tutor_student' ? 'student' : 'member');
      if (role === 'owner' && me.role !== 'owner') throw new ApiError('forbidden', 'Only the owner can add an owner.');
      const inserted = await sql.begin(async (tx) => {
        await deps.users.ensureIds(tx as never, [req.body.user_id]);
        return tx`
          INSERT INTO channel_members (channel_id, user_id, role) VALUES (${req.params.id}, ${req.body.user_id}, ${role})
          ON CONFLICT (channel_id, user_id) DO NOTHING RETURNING user_id`;
      });
      const member = await getMember(sql, req.params.id, req.body.user_id);
      return reply.status(inserted.length ? 201 : 200).send(member as never);
    },
  );

  app.delete(
    '/channels/:id/members/:user_id',
    {
      schema: {
        tags: ['members'],
        params: MemberParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const me = await requireMember(sql, req.params.id, req.user.id);
      if (me.channelType === 'direct') throw new ApiError('forbidden', "A direct channel's members never change.");
      const self = req.params.user_id === req.user.id;
      if (!self && !canManage(me.role)) {
        throw new ApiError('forbidden', "Only the channel's owner or an admin can remove other members.");
      }
      const removed = await sql`
        DELETE FROM channel_members
         WHERE channel_id = ${req.params.id} AND user_id = ${req.params.user_id}
           AND (${self} OR role <> 'owner' OR ${me.role === 'owner'})
        RETURNING user_id`;
      if (removed.length === 0) {
        const target = await getMember(sql, req.params.id, req.params.user_id);
        if (!target) throw notFound('Member');
        throw new ApiError('forbidden', 'Only the owner can remove an owner.');
      }
      return reply.status(204).send(null);
    },
  );

  app.patch(
    '/channels/:id/members/me',
    {
      schema: {
        tags: ['members'],
        params: ChannelParams,
        body: PrefsBody,
        response: { 200: Member, ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await requireMember(sql, req.params.id, req.user.id);
      const b = req.body;
      await sql`
        UPDATE channel_members SET
          muted = ${b.muted !== undefined ? sql`${b.muted}` : sql`muted`},
          notification_level = ${b.notification_level !== undefined ? sql`${b.notification_level}` : sql`notification_level`}
         WHERE channel_id = ${req.params.id} AND user_id = ${req.user.id}`;
      return (await getMember(sql, req.params.id, req.user.id)) as never;
    },
  );
};

export default routes;
