import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, ConfigError } from '../config.ts';

/**
 * The secret a node verifies HS256 tokens with. With DATABASE_URL (a real deployment, likely several
 * nodes) it must be configured: a secret generated per node would make each node refuse the
 * tokens the others accept. Only a local demo (dev auth) may rely on a generated one there.
 * With an identity provider and no secret, there is none: HS256 tokens are refused.
 */
export function secretFor(
  config: Pick<Config, 'jwtSecret' | 'dataDir' | 'databaseUrl' | 'devAuth'> & { idp?: Config['idp'] },
): Uint8Array | undefined {
  // With the host's identity provider configured, HS256 is optional: on only if a secret is given.
  const idp = config.idp && (config.idp.jwksUrls.length > 0 || config.idp.publicKeys.length > 0);
  if (config.jwtSecret === undefined && idp && !config.devAuth) return undefined;
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
