import { createHmac, timingSafeEqual } from 'node:crypto';

/** A webhook that does not verify: wrong secret, tampered body, too old or too new, headers missing. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/** Node's `req.headers`, a fetch `Headers`, or any object of header names (any case) to values. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** An event as Parley delivers it: the stream's JSON object. */
export interface WebhookEvent {
  type: string;
  channel_id: string | null;
  data: Record<string, unknown>;
  pos?: number;
  ts: string;
}

/** How far `webhook-timestamp` may be from now, either way (the Standard Webhooks default). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(' ') : v;
  }
  return undefined;
}

/** The HMAC key of a `whsec_<base64>` secret (the prefix is optional, as in the specification's libraries). */
function keyOf(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  if (key.length === 0) throw new TypeError('secret must be whsec_ followed by base64');
  return key;
}

/** The `v1,<base64>` signature of a webhook (for a receiver's own tests; Parley signs its deliveries). */
export function signWebhook(secret: string, id: string, timestamp: number, body: string | Uint8Array): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/**
 * Verifies a delivery by the Standard Webhooks specification and returns the event: `webhook-id`,
 * `webhook-timestamp` (seconds; at most 5 minutes off, so a captured request cannot be replayed
 * later) and `webhook-signature` (space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>`;
 * any one matching is enough, which is how secrets are rotated). `body` must be the raw bytes
 * received, not a re-serialised object. Signatures are compared in constant time.
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array,
  opts: { toleranceSeconds?: number; now?: Date } = {},
): WebhookEvent {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('webhook-id, webhook-timestamp and webhook-signature are required');
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp must be whole seconds');
  const ts = Number(timestamp);
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const tolerance = opts.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(now - ts) > tolerance) {
    throw new WebhookVerificationError(`webhook-timestamp is more than ${tolerance} s from now`);
  }
  const expected = Buffer.from(signWebhook(secret, id, ts, body).slice(3), 'base64');
  let ok = false;
  for (const entry of signatures.split(' ')) {
    const [version, sig] = entry.split(',', 2);
    if (version !== 'v1' || !sig) continue;
    const given = Buffer.from(sig, 'base64');
    // Every entry is compared (no early exit), each in constant time.
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  if (!ok) throw new WebhookVerificationError('no webhook-signature matches');
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  try {
    return JSON.parse(text) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
}
