import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { parseDuration } from '../config.ts';
import { isUserIdLength, UNSTORABLE } from '../contract/schemas.ts';
import { ApiError } from '../errors.ts';

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

  constructor(
    private readonly secret: Uint8Array,
    /** Whether the user's tokens issued at that time were revoked (checked on every use). */
    private readonly isRevoked: (userId: string, issuedAtMs: number | undefined) => boolean = () => false,
  ) {}

  async sign(userId: string, name?: string, ttl = '24h'): Promise<string> {
    const jwt = new SignJWT(name ? { name } : {})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt();
    if (ttl !== 'never') jwt.setExpirationTime(Math.floor(Date.now() / 1000) + parseDuration(ttl, 'ttl') / 1000);
    return jwt.sign(this.secret);
  }

  /** Verifies signature (HS256 only: `alg: none` and others are refused), expiry and claims. */
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
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'] }));
    } catch (err) {
      const expired = err instanceof joseErrors.JWTExpired;
      throw new ApiError('unauthorized', expired ? 'The token has expired.' : 'The token is not valid.');
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || !isUserIdLength(sub) || UNSTORABLE.test(sub)) {
      throw new ApiError('unauthorized', 'The token must name the user in "sub" (1 to 128 characters).');
    }
    const name = payload.name;
    if (name !== undefined && (typeof name !== 'string' || name.length > 200 || UNSTORABLE.test(name))) {
      throw new ApiError('unauthorized', 'The token\'s "name" claim must be a string of at most 200 characters.');
    }
    const verified: Verified = {
      user: { id: sub, name: (name as string | undefined) ?? null },
      expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : Number.POSITIVE_INFINITY,
      ...(typeof payload.iat === 'number' ? { issuedAtMs: payload.iat * 1000 } : {}),
    };
    if (this.verified.size >= CACHE_MAX) this.verified.clear();
    this.verified.set(token, verified);
    return verified;
  }
}
