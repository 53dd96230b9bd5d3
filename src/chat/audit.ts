import { type AuditEntry, insertAudit } from '../db/audit.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';

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
