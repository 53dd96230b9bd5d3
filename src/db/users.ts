import type { User } from '../auth.ts';
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

  /** Users named by others (members added by id) exist from then on, with no name yet. */
  async ensureIds(sql: Sql, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await sql`INSERT INTO users (id) SELECT unnest(${ids}::text[]) ON CONFLICT (id) DO NOTHING`;
  }
}
