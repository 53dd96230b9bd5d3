import { ConfigError, type IdpConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { JwksSource } from './jwks.ts';
import { keyFromPem, type TrustedKey } from './keys.ts';

/** The keys one issuer signs with: its JWKS URLs and PEM keys. */
interface Issuer {
  sources: JwksSource[];
  pem: TrustedKey[];
}

/** The group used when PARLEY_JWT_ISSUER is unset: every key, any `iss`. */
const ANY = '\u0000any';

/**
 * The host's identity providers: which keys are trusted for which issuer. A key is only ever
 * looked up among the keys of the token's own (claimed, then verified) issuer, so the same `kid` at
 * two providers cannot make one provider's key sign for the other — the attack a cache keyed by kid
 * alone allows (issuer B's token, signed by issuer A's key that shares B's kid, would pass as B's).
 *
 * Pairing: no issuer named → every key, `iss` not checked; one issuer → every key is that issuer's;
 * several issuers → as many JWKS URLs, the i-th URL the i-th issuer's (PEM keys then cannot say
 * whose they are, and are refused).
 */
export class IdentityProviders {
  private readonly issuers = new Map<string, Issuer>();
  private removed: () => void = () => {};
  readonly sources: JwksSource[];

  constructor(
    readonly config: IdpConfig,
    log: Logger,
  ) {
    const { jwksUrls, publicKeys, issuers } = config;
    const pem = publicKeys.map(keyFromPem);
    const source = (url: string) =>
      new JwksSource(
        url,
        { cooldownMs: config.jwksCooldownMs, maxAgeMs: config.jwksMaxAgeMs, timeoutMs: config.jwksTimeoutMs },
        log,
        () => this.removed(),
      );
    this.sources = jwksUrls.map(source);
    if ((issuers.length > 0 || config.audiences.length > 0) && !this.enabled) {
      throw new ConfigError(
        'PARLEY_JWT_ISSUER or PARLEY_JWT_AUDIENCE is set, but no key to verify such tokens: set PARLEY_JWKS_URL or PARLEY_JWT_PUBLIC_KEY',
      );
    }
    if (issuers.length <= 1) {
      this.issuers.set(issuers[0] ?? ANY, { sources: this.sources, pem });
      return;
    }
    if (jwksUrls.length !== issuers.length || pem.length > 0) {
      throw new ConfigError(
        `PARLEY_JWT_ISSUER names ${issuers.length} issuers: give as many PARLEY_JWKS_URL entries, in the same ` +
          `order (got ${jwksUrls.length}), and no PARLEY_JWT_PUBLIC_KEY (it cannot say whose key it is)`,
      );
    }
    issuers.forEach((iss, i) => {
      this.issuers.set(iss, { sources: [this.sources[i]!], pem: [] });
    });
  }

  /** Whether any identity provider is configured (else only HS256 tokens are accepted). */
  get enabled(): boolean {
    return this.config.jwksUrls.length > 0 || this.config.publicKeys.length > 0;
  }

  /** Called when a JWKS refresh withdrew a key. */
  onKeysRemoved(fn: () => void): void {
    this.removed = fn;
  }

  /**
   * The keys of the issuer `iss` (as the token claims it; verification checks the claim) that may
   * have signed a token with this kid and alg. An issuer not configured has none, and causes no fetch.
   */
  async keysFor(iss: unknown, kid: string | undefined, alg: string): Promise<TrustedKey[]> {
    const issuer = this.issuers.get(ANY) ?? (typeof iss === 'string' ? this.issuers.get(iss) : undefined);
    if (!issuer) return [];
    const found: TrustedKey[] = [];
    // PEM keys have no kid: they are tried whatever the token's kid says.
    for (const k of issuer.pem) if (k.alg === alg) found.push(k);
    for (const s of issuer.sources) for (const k of await s.candidates(kid)) if (k.alg === alg) found.push(k);
    return found;
  }
}
