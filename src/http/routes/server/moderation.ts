import { Type } from '@sinclair/typebox';
import { listReports, ReportsQuery, ResolveInput, resolve } from '../../../chat/reports.ts';
import { Report } from '../../../contract/resources.ts';
import { Uuid } from '../../../contract/schemas.ts';
import { errors } from '../../schemas.ts';
import type { Routes } from '../types.ts';

/** The server API's moderation: the report queue, and bans in any channel. */
const routes: Routes = async (app, { deps }) => {
  const { chat } = deps;
  const tags = ['server'];

  app.get(
    '/reports',
    {
      schema: {
        tags,
        summary: 'The report queue',
        description: '`status` open (default), resolved or all; oldest first; `after` a report id to page on.',
        querystring: ReportsQuery,
        response: { 200: Type.Object({ reports: Type.Array(Report) }), ...errors(400, 401, 403) },
      },
    },
    async (req) => ({ reports: await listReports(chat, req.actor, req.query) }),
  );

  app.post(
    '/reports/:id/resolve',
    {
      schema: {
        tags,
        summary: 'Resolve a report',
        description:
          'dismiss; delete_message (everyone gets message_deleted); ban_user (its author, from the channel).',
        params: Type.Object({ id: Uuid }),
        body: ResolveInput,
        response: { 200: Report, ...errors(400, 401, 403, 404, 409) },
      },
    },
    (req) => resolve(chat, req.actor, req.params.id, req.body),
  );
};

export default routes;
