import { type Static, Type } from '@sinclair/typebox';
import { isUserIdLength, Nullable, Text, Timestamp } from '../contract/schemas.ts';
import {
  cardsVisibleTo,
  eraseUser as eraseRow,
  nameOf,
  type UserCard,
  type UserRecord,
  upsertUser as upsertRow,
  userRecord,
} from '../db/users.ts';
import { invalid, notFound } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { assertServer } from './permissions.ts';
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

export const UpsertUserInput = Type.Object(
  {
    name: Type.Optional(Nullable(Text({ maxLength: 200 }))),
    avatar_url: Type.Optional(Nullable(Text({ maxLength: 2000, format: 'uri' }))),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

/** The server API: creates or updates a user (`created` tells which). */
export async function upsertUser(
  chat: Chat,
  actor: Actor,
  userId: string,
  input: Static<typeof UpsertUserInput>,
): Promise<{ created: boolean; user: UserRecord }> {
  assertServer(actor);
  // Shown as an image by every client: only a web address, never javascript: or data:.
  if (input.avatar_url && !/^https?:\/\//i.test(input.avatar_url)) {
    throw invalid('avatar_url', 'avatar_url must be an http(s) URL.');
  }
  if (input.metadata && Buffer.byteLength(JSON.stringify(input.metadata)) > 16_384) {
    throw invalid('metadata', 'metadata must be at most 16 KiB of JSON.');
  }
  const result = await upsertRow(chat.sql, userId, input);
  chat.users.forget(userId);
  return result;
}

export async function getUser(chat: Chat, actor: Actor, userId: string): Promise<UserRecord> {
  assertServer(actor);
  const user = await userRecord(chat.sql, userId);
  if (!user) throw notFound('User');
  return user;
}

/**
 * The server API: erases a user (their messages' content and attachments, memberships, reactions,
 * presence; others see message_deleted) and revokes their tokens, so their streams close too.
 */
export async function eraseUser(chat: Chat, actor: Actor, userId: string): Promise<void> {
  assertServer(actor);
  const files = await eraseRow(chat.sql, userId);
  if (!files) throw notFound('User');
  await chat.revocations.revoke(userId);
  chat.users.forget(userId);
  await chat.removeFiles?.(files);
}

export const RevokeInput = Type.Object({ before: Type.Optional(Timestamp) }, { additionalProperties: false });

/** The server API: the user's tokens issued before `before` (default now) get 401; their streams close. */
export async function revokeTokens(
  chat: Chat,
  actor: Actor,
  userId: string,
  input: Static<typeof RevokeInput>,
): Promise<{ user_id: string; before: string }> {
  assertServer(actor);
  const beforeMs = await chat.revocations.revoke(userId, input.before ? new Date(input.before) : new Date());
  return { user_id: userId, before: new Date(beforeMs).toISOString() };
}
