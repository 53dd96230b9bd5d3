import { Type } from '@sinclair/typebox';
import { channelJson, channelsOf, createChannel, type NewMember } from '../../db/channels.ts';
import { canManage, requireMember } from '../../db/members.ts';
import { ApiError, invalid } from '../../errors.ts';
import { ChannelParams, errors, Text, UserId } from '../schemas/common.ts';
import { Channel, ChannelType, Role } from '../schemas/resources.ts';
import type { Routes } from './types.ts';

const CreateBody = Type.Object(
  {
    type: ChannelType,
    name: Type.Optional(Text({ maxLength: 200 })),
    description: Type.Optional(Text({ maxLength: 2000 })),
    members: Type.Optional(
      Type.Array(Type.Object({ user_id: UserId, role: Type.Optional(Role) }, { additionalProperties: false }), {
        maxItems: 1000,
      }),
    ),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    name: Type.Optional(Type.Union([Text({ maxLength: 200 }), Type.Null()])),
    description: Type.Optional(Type.Union([Text({ maxLength: 2000 }), Type.Null()])),
    is_archived: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

const routes: Routes = async (app, { deps }) => {
  const { sql } = deps;

  app.post(
    '/channels',
    { schema: { tags: ['channels'], body: CreateBody, response: { 201: Channel, ...errors(400, 401) } } },
    async (req, reply) => {
      const { type, name, description } = req.body;
      if (type === 'direct') {
        throw invalid('body.type', 'Direct channels are made with POST /api/v1/direct-messages.');
      }
      const creatorRole = type === 'tutor_student' ? 'tutor' : 'owner';
      const defaultRole = type === 'tutor_student' ? 'student' : 'member';
      const members = new Map<string, NewMember>([[req.user.id, { user_id: req.user.id, role: creatorRole }]]);
      for (const m of req.body.members ?? []) {
        // The creator listed among the members keeps the creator's role, whatever role is named there.
        if (m.user_id === req.user.id) continue;
        if (m.role === 'owner') throw invalid('body.members', 'Only the creator is the owner of a new channel.');
        if (!members.has(m.user_id)) members.set(m.user_id, { user_id: m.user_id, role: m.role ?? defaultRole });
      }
      const id = await createChannel(sql, {
        type,
        name: name ?? null,
        description: description ?? null,
        createdBy: req.user.id,
        members: [...members.values()],
      });
      const [channel] = await channelsOf(sql, req.user.id, id);
      return reply.status(201).send(channel as never);
    },
  );

  app.get(
    '/channels',
    {
      schema: {
        tags: ['channels'],
        response: { 200: Type.Object({ channels: Type.Array(Channel) }), ...errors(401) },
      },
    },
    async (req) => ({ channels: (await channelsOf(sql, req.user.id)) as never[] }),
  );

  app.get(
    '/channels/:id',
    {
      schema: { tags: ['channels'], params: ChannelParams, response: { 200: Channel, ...errors(400, 401, 403, 404) } },
    },
    async (req) => {
      await requireMember(sql, req.params.id, req.user.id);
      const [channel] = await channelsOf(sql, req.user.id, req.params.id);
      return channel as never;
    },
  );

  app.patch(
    '/channels/:id',
    {
      schema: {
        tags: ['channels'],
        params: ChannelParams,
        body: PatchBody,
        response: { 200: Channel, ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const m = await requireMember(sql, req.params.id, req.user.id);
      if (!canManage(m.role)) throw new ApiError('forbidden', "Only the channel's owner or an admin can change it.");
      const b = req.body;
      await sql`
        UPDATE channels SET
          name = ${b.name !== undefined ? sql`${b.name}` : sql`name`},
          description = ${b.description !== undefined ? sql`${b.description}` : sql`description`},
          is_archived = ${b.is_archived !== undefined ? sql`${b.is_archived}` : sql`is_archived`}
        WHERE id = ${req.params.id}`;
      return (await channelJson(sql, req.params.id)) as never;
    },
  );
};

export default routes;
