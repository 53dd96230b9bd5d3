import { type Static, Type } from '@sinclair/typebox';
import { Text, Uuid } from '../contract/schemas.ts';
import { banMember } from '../db/bans.ts';
import { deleteMessage, findMessage } from '../db/messages.ts';
import { openReport, type Report, reportById, listReports as reportsBy, resolveReport } from '../db/reports.ts';
import { ApiError, invalid, notFound } from '../errors.ts';
import type { Actor } from './actor.ts';
import { actorName, recordAudit } from './audit.ts';
import type { Chat } from './context.ts';
import { assertServer } from './permissions.ts';
import { placeIn, userOf } from './place.ts';

export const ReportInput = Type.Object(
  { reason: Text({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);
export const ReportsQuery = Type.Object({
  status: Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('all')], { default: 'open' }),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  after: Type.Optional(Uuid),
});
export const ResolveInput = Type.Object(
  { action: Type.Union([Type.Literal('dismiss'), Type.Literal('delete_message'), Type.Literal('ban_user')]) },
  { additionalProperties: false },
);

/**
 * A member (observers included: a parent reports what they see) reports a message for review. The
 * host's moderators get a message_reported event by webhook and review the queue with the server
 * API. Reporting the same message again gives the first report (`created` false).
 */
export async function reportMessage(
  chat: Chat,
  actor: Actor,
  messageId: string,
  input: Static<typeof ReportInput>,
): Promise<{ created: boolean; report: Report }> {
  const reporter = userOf(actor);
  if (input.reason.trim() === '') throw invalid('reason', 'reason must not be blank.');
  const msg = await findMessage(chat.sql, messageId);
  if (!msg) throw notFound('Message');
  await placeIn(chat, actor, msg.channel_id);
  return openReport(chat.sql, {
    messageId,
    channelId: msg.channel_id,
    reporter,
    kind: 'member',
    reason: input.reason.trim(),
  });
}

export async function listReports(chat: Chat, actor: Actor, query: Static<typeof ReportsQuery>): Promise<Report[]> {
  assertServer(actor);
  return reportsBy(chat.sql, query);
}

/**
 * Resolves an open report: dismiss it, delete the message (everyone gets message_deleted), or ban
 * its author from the channel (removed, kept out for good; the server can lift it).
 */
export async function resolve(
  chat: Chat,
  actor: Actor,
  reportId: string,
  input: Static<typeof ResolveInput>,
): Promise<Report> {
  assertServer(actor);
  const report = await reportById(chat.sql, reportId);
  if (!report) throw notFound('Report');
  if (report.status !== 'open') throw new ApiError('conflict', 'The report is resolved already.');
  const msg = await findMessage(chat.sql, report.message_id);
  if (input.action === 'delete_message' && msg) await deleteMessage(chat.sql, msg.id);
  if (input.action === 'ban_user' && msg?.user_id) {
    await banMember(chat.sql, {
      channelId: report.channel_id,
      userId: msg.user_id,
      until: null,
      reason: `report ${report.id}: ${report.reason}`.slice(0, 1000),
      by: actorName(actor),
    });
  }
  const done = await resolveReport(chat.sql, reportId, input.action, actorName(actor));
  if (!done) throw new ApiError('conflict', 'The report is resolved already.');
  await recordAudit(chat, actor, {
    action: `report.${input.action}`,
    target: reportId,
    channelId: report.channel_id,
    userId: msg?.user_id ?? null,
    detail: { message_id: report.message_id, reason: report.reason, kind: report.kind },
  });
  return done;
}
