/**
 * Parley's server-side SDK (`import … from 'parley/server'`), for your backend: sign user tokens,
 * call the server API, verify webhooks. Node 20+; no dependencies, nothing of the server's code.
 */
export { ParleyError } from '../errors.ts';
export { ParleyServer, type ParleyServerOptions } from './client.ts';
export { signToken, type TokenClaims } from './tokens.ts';
export type * from './types.ts';
export {
  signWebhook,
  verifyWebhook,
  WEBHOOK_TOLERANCE_SECONDS,
  type WebhookEvent,
  type WebhookHeaders,
  WebhookVerificationError,
} from './webhooks.ts';
