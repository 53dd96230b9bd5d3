import type { User } from '../auth/tokens.ts';
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
