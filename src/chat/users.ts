import { isUserIdLength } from '../contract/schemas.ts';
import { cardsVisibleTo, nameOf, type UserCard } from '../db/users.ts';
import { invalid } from '../errors.ts';
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

/** Most ids one GET /users may ask for. */
export const MAX_USER_IDS = 100;

/**
 * Names and avatars of users, for showing their ids: only users who share a channel with the caller
 * (and the caller): a user id alone tells nothing of a user the caller does not meet. Unknown or
 * hidden ids are left out, not refused, so a client can ask for every id it shows.
 */
export async function usersByIds(chat: Chat, actor: Actor, ids: string[]): Promise<UserCard[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0 || unique.length > MAX_USER_IDS) {
    throw invalid('ids', `ids must name 1 to ${MAX_USER_IDS} users.`);
  }
  if (!unique.every(isUserIdLength)) throw invalid('ids', 'ids must be user ids of 1 to 128 characters.');
  return cardsVisibleTo(chat.sql, userOf(actor), unique);
}
