import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseRateLimits, type RateLimits } from './chat/limits.ts';

/** Every setting Parley reads from the environment, with its default in one place. */
export interface Config {
  databaseUrl: string | undefined;
  host: string;
  port: number;
  jwtSecret: string | undefined;
  devAuth: boolean;
  nodeId: string;
  dataDir: string;
  presenceTtlMs: number;
  heartbeatMs: number;
  /** How long after a user's last stream closes before they count as offline. */
  presenceGraceMs: number;
  eventRetentionMs: number;
  maxBufferedBytes: number;
  maxUploadBytes: number;
  sseHeartbeatMs: number;
  /** A message send that the database has not answered by then fails with 503 (and a new connection). */
  writeTimeoutMs: number;
  logLevel: string;
  /** Connections one node accepts at once; past it new ones are closed at once. */
  maxConnections: number;
  /** A connection whose request headers are not complete by then is closed. */
  headersTimeoutMs: number;
  /** A request (headers and body) not complete by then is closed. */
  requestTimeoutMs: number;
  /** A connection that sends nothing for this long (between or inside requests) is closed. */
  idleTimeoutMs: number;
  /** Largest JSON body. */
  maxBodyBytes: number;
  /** Largest WebSocket frame a client may send. */
  wsMaxFrameBytes: number;
  /** Event streams (SSE and WebSocket together) one user may have open on one node. */
  maxStreamsPerUser: number;
  /** A starting stream whose client takes no bytes for this long is closed as a slow consumer. */
  streamStallMs: number;
  /** Per user and bucket (send, typing, reaction, upload, channel); absent: not limited. */
  rateLimits: RateLimits;
  /** Who may open a direct channel with whom: anyone, users who already share a channel, nobody. */
  directMessages: 'anyone' | 'shared_channel' | 'none';
  /** Who may add whom to a channel: anyone, users who share a channel with the adder, the server only. */
  memberAdds: 'anyone' | 'shared_channel' | 'server';
  /** E-mail addresses, phone numbers and off-platform links in messages: let pass, report, remove, refuse. */
  contactPolicy: 'off' | 'flag' | 'redact' | 'block';
  /** Regions whose local phone number formats the contact policy knows (ISO 3166 codes). */
  contactPhoneRegions: string[];
  /** A server key named in the environment (bootstrapping: accepted besides the stored ones). */
  serverKey: string | undefined;
  /** Different reactions one user may have on one message. */
  maxReactionsPerUser: number;
  /** Different reactions (emoji) one message may have. */
  maxEmojiPerMessage: number;
  /** Origins of host pages that may hand the embedded web UI a token by postMessage (none: off). */
  webEmbedOrigins: string[];
  /** Terms (words, phrases, -terms) one search may hold; each is an index lookup. */
  searchMaxTerms: number;
  /** Longest snippet of a search result, in UTF-16 code units (plus an ellipsis at a cut end). */
  searchSnippetChars: number;
}

export class ConfigError extends Error {}

const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "24h", "90s", "1500ms" or a bare number of milliseconds. */
export function parseDuration(value: string, name: string): number {
  const m = DURATION.exec(value.trim());
  if (!m) throw new ConfigError(`${name} must be a duration such as 30s, 15m or 24h (got "${value}")`);
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
}

function int(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer (got "${value}")`);
  return n;
}

function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value as T;
}

function regions(value: string | undefined): string[] {
  const list = (value ?? 'US')
    .split(',')
    .map((r) => r.trim().toUpperCase())
    .filter(Boolean);
  const bad = list.find((r) => !/^[A-Z]{2}$/.test(r));
  if (bad)
    throw new ConfigError(`PARLEY_CONTACT_PHONE_REGIONS must be two-letter region codes such as US,GB (got "${bad}")`);
  return list;
}

function origins(value: string | undefined): string[] {
  const list = (value ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of list) {
    let ok = false;
    try {
      ok = new URL(o).origin === o && /^https?:$/.test(new URL(o).protocol);
    } catch {
      // not a URL: reported below
    }
    if (!ok) {
      throw new ConfigError(
        `PARLEY_WEB_EMBED_ORIGINS must be origins such as https://app.example.com, without a path (got "${o}")`,
      );
    }
  }
  return list;
}

function serverKey(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^psk_[A-Za-z0-9_-]{40,}$/.test(value)) {
    throw new ConfigError(
      'PARLEY_SERVER_KEY must be a server key: psk_ and at least 40 more letters, digits, _ or - (make one with `parley keys create`)',
    );
  }
  return value;
}

function rateLimits(value: string | undefined): RateLimits {
  try {
    return parseRateLimits(value, (v) => parseDuration(v, 'PARLEY_RATE_LIMITS'));
  } catch (err) {
    throw new ConfigError(`PARLEY_RATE_LIMITS: ${(err as Error).message}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.PARLEY_DATA_DIR || './.parley');
  const port = int(env.PORT, 'PORT', 8080);
  // Checked here, before an embedded database is started, rather than by listen() after it.
  if (port > 65535) throw new ConfigError(`PORT must be at most 65535 (got "${env.PORT}")`);
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    host: env.HOST || '127.0.0.1',
    port,
    // Set but empty is a mistake to report (loadSecret refuses it), not "unset".
    jwtSecret: env.PARLEY_JWT_SECRET,
    devAuth: env.PARLEY_DEV_AUTH === '1' || env.PARLEY_DEV_AUTH === 'true',
    nodeId: env.PARLEY_NODE_ID || `${hostname()}-${process.pid}`,
    dataDir,
    presenceTtlMs: int(env.PARLEY_PRESENCE_TTL_MS, 'PARLEY_PRESENCE_TTL_MS', 30_000),
    heartbeatMs: int(env.PARLEY_HEARTBEAT_MS, 'PARLEY_HEARTBEAT_MS', 5_000),
    presenceGraceMs: int(env.PARLEY_PRESENCE_GRACE_MS, 'PARLEY_PRESENCE_GRACE_MS', 10_000),
    eventRetentionMs: parseDuration(env.PARLEY_EVENT_RETENTION || '24h', 'PARLEY_EVENT_RETENTION'),
    maxBufferedBytes: int(env.PARLEY_MAX_BUFFERED_BYTES, 'PARLEY_MAX_BUFFERED_BYTES', 1024 * 1024),
    maxUploadBytes: int(env.PARLEY_MAX_UPLOAD_BYTES, 'PARLEY_MAX_UPLOAD_BYTES', 25 * 1024 * 1024),
    sseHeartbeatMs: int(env.PARLEY_SSE_HEARTBEAT_MS, 'PARLEY_SSE_HEARTBEAT_MS', 15_000),
    writeTimeoutMs: int(env.PARLEY_WRITE_TIMEOUT_MS, 'PARLEY_WRITE_TIMEOUT_MS', 10_000),
    logLevel: env.LOG_LEVEL || 'info',
    maxConnections: int(env.PARLEY_MAX_CONNECTIONS, 'PARLEY_MAX_CONNECTIONS', 20_000),
    headersTimeoutMs: int(env.PARLEY_HEADERS_TIMEOUT_MS, 'PARLEY_HEADERS_TIMEOUT_MS', 20_000),
    requestTimeoutMs: int(env.PARLEY_REQUEST_TIMEOUT_MS, 'PARLEY_REQUEST_TIMEOUT_MS', 120_000),
    idleTimeoutMs: int(env.PARLEY_IDLE_TIMEOUT_MS, 'PARLEY_IDLE_TIMEOUT_MS', 30_000),
    maxBodyBytes: int(env.PARLEY_MAX_BODY_BYTES, 'PARLEY_MAX_BODY_BYTES', 1024 * 1024),
    wsMaxFrameBytes: int(env.PARLEY_WS_MAX_FRAME_BYTES, 'PARLEY_WS_MAX_FRAME_BYTES', 256 * 1024),
    maxStreamsPerUser: int(env.PARLEY_MAX_STREAMS_PER_USER, 'PARLEY_MAX_STREAMS_PER_USER', 100),
    streamStallMs: int(env.PARLEY_STREAM_STALL_MS, 'PARLEY_STREAM_STALL_MS', 30_000),
    rateLimits: rateLimits(env.PARLEY_RATE_LIMITS),
    serverKey: serverKey(env.PARLEY_SERVER_KEY),
    directMessages: oneOf(
      env.PARLEY_DIRECT_MESSAGES,
      'PARLEY_DIRECT_MESSAGES',
      ['anyone', 'shared_channel', 'none'],
      'anyone',
    ),
    memberAdds: oneOf(env.PARLEY_MEMBER_ADDS, 'PARLEY_MEMBER_ADDS', ['anyone', 'shared_channel', 'server'], 'anyone'),
    contactPolicy: oneOf(env.PARLEY_CONTACT_POLICY, 'PARLEY_CONTACT_POLICY', ['off', 'flag', 'redact', 'block'], 'off'),
    contactPhoneRegions: regions(env.PARLEY_CONTACT_PHONE_REGIONS),
    maxReactionsPerUser: int(env.PARLEY_MAX_REACTIONS_PER_USER, 'PARLEY_MAX_REACTIONS_PER_USER', 20),
    maxEmojiPerMessage: int(env.PARLEY_MAX_EMOJI_PER_MESSAGE, 'PARLEY_MAX_EMOJI_PER_MESSAGE', 100),
    webEmbedOrigins: origins(env.PARLEY_WEB_EMBED_ORIGINS),
    searchMaxTerms: int(env.PARLEY_SEARCH_MAX_TERMS, 'PARLEY_SEARCH_MAX_TERMS', 16),
    searchSnippetChars: int(env.PARLEY_SEARCH_SNIPPET_CHARS, 'PARLEY_SEARCH_SNIPPET_CHARS', 160),
  };
}
