import { createHmac } from 'node:crypto';

export interface TokenClaims {
  /** The user id (1 to 128 characters): the same id your app uses for the user. */
  sub: string;
  /** The display name; the user's row in Parley takes it when the token is used. */
  name?: string;
  /** Seconds, or a duration such as `15m`, `1h`, `7d`. Required: a token that never expires can only be revoked. */
  expiresIn: number | string;
}

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

function seconds(expiresIn: number | string): number {
  if (typeof expiresIn === 'number') {
    if (!Number.isFinite(expiresIn) || expiresIn <= 0)
      throw new TypeError('expiresIn must be a positive number of seconds');
    return Math.floor(expiresIn);
  }
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(expiresIn.trim());
  if (!m || Number(m[1]) <= 0)
    throw new TypeError(`expiresIn must be a duration such as 15m, 1h or 7d (got "${expiresIn}")`);
  return Number(m[1]) * UNIT_S[m[2]!]!;
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/**
 * A user token for Parley (HS256 with the server's PARLEY_JWT_SECRET), made by your backend when a
 * user signs in to your app. `iat` is set, so revoking the user's tokens (`revokeTokens`) works.
 */
export function signToken(secret: string, claims: TokenClaims): string {
  if (typeof secret !== 'string' || Buffer.byteLength(secret) < 32) {
    throw new TypeError("secret must be the server's PARLEY_JWT_SECRET (at least 32 bytes)");
  }
  const { sub, name } = claims;
  if (typeof sub !== 'string' || [...sub].length < 1 || [...sub].length > 128) {
    throw new TypeError('sub must be a user id of 1 to 128 characters');
  }
  if (name !== undefined && (typeof name !== 'string' || name.length > 200)) {
    throw new TypeError('name must be a string of at most 200 characters');
  }
  const iat = Math.floor(Date.now() / 1000);
  const payload = { sub, ...(name !== undefined ? { name } : {}), iat, exp: iat + seconds(claims.expiresIn) };
  const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}
