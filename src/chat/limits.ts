import { ApiError } from '../errors.ts';
import type { Actor } from './actor.ts';

/** The operations that are rate limited, each with its own bucket per user. */
export const BUCKETS = ['send', 'typing', 'reaction', 'upload', 'channel', 'search'] as const;
export type Bucket = (typeof BUCKETS)[number];

export interface Rate {
  /** Operations allowed per window… */
  limit: number;
  /** …of this many milliseconds: a bucket of `limit` tokens refilled at limit/windowMs. */
  windowMs: number;
}

export type RateLimits = Partial<Record<Bucket, Rate>>;

/** What a limited call learns, for RateLimit-* headers and the 429's Retry-After. */
export interface RateState {
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

interface Tokens {
  tokens: number;
  at: number;
}

/**
 * One token-bucket limiter per node, consulted by the domain operations themselves, so REST and
 * WebSocket share it and a limit exists once. Per node: a user's limit holds on each node they
 * reach (a cluster-wide count would cost a database round trip on every send). Calls made with a
 * server key are not limited.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Tokens>();
  /** The state of the last take by each actor (one per request): what the REST adapter reports. */
  private readonly last = new WeakMap<Actor, { bucket: Bucket; state: RateState }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {
    // Full buckets carry no information: drop them so memory follows active users only.
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Takes one token of `bucket` for the actor, or throws 429 rate_limited with the wait. */
  take(actor: Actor, bucket: Bucket): RateState | undefined {
    const rate = this.limits[bucket];
    if (!rate || actor.kind === 'server' || actor.keyId !== undefined) return undefined;
    const key = `${bucket}\u0000${actor.userId}`;
    const now = this.now();
    const perMs = rate.limit / rate.windowMs;
    const b = this.buckets.get(key) ?? { tokens: rate.limit, at: now };
    b.tokens = Math.min(rate.limit, b.tokens + (now - b.at) * perMs);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) {
      const state = this.state(rate, b, perMs);
      this.last.set(actor, { bucket, state });
      const retryMs = Math.ceil((1 - b.tokens) / perMs);
      const err = new ApiError(
        'rate_limited',
        `Too many ${bucket} operations: at most ${rate.limit} per ${rate.windowMs / 1000} s.`,
        undefined,
        Math.max(1, Math.ceil(retryMs / 1000)),
      );
      err.retryAfterMs = retryMs;
      throw err;
    }
    b.tokens -= 1;
    const state = this.state(rate, b, perMs);
    this.last.set(actor, { bucket, state });
    return state;
  }

  /** The state the actor's last limited call left, if it made one. */
  lastState(actor: Actor): RateState | undefined {
    return this.last.get(actor)?.state;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private state(rate: Rate, b: Tokens, perMs: number): RateState {
    return {
      limit: rate.limit,
      remaining: Math.floor(b.tokens),
      resetSeconds: Math.ceil((rate.limit - b.tokens) / perMs / 1000),
    };
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, b] of this.buckets) {
      const rate = this.limits[key.slice(0, key.indexOf('\u0000')) as Bucket];
      if (!rate || b.tokens + (now - b.at) * (rate.limit / rate.windowMs) >= rate.limit) this.buckets.delete(key);
    }
  }
}

/** The defaults, and the contract's example of PARLEY_RATE_LIMITS. */
export const DEFAULT_RATE_LIMITS =
  'send=30/10s,typing=20/10s,reaction=60/10s,upload=20/60s,channel=20/60s,search=30/10s';

/**
 * PARLEY_RATE_LIMITS: `off`, or comma-separated `bucket=N/duration` (or `bucket=off`) over the
 * defaults, e.g. `send=100/10s,typing=off`. Throws a message naming what is wrong.
 */
export function parseRateLimits(text: string | undefined, parseMs: (value: string) => number): RateLimits {
  const limits: RateLimits = {};
  for (const spec of [DEFAULT_RATE_LIMITS, text ?? ''])
    for (const part of spec.split(',').map((p) => p.trim())) {
      if (part === '') continue;
      if (part === 'off') {
        for (const b of BUCKETS) delete limits[b];
        continue;
      }
      const m = /^([a-z]+)=(?:(off)|(\d+)\/(.+))$/.exec(part);
      if (!m || !(BUCKETS as readonly string[]).includes(m[1]!)) {
        throw new Error(`"${part}" is not bucket=N/duration or bucket=off, with a bucket among ${BUCKETS.join(', ')}`);
      }
      const bucket = m[1] as Bucket;
      if (m[2]) delete limits[bucket];
      else {
        const windowMs = parseMs(m[4]!);
        if (Number(m[3]) < 1 || windowMs < 1) throw new Error(`"${part}" needs at least 1 per a positive duration`);
        limits[bucket] = { limit: Number(m[3]), windowMs };
      }
    }
  return limits;
}
