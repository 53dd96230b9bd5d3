import { type Static, Type } from '@sinclair/typebox';
import { Timestamp, UserId, Uuid } from '../contract/schemas.ts';
import { type AuditEntry, type AuditRow, insertAudit, listAudit } from '../db/audit.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { assertServer } from './permissions.ts';

/** How an actor is named in the audit. */
export function actorName(actor: Actor): string {
  if (actor.kind === 'server') return `key:${actor.keyId}`;
  return actor.keyId ? `key:${actor.keyId} as user:${actor.userId}` : `user:${actor.userId}`;
}

/**
 * Records an action in the audit (kept apart from the event log's retention): every action taken
 * with a server key, and every moderation action.
 */
export function recordAudit(chat: Chat, actor: Actor, entry: Omit<AuditEntry, 'actor'>): Promise<void> {
  return insertAudit(chat.sql, { actor: actorName(actor), ...entry });
}

export const AuditQuery = Type.Object({
  channel_id: Type.Optional(Uuid),
  user_id: Type.Optional(UserId),
  /** Entries at or after this time (ISO 8601). */
  since: Type.Optional(Timestamp),
  /** An entry id: the page continues with older entries (the last id of the previous page). */
  before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,17}$' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
});

/** The server API: the audit, newest first, by channel, user and time; paged with `before`. */
export async function listAuditEntries(
  chat: Chat,
  actor: Actor,
  q: Static<typeof AuditQuery>,
): Promise<{ entries: AuditRow[]; has_more: boolean }> {
  assertServer(actor);
  const { entries, hasMore } = await listAudit(chat.sql, {
    ...(q.channel_id ? { channelId: q.channel_id } : {}),
    ...(q.user_id ? { userId: q.user_id } : {}),
    ...(q.since ? { since: new Date(q.since) } : {}),
    ...(q.before ? { before: q.before } : {}),
    limit: q.limit,
  });
  return { entries, has_more: hasMore };
}
