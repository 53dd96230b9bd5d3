import { type ExportScope, exportable, exportLines } from '../db/export.ts';
import { notFound } from '../errors.ts';
import type { Actor } from './actor.ts';
import { recordAudit } from './audit.ts';
import type { Chat } from './context.ts';
import { assertServer } from './permissions.ts';

/**
 * The server API: everything kept of a channel or a user as JSON Lines, original text of edited and
 * deleted messages included (which is why only a server key may, and why each export is audited).
 * Checked before the first byte, so a wrong id is a plain 404; the lines then stream from a cursor.
 */
export async function exportOf(chat: Chat, actor: Actor, scope: ExportScope): Promise<AsyncIterable<string>> {
  assertServer(actor);
  const channel = 'channelId' in scope;
  if (!(await exportable(chat.sql, scope))) throw notFound(channel ? 'Channel' : 'User');
  await recordAudit(chat, actor, {
    action: channel ? 'channel.export' : 'user.export',
    target: channel ? scope.channelId : scope.userId,
    channelId: channel ? scope.channelId : null,
    userId: channel ? null : scope.userId,
  });
  return exportLines(chat.sql, scope);
}
