import type { User } from '../auth/tokens.ts';
import { storageKeysOf } from './attachments.ts';
import type { Sql } from './client.ts';

/**
 * Users are created or renamed from token claims on first use. A small cache keeps that from
 * costing a write on every request.
 */
export class Users {
  private readonly known = new Map<string, string | null>();

  constructor(private readonly sql: Sql) {}

  async ensure(user: User): Promise<void> {
    if (this.known.has(user.id) && this.known.get(user.id) === user.name) return;
    await this.sql`
      INSERT INTO users (id, name) VALUES (${user.id}, ${user.name})
      ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
       WHERE EXCLUDED.name IS NOT NULL AND users.name IS DISTINCT FROM EXCLUDED.name`;
    if (this.known.size > 50_000) this.known.clear();
    this.known.set(user.id, user.name);
  }

  /** The server API changed the user: the next token seen writes its name again. */
  forget(id: string): void {
    this.known.delete(id);
  }
}

export async function nameOf(sql: Sql, userId: string): Promise<string | null | undefined> {
  const [row] = await sql`SELECT name FROM users WHERE id = ${userId}`;
  return row ? (row.name as string | null) : undefined;
}

export interface UserCard {
  id: string;
  name: string | null;
  avatar_url: string | null;
}

/** Of `ids`, the users `viewer` may see: themselves and those who share a channel with them. */
export async function cardsVisibleTo(sql: Sql, viewer: string, ids: string[]): Promise<UserCard[]> {
  const rows = await sql`
    SELECT u.id, u.name, u.avatar_url FROM users u
     WHERE u.id = ANY(${ids}::text[])
       AND (u.id = ${viewer} OR EXISTS (
             SELECT 1 FROM channel_members a JOIN channel_members b ON a.channel_id = b.channel_id
              WHERE a.user_id = ${viewer} AND b.user_id = u.id))
     ORDER BY u.id`;
  return rows.map((r) => ({
    id: r.id as string,
    name: r.name as string | null,
    avatar_url: r.avatar_url as string | null,
  }));
}

/** A user as the server API shows it. */
export interface UserRecord {
  id: string;
  name: string | null;
  avatar_url: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
}

const USER_RECORD = 'id, name, avatar_url, metadata, parley_ts(created_at) AS created_at';

/** Creates or updates a user; fields not given keep their value. An erased user comes back. */
export async function upsertUser(
  sql: Sql,
  id: string,
  u: { name?: string | null; avatar_url?: string | null; metadata?: Record<string, unknown> },
): Promise<{ user: UserRecord; created: boolean }> {
  const [row] = await sql`
    INSERT INTO users (id, name, avatar_url, metadata)
    VALUES (${id}, ${u.name ?? null}, ${u.avatar_url ?? null}, ${sql.json((u.metadata ?? {}) as never)})
    ON CONFLICT (id) DO UPDATE SET
      name = ${u.name !== undefined ? sql`EXCLUDED.name` : sql`users.name`},
      avatar_url = ${u.avatar_url !== undefined ? sql`EXCLUDED.avatar_url` : sql`users.avatar_url`},
      metadata = ${u.metadata !== undefined ? sql`EXCLUDED.metadata` : sql`users.metadata`},
      erased_at = NULL, updated_at = now()
    RETURNING ${sql.unsafe(USER_RECORD)}, (xmax = 0) AS created`;
  const { created, ...user } = row as unknown as UserRecord & { created: boolean };
  return { user, created };
}

export async function userRecord(sql: Sql, id: string): Promise<UserRecord | undefined> {
  const [row] = await sql`SELECT ${sql.unsafe(USER_RECORD)} FROM users WHERE id = ${id} AND erased_at IS NULL`;
  return row as unknown as UserRecord | undefined;
}

/**
 * Erases a user in one transaction: their messages' content, mentions and attachments (others see
 * message_deleted), their reactions, memberships (member_left) and presence; the row stays (their
 * messages point at it) with nothing in it. Returns the attachments' storage keys (files and thumbnails) to delete, or
 * undefined if there was no such user.
 */
export async function eraseUser(sql: Sql, id: string): Promise<string[] | undefined> {
  return sql.begin(async (tx) => {
    const [u] = await tx`SELECT id FROM users WHERE id = ${id} AND erased_at IS NULL FOR UPDATE`;
    if (!u) return undefined;
    await tx`
      UPDATE channel_messages SET content = '', mentions = '{}', deleted_at = coalesce(deleted_at, now())
       WHERE user_id = ${id}`;
    const files = await tx`
      DELETE FROM attachments WHERE uploader_id = ${id}
         OR message_id IN (SELECT m.id FROM channel_messages m WHERE m.user_id = ${id})
      RETURNING storage_key, thumbnail_key`;
    await tx`DELETE FROM message_reactions WHERE user_id = ${id}`;
    await tx`DELETE FROM channel_members WHERE user_id = ${id}`;
    await tx`DELETE FROM presence_sessions WHERE user_id = ${id}`;
    await tx`DELETE FROM typing_indicators WHERE user_id = ${id}`;
    await tx`
      UPDATE users SET name = NULL, avatar_url = NULL, metadata = '{}', last_seen_at = NULL,
                       erased_at = now(), updated_at = now()
       WHERE id = ${id}`;
    return storageKeysOf(files);
  });
}
