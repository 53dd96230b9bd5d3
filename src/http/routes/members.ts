import { Type } from '@sinclair/typebox';
import { listMembers, PreferencesInput, updatePreferencesOf } from '../../chat/members.ts';
import { Member } from '../../contract/resources.ts';
import { UserId, Uuid } from '../../contract/schemas.ts';
import { ChannelParams, errors } from '../schemas.ts';
import type { Routes } from './types.ts';

const _MemberParams = Type.Object({ id: Uuid, user_id: UserId });

const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;

  app.get(
    '/channels/:id/members',
    {
      schema: {
        tags: ['members'],
        params: ChannelParams,
        response: { 200: Type.Object({ members: Type.Array(Member) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ({ members: await listMembers(chat, req.actor, req.params.id) }),
  );

  app.patch(
    '/channels/:id/members/me',
    {
      schema: {
        tags: ['members'],
        params: ChannelParams,
        body: PreferencesInput,
        response: { 200: Member, ...errors(400, 401, 403, 404) },
      },
    },
    (req) => updatePreferencesOf(chat, req.actor, req.params.id, req.body),
  );
};

export default routes;
