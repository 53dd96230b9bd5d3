import { Type } from '@sinclair/typebox';
import { BanInput, banUser, unbanUser } from '../../chat/bans.ts';
import { AddMemberInput, addMember, removeMember } from '../../chat/members.ts';
import { Ban, Member } from '../../contract/resources.ts';
import { UserId, Uuid } from '../../contract/schemas.ts';
import { ChannelParams, errors } from '../schemas.ts';
import type { Routes } from './types.ts';

const MemberParams = Type.Object({ id: Uuid, user_id: UserId });

/**
 * Who is in a channel: adding, removing, banning and lifting a ban. The same routes serve a user
 * (under /api/v1, judged by the rules of src/chat/) and the host's server key (under
 * /api/v1/server, whose actor the same functions let do anything); /docs words each from
 * openapi-operations.ts by its full path.
 */
const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;

  app.post(
    '/channels/:id/members',
    {
      schema: {
        params: ChannelParams,
        body: AddMemberInput,
        response: { 200: Member, 201: Member, ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const { created, member } = await addMember(chat, req.actor, req.params.id, req.body);
      return reply.status(created ? 201 : 200).send(member);
    },
  );

  app.delete(
    '/channels/:id/members/:user_id',
    { schema: { params: MemberParams, response: { 204: Type.Null(), ...errors(400, 401, 403, 404) } } },
    async (req, reply) => {
      await removeMember(chat, req.actor, req.params.id, req.params.user_id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/channels/:id/bans',
    {
      schema: {
        params: ChannelParams,
        body: BanInput,
        response: { 201: Ban, ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => reply.status(201).send(await banUser(chat, req.actor, req.params.id, req.body)),
  );

  app.delete(
    '/channels/:id/bans/:user_id',
    { schema: { params: MemberParams, response: { 204: Type.Null(), ...errors(400, 401, 403, 404) } } },
    async (req, reply) => {
      await unbanUser(chat, req.actor, req.params.id, req.params.user_id);
      return reply.status(204).send(null);
    },
  );
};

export default routes;
