import type { Logger } from '../log.ts';
import { keyFromJwk, type TrustedKey } from './keys.ts';

/** A JWKS larger than this is not a key set: refused rather than parsed. */
const MAX_JWKS_BYTES = 512 * 1024;

export interface JwksOptions {
  /** Least time between two fetches caused by an unknown kid (the refetch storm bound). */
  cooldownMs: number;
  /** Keys older than this are refreshed in the background; the old ones stay until that succeeds. */
  maxAgeMs: number;
  timeoutMs: number;
}

/**
 * One JWKS URL's keys, by kid. The set belongs to one issuer (see IdentityProviders), so a kid is
 * only ever looked up among the keys of the token's own issuer.
 *
 * Fetches: the first token needs it; an unknown kid (the provider rotated) refetches, but at most
 * once per `cooldownMs`, so a flood of tokens with made-up kids costs the provider one request a
 * minute, not one per token; keys older than `maxAgeMs` are refreshed in the background, so a key the
 * provider withdrew stops being trusted. A failed fetch keeps the keys already known (the provider
 * being down does not log everybody out) and is logged.
 */
export class JwksSource {
  private keys = new Map<string, TrustedKey>();
  /** Keys without a kid: tried for a token without one. */
  private unnamed: TrustedKey[] = [];
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;

  constructor(
    readonly url: string,
    private readonly opts: JwksOptions,
    private readonly log: Logger,
    /** Called when a refresh dropped a key: tokens verified with it must be verified again. */
    private readonly onKeysRemoved: () => void = () => {},
  ) {}

  /** The keys that may have signed a token with this kid (none known and none fetchable: []). */
  async candidates(kid: string | undefined): Promise<TrustedKey[]> {
    const found = this.lookup(kid);
    const now = Date.now();
    if (found.length > 0) {
      if (now - this.fetchedAt > this.opts.maxAgeMs && now - this.attemptedAt >= this.opts.cooldownMs) {
        void this.refresh();
      }
      return found;
    }
    // Requests that arrive while a fetch is under way wait for it rather than fail or fetch again.
    if (this.inflight) await this.inflight;
    else if (now - this.attemptedAt >= this.opts.cooldownMs) await this.refresh();
    return this.lookup(kid);
  }

  private lookup(kid: string | undefined): TrustedKey[] {
    if (kid === undefined) return this.unnamed.length ? this.unnamed : [...this.keys.values()];
    const key = this.keys.get(kid);
    return key ? [key] : [];
  }

  /** One fetch at a time: concurrent callers wait for the same one. Never throws. */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = Date.now();
    try {
      const res = await fetch(this.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      if (text.length > MAX_JWKS_BYTES) throw new Error(`larger than ${MAX_JWKS_BYTES} bytes`);
      const body = JSON.parse(text) as { keys?: unknown };
      if (!Array.isArray(body.keys)) throw new Error('no "keys" array');
      const keys = new Map<string, TrustedKey>();
      const unnamed: TrustedKey[] = [];
      for (const jwk of body.keys) {
        const key = keyFromJwk(jwk as Record<string, unknown>);
        if (!key) continue;
        if (key.kid === undefined) unnamed.push(key);
        else keys.set(key.kid, key);
      }
      const removed =
        [...this.keys.keys()].some((kid) => !keys.has(kid)) ||
        this.unnamed.some((old) => !unnamed.some((k) => k.key.equals(old.key)));
      this.keys = keys;
      this.unnamed = unnamed;
      this.fetchedAt = Date.now();
      if (removed) this.onKeysRemoved();
    } catch (err) {
      this.log.warn(
        { url: this.url, err: (err as Error).message },
        'JWKS: fetch failed; keeping the keys already known',
      );
    }
  }
}
