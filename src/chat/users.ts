import { nameOf } from '../db/users.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { userOf } from './place.ts';

/**
 * The caller as the system knows them. The stored name, not the token's: a token without a `name`
 * claim keeps the name the user has (users.ensure never clears it).
 */
export async function me(chat: Chat, actor: Actor): Promise<{ id: string; name: string | null }> {
  const id = userOf(actor);
  const stored = await nameOf(chat.sql, id);
  return { id, name: stored ?? (actor.kind === 'user' ? actor.name : null) };
}
