import { createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '../config.ts';

/** The asymmetric algorithms an identity provider's token may use. Nothing else is ever accepted. */
export const IDP_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type IdpAlgorithm = (typeof IDP_ALGORITHMS)[number];

/** A public key and the one algorithm it verifies: a key is never tried with another algorithm. */
export interface TrustedKey {
  key: KeyObject;
  alg: IdpAlgorithm;
  /** The JWK's `kid`; PEM keys have none. */
  kid?: string;
}

/** RSA of fewer bits is breakable; a JWKS serving one is refused key by key, a PEM one at start. */
const MIN_RSA_BITS = 2048;

/**
 * The algorithm a key verifies, from what the key is (not from what a token says): RSA → RS256,
 * P-256 → ES256, Ed25519 → EdDSA; anything else is not trusted (undefined).
 */
function algOf(key: KeyObject): IdpAlgorithm | undefined {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') return (d?.modulusLength ?? 0) >= MIN_RSA_BITS ? 'RS256' : undefined;
  if (key.asymmetricKeyType === 'ec') return d?.namedCurve === 'prime256v1' ? 'ES256' : undefined;
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  return undefined;
}

/** A PEM public key from PARLEY_JWT_PUBLIC_KEY; a private key or an unsupported one stops the start. */
export function keyFromPem(pem: string, index: number): TrustedKey {
  const where = `PARLEY_JWT_PUBLIC_KEY (key ${index + 1})`;
  if (/PRIVATE KEY/.test(pem)) {
    throw new ConfigError(`${where} is a private key: give Parley the public key only (openssl pkey -pubout)`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new ConfigError(`${where} is not a PEM public key: ${(err as Error).message}`);
  }
  const alg = algOf(key);
  if (!alg) {
    throw new ConfigError(`${where}: only RSA (${MIN_RSA_BITS} bits or more), P-256 and Ed25519 keys are supported`);
  }
  return { key, alg };
}

/**
 * One key of a JWKS, or undefined when it cannot verify our tokens: an encryption key, a private
 * key published by mistake (never trusted: whoever published it has leaked it), a type or curve we
 * do not accept, or a declared `alg` that is not the one the key's type verifies.
 */
export function keyFromJwk(jwk: Record<string, unknown>): TrustedKey | undefined {
  if (typeof jwk !== 'object' || jwk === null) return undefined;
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  if ('d' in jwk) return undefined;
  if (!['RSA', 'EC', 'OKP'].includes(jwk.kty as string)) return undefined;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as never, format: 'jwk' });
  } catch {
    return undefined;
  }
  const alg = algOf(key);
  // RFC 9864's fully specified name of EdDSA over Ed25519 declares the same key.
  const declared = jwk.alg === 'Ed25519' ? 'EdDSA' : jwk.alg;
  if (!alg || (declared !== undefined && declared !== alg)) return undefined;
  return { key, alg, ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}) };
}
