import { Type } from '@sinclair/typebox';
import { listBans } from '../../chat/bans.ts';
import { block, listBlocks, unblock } from '../../chat/blocks.ts';
import { ReportInput, reportMessage } from '../../chat/reports.ts';
import { Ban, Report } from '../../contract/resources.ts';
import { UserId, Uuid } from '../../contract/schemas.ts';
import { ChannelParams, errors, MessageParams } from '../schemas.ts';
import type { Routes } from './types.ts';

/** A user's blocks, reports of messages, and a channel's bans (its moderators'). */
const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;
  const tags = ['safety'];
  const BlockParams = Type.Object({ user_id: UserId });
  const _BanParams = Type.Object({ id: Uuid, user_id: UserId });

  app.get(
    '/me/blocks',
    {
      schema: {
        tags,
        summary: 'The users I block',
        response: { 200: Type.Object({ user_ids: Type.Array(Type.String()) }), ...errors(401) },
      },
    },
    async (req) => ({ user_ids: await listBlocks(chat, req.actor) }),
  );

  app.put(
    '/me/blocks/:user_id',
    {
      schema: {
        tags,
        summary: 'Block a user',
        description:
          'They cannot open or write in a direct channel with you, and you get none of their typing. Idempotent.',
        params: BlockParams,
        response: { 204: Type.Null(), ...errors(400, 401) },
      },
    },
    async (req, reply) => {
      await block(chat, req.actor, req.params.user_id);
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/me/blocks/:user_id',
    {
      schema: {
        tags,
        summary: 'Unblock a user',
        params: BlockParams,
        response: { 204: Type.Null(), ...errors(400, 401) },
      },
    },
    async (req, reply) => {
      await unblock(chat, req.actor, req.params.user_id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/messages/:id/reports',
    {
      schema: {
        tags,
        summary: 'Report a message for review',
        description: "Members only (observers too). The host's moderators review reports with the server API.",
        params: MessageParams,
        body: ReportInput,
        response: { 200: Report, 201: Report, ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const { created, report } = await reportMessage(chat, req.actor, req.params.id, req.body);
      return reply.status(created ? 201 : 200).send(report);
    },
  );

  app.get(
    '/channels/:id/bans',
    {
      schema: {
        tags,
        summary: "The channel's bans in force (moderators)",
        params: ChannelParams,
        response: { 200: Type.Object({ bans: Type.Array(Ban) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ({ bans: await listBans(chat, req.actor, req.params.id) }),
  );
};

export default routes;
