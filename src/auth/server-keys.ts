import { timingSafeEqual } from 'node:crypto';
import type { Sql } from '../db/client.ts';
import { hashKey, KEY_PREFIX, keyByHash, touchServerKey } from '../db/server-keys.ts';
import { ApiError } from '../errors.ts';

/** How long a key found in the database is believed without asking again: a revocation's delay. */
const CACHE_MS = 5_000;

/**
 * Server keys: the host application's backend authenticates with `Authorization: Bearer psk_…`.
 * Keys are created with `parley keys create` (only their SHA-256 is stored) or named by
 * PARLEY_SERVER_KEY (id `env`, for bootstrapping). A key found is believed for 5 s, so a revoked
 * key stops working within 5 s on every node (at once on the node that revoked it).
 */
export class ServerKeys {
  private readonly cache = new Map<string, { id: string; until: number }>();
  private readonly envHash: Buffer | undefined;
  private readonly used = new Map<string, number>();

  constructor(
    private readonly sql: Sql,
    envKey: string | undefined,
  ) {
    this.envHash = envKey ? hashKey(envKey) : undefined;
  }

  static looksLike(token: string): boolean {
    return token.startsWith(KEY_PREFIX);
  }

  /** The key's id, or 401. */
  async verify(token: string): Promise<string> {
    const hash = hashKey(token);
    if (this.envHash && timingSafeEqual(hash, this.envHash)) return 'env';
    const hex = hash.toString('hex');
    const hit = this.cache.get(hex);
    if (hit && hit.until > Date.now()) return hit.id;
    const id = await keyByHash(this.sql, hash);
    if (!id) {
      this.cache.delete(hex);
      throw new ApiError('unauthorized', 'The server key is not valid (wrong, or revoked).');
    }
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(hex, { id, until: Date.now() + CACHE_MS });
    this.markUsed(id);
    return id;
  }

  /** Forgets cached keys: after a revocation on this node, it takes effect here at once. */
  forget(): void {
    this.cache.clear();
  }

  /** last_used_at, at most once a minute per key: not a write per request. */
  private markUsed(id: string): void {
    const now = Date.now();
    if ((this.used.get(id) ?? 0) > now - 60_000) return;
    this.used.set(id, now);
    touchServerKey(this.sql, id).catch(() => {});
  }
}
