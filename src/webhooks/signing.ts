import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signing (www.standardwebhooks.com): a secret is `whsec_` and the base64 of
 * 24 to 64 random bytes; the bytes are the HMAC-SHA256 key; the signature is over
 * `<webhook-id>.<webhook-timestamp>.<body>` and sent as `v1,<base64>`. Receivers in every language
 * already verify exactly this, which is why we do not invent our own scheme.
 */

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function newSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

export function isWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(PREFIX)) return false;
  const b64 = secret.slice(PREFIX.length);
  if (!BASE64.test(b64) || b64.length % 4 !== 0) return false;
  const n = Buffer.from(b64, 'base64').length;
  return n >= 24 && n <= 64;
}

export function isWebhookUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && url.length <= 2048;
}

/** The HMAC key of a secret (checked by isWebhookSecret when it was stored). */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.slice(PREFIX.length), 'base64');
}

/** The headers of one attempt; the timestamp is the attempt's own (receivers reject stale ones). */
export function signedHeaders(key: Buffer, id: string, body: string, nowMs = Date.now()): Record<string, string> {
  const ts = String(Math.floor(nowMs / 1000));
  const mac = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${mac}` };
}
