import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';

/**
 * Cross-origin browser access, for the origins in PARLEY_CORS_ORIGINS only. Unset, nothing is
 * registered: no CORS header is ever sent, so browsers keep pages of other origins from reading any
 * answer (same-origin only), and a preflight is an ordinary 404. Tokens travel in the Authorization
 * header, never in cookies, so no credentials mode is needed.
 */
export async function registerCors(app: FastifyInstance, config: Config): Promise<void> {
  if (config.corsOrigins.length === 0) return;
  await app.register(cors, {
    // A listed origin is reflected (with Vary: Origin); any other gets no Access-Control-Allow-Origin,
    // which the browser treats as a refusal.
    origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // Not X-Parley-User: server keys belong in the host's backend, never in a page.
    allowedHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
    // Scripts may read the rate limit state and the wait after a 429 or 503.
    exposedHeaders: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After'],
    maxAge: config.corsMaxAgeSeconds,
  });
}
