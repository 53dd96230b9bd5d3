import { decodeJwt, decodeProtectedHeader, type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { parseDuration } from '../config.ts';
import { isUserIdLength, UNSTORABLE } from '../contract/schemas.ts';
import { ApiError } from '../errors.ts';
import type { IdentityProviders } from './idp.ts';
import { IDP_ALGORITHMS } from './keys.ts';

export interface User {
  id: string;
  name: string | null;
}

/** A verified token: its user, and its own lifetime (ms since the epoch; no `exp`: Infinity). */
export interface Verified {
  user: User;
  expiresAtMs: number;
  issuedAtMs?: number;
}

const CACHE_MAX = 20_000;

export class Auth {
  /**
   * Tokens already verified, with their expiry: a reconnect storm of thousands of clients (or a busy
   * sender) would otherwise spend its CPU recomputing the same HMACs. Expiry is still checked per use.
   */
  private readonly verified = new Map<string, Verified>();
  /** The secret imported once: jose given raw bytes imports them on every verify (~2× the cost). */
  private hmacKey: Promise<CryptoKey> | undefined;

  constructor(
    /** The HS256 secret; undefined: HS256 tokens are off (only the identity provider's are taken). */
    private readonly secret: Uint8Array | undefined,
    /** Whether the user's tokens issued at that time were revoked (checked on every use). */
    private readonly isRevoked: (userId: string, issuedAtMs: number | undefined) => boolean = () => false,
    /** The host's identity providers (RS256, ES256, EdDSA tokens), if configured. */
    private readonly idp?: IdentityProviders,
  ) {
    // A key the provider withdrew must stop working now, not when the tokens it signed expire.
    idp?.onKeysRemoved(() => this.verified.clear());
  }

  async sign(userId: string, name?: string, ttl = '24h'): Promise<string> {
    if (!this.secret) {
      throw new ApiError(
        'unavailable',
        'PARLEY_JWT_SECRET is not set: this server takes identity-provider tokens only.',
      );
    }
    const jwt = new SignJWT(name ? { name } : {})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt();
    if (ttl !== 'never') jwt.setExpirationTime(Math.floor(Date.now() / 1000) + parseDuration(ttl, 'ttl') / 1000);
    return jwt.sign(this.secret);
  }

  /**
   * The one entry point of REST, SSE and WebSocket: verifies signature, expiry and claims, then
   * revocation. HS256 with the secret; RS256, ES256 and EdDSA with the identity provider's keys
   * (each key with its own algorithm only, so an HS256 token "signed" with a public key's bytes, or
   * `alg: none`, is refused).
   */
  async verify(token: string): Promise<Verified> {
    const verified = await this.check(token);
    if (this.isRevoked(verified.user.id, verified.issuedAtMs)) {
      throw new ApiError('unauthorized', 'The token was revoked; get a new one.');
    }
    return verified;
  }

  private async check(token: string): Promise<Verified> {
    const hit = this.verified.get(token);
    if (hit && Date.now() < hit.expiresAtMs) return hit;
    if (hit) this.verified.delete(token);
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new ApiError('unauthorized', 'The token is not valid.');
    }
    const verified =
      alg === 'HS256' && this.secret
        ? claimsOf(
            await verifying(jwtVerify(token, await this.hmac(this.secret), { algorithms: ['HS256'] })),
            'sub',
            'name',
          )
        : await this.checkIdp(token, alg);
    if (this.verified.size >= CACHE_MAX) this.verified.clear();
    this.verified.set(token, verified);
    return verified;
  }

  private hmac(secret: Uint8Array): Promise<CryptoKey> {
    this.hmacKey ??= crypto.subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ]);
    return this.hmacKey;
  }

  /** A token of the host's identity provider: the key of its own issuer, its kid, its algorithm. */
  private async checkIdp(token: string, alg: unknown): Promise<Verified> {
    const idp = this.idp;
    if (!idp?.enabled || !(IDP_ALGORITHMS as readonly unknown[]).includes(alg)) {
      throw new ApiError('unauthorized', 'The token is not valid.');
    }
    const { kid } = decodeProtectedHeader(token);
    let claimed: JWTPayload;
    try {
      claimed = decodeJwt(token);
    } catch {
      throw new ApiError('unauthorized', 'The token is not valid.');
    }
    const keys = await idp.keysFor(claimed.iss, typeof kid === 'string' ? kid : undefined, alg as string);
    if (keys.length === 0) {
      throw new ApiError('unauthorized', "The token's issuer or signing key (kid) is not one this server trusts.");
    }
    const { issuers, audiences, allowNoExp, userClaim, nameClaim } = idp.config;
    for (const [i, k] of keys.entries()) {
      const payload = await verifying(
        jwtVerify(token, k.key, {
          algorithms: [k.alg],
          ...(issuers.length ? { issuer: issuers } : {}),
          ...(audiences.length ? { audience: audiences } : {}),
          ...(allowNoExp ? {} : { requiredClaims: ['exp'] }),
        }),
        i < keys.length - 1,
      );
      if (payload) return claimsOf(payload, userClaim, nameClaim);
    }
    throw new ApiError('unauthorized', 'The token is not valid.');
  }
}

/**
 * The verified payload, or 401 saying what was wrong. `tryNext`: a wrong signature returns
 * undefined instead, so that the next candidate key is tried.
 */
async function verifying(p: Promise<{ payload: JWTPayload }>): Promise<JWTPayload>;
async function verifying(p: Promise<{ payload: JWTPayload }>, tryNext: boolean): Promise<JWTPayload | undefined>;
async function verifying(p: Promise<{ payload: JWTPayload }>, tryNext = false): Promise<JWTPayload | undefined> {
  try {
    return (await p).payload;
  } catch (err) {
    if (tryNext && err instanceof joseErrors.JWSSignatureVerificationFailed) return undefined;
    if (err instanceof joseErrors.JWTExpired) throw new ApiError('unauthorized', 'The token has expired.');
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      throw new ApiError('unauthorized', `The token's "${err.claim}" claim is not accepted (${err.reason}).`);
    }
    throw new ApiError('unauthorized', 'The token is not valid.');
  }
}

/** The user a verified payload names, its name, and the token's lifetime. */
function claimsOf(payload: JWTPayload, userClaim: string, nameClaim: string): Verified {
  const sub = payload[userClaim];
  if (typeof sub !== 'string' || !isUserIdLength(sub) || UNSTORABLE.test(sub)) {
    throw new ApiError('unauthorized', `The token must name the user in "${userClaim}" (1 to 128 characters).`);
  }
  const name = payload[nameClaim];
  if (name !== undefined && (typeof name !== 'string' || name.length > 200 || UNSTORABLE.test(name))) {
    throw new ApiError('unauthorized', `The token's "${nameClaim}" claim must be a string of at most 200 characters.`);
  }
  return {
    user: { id: sub, name: (name as string | undefined) ?? null },
    expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : Number.POSITIVE_INFINITY,
    ...(typeof payload.iat === 'number' ? { issuedAtMs: payload.iat * 1000 } : {}),
  };
}
