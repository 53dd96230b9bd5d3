import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { type Config, ConfigError, parseDuration } from './config.ts';
import { isUserIdLength } from './contract/schemas.ts';
import { ApiError } from './errors.ts';

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

/**
 * The secret a node verifies HS256 tokens with. With DATABASE_URL (a real deployment, likely several
 * nodes) it must be configured: a secret generated per node would make each node refuse the
 * tokens the others accept. Only a local demo (dev auth) may rely on a generated one there.
 */
export function secretFor(config: Pick<Config, 'jwtSecret' | 'dataDir' | 'databaseUrl' | 'devAuth'>): Uint8Array {
  if (config.jwtSecret === undefined && config.databaseUrl && !config.devAuth) {
    throw new ConfigError(
      'PARLEY_JWT_SECRET is not set: with DATABASE_URL every node must verify tokens with the same secret ' +
        '(one generated per node would refuse the tokens the others accept). Set PARLEY_JWT_SECRET, at least ' +
        `${MIN_SECRET_BYTES} bytes, on every node (or PARLEY_DEV_AUTH=1 for a local demo).`,
    );
  }
  return loadSecret(config.jwtSecret, config.dataDir);
}

/** HS256 wants a key as long as its hash (RFC 7518 §3.2): shorter secrets are refused at start. */
export const MIN_SECRET_BYTES = 32;

/**
 * The HS256 secret: PARLEY_JWT_SECRET, else one generated once and kept in the data directory.
 * A secret that is too short (or a secret file left empty) is refused with a message saying what
 * to do, rather than signing tokens anyone could guess.
 */
export function loadSecret(configured: string | undefined, dataDir: string): Uint8Array {
  if (configured !== undefined) return checked(configured, 'PARLEY_JWT_SECRET');
  const file = join(dataDir, 'jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return checked(readFileSync(file, 'utf8').trim(), `${file} (delete it and a new secret is generated)`);
}

function checked(secret: string, where: string): Uint8Array {
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `${where}: the HS256 secret must be at least ${MIN_SECRET_BYTES} bytes (it is ${bytes.length}); ` +
        'generate one with: openssl rand -base64 48',
    );
  }
  return bytes;
}

/**
 * Text PostgreSQL cannot store as given: NUL, and lone UTF-16 surrogates (which would be stored as
 * U+FFFD, so the stored id would differ from the id requests run as).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is refused
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const CACHE_MAX = 20_000;

export class Auth {
  /**
   * Tokens already verified, with their expiry: a reconnect storm of thousands of clients (or a busy
   * sender) would otherwise spend its CPU recomputing the same HMACs. Expiry is still checked per use.
   */
  private readonly verified = new Map<string, Verified>();

  constructor(private readonly secret: Uint8Array) {}

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
