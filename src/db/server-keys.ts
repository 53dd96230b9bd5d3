import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from './client.ts';

/** A server key as it is listed (the key itself is shown once, at creation, and never stored). */
export interface ServerKeyInfo {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export const KEY_PREFIX = 'psk_';

export const hashKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** A new key: `psk_<id>_<43 random characters>` (256 bits); only its hash is kept. */
export async function createServerKey(sql: Sql, name: string): Promise<{ id: string; key: string }> {
  const id = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x');
  const key = `${KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  await sql`INSERT INTO server_keys (id, name, hash) VALUES (${id}, ${name}, ${hashKey(key)})`;
  return { id, key };
}

export async function listServerKeys(sql: Sql): Promise<ServerKeyInfo[]> {
  const rows = await sql`
    SELECT id, name, parley_ts(created_at) AS created_at, parley_ts(last_used_at) AS last_used_at,
           parley_ts(revoked_at) AS revoked_at
      FROM server_keys ORDER BY created_at, id`;
  return rows as unknown as ServerKeyInfo[];
}

/** Revokes a key; false if there is no such key. */
export async function revokeServerKey(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql`
    UPDATE server_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = ${id} RETURNING id`;
  return rows.length > 0;
}

/** The live key with this hash, if any. */
export async function keyByHash(sql: Sql, hash: Buffer): Promise<string | undefined> {
  const [row] = await sql`SELECT id FROM server_keys WHERE hash = ${hash} AND revoked_at IS NULL`;
  return row?.id as string | undefined;
}

export async function touchServerKey(sql: Sql, id: string): Promise<void> {
  await sql`UPDATE server_keys SET last_used_at = now() WHERE id = ${id}`;
}
