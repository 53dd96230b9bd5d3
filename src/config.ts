import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseRateLimits, type RateLimits } from './chat/limits.ts';
import { isWebhookSecret, isWebhookUrl } from './webhooks/signing.ts';

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
  /** One more webhook endpoint, configured without the API (PARLEY_WEBHOOK_URL + _SECRET); upserted at start. */
  webhook: { url: string; secret: string } | undefined;
  /** A webhook POST not answered with a 2xx within this is a failed attempt. */
  webhookTimeoutMs: number;
  /** The first retry of a failed delivery waits this long, each next one twice as long, up to the max. */
  webhookRetryMinMs: number;
  webhookRetryMaxMs: number;
  /** How long a node's hold on an endpoint lasts without renewal: another node takes over after it. */
  webhookLeaseMs: number;
  /** The backstop read of the log for webhooks when no notification woke the delivery. */
  webhookPollMs: number;
  /** A user offline this long who has not read a message that concerns them gets a notification. */
  notifyAfterMs: number;
  /** Whether a notification carries the message's text (0 for platforms whose users are minors). */
  notificationContent: boolean;
  /** Run as root: where the embedded PostgreSQL's binaries and clusters go when the postgres user cannot reach them. */
  embeddedHome: string;
  /** Origins whose pages may call the API from a browser (`*`: any); empty: same-origin only. */
  corsOrigins: string[];
  /** How long a browser may reuse a CORS preflight's answer. */
  corsMaxAgeSeconds: number;
  /** Where attachments' bytes live: files in uploadsDir, or chunks in the database. */
  storage: 'fs' | 'postgres';
  /**
   * PARLEY_STORAGE=fs: the directory (shared by every node of a cluster); also where uploads are
   * staged. Unset: PARLEY_DATA_DIR/uploads (see uploadsDirOf).
   */
  uploadsDir: string | undefined;
  /** An upload attached to no message is deleted this long after it was made. */
  uploadTtlMs: number;
  /** How often a node looks for unattached uploads and files whose message is gone (one node at a time). */
  uploadSweepMs: number;
  /** Attachments one message may carry. */
  maxAttachmentsPerMessage: number;
  /** Images with more pixels than this get no thumbnail (a small file can decode to gigabytes). */
  thumbnailMaxPixels: number;
  /** Messages older than this are deleted (with their reactions and revisions); undefined: kept for good. */
  messageRetentionMs: number | undefined;
  /** Audit entries older than this are deleted; undefined: kept for good. */
  auditRetentionMs: number | undefined;
  /** Messages one retention batch (one short transaction) deletes. */
  retentionBatch: number;
  /** How often a node runs message (and audit) retention. */
  retentionIntervalMs: number;
  /** The host's identity provider: RS256/ES256/EdDSA tokens (src/auth/idp.ts). */
  idp: IdpConfig;
}

/** Identity-provider tokens; with no JWKS URL and no public key, only HS256 tokens are accepted. */
export interface IdpConfig {
  /** JWKS endpoints; the i-th is trusted for the i-th issuer when as many issuers are named. */
  jwksUrls: string[];
  /** PEM public keys (several blocks may be concatenated). */
  publicKeys: string[];
  /** Accepted `iss` values; empty: not checked. */
  issuers: string[];
  /** Accepted `aud` values (any one); empty: not checked. */
  audiences: string[];
  userClaim: string;
  nameClaim: string;
  /** Accept tokens without `exp` (they never expire; revocation is then the only way out). */
  allowNoExp: boolean;
  /** An unknown `kid` refetches its JWKS at most this often (per URL). */
  jwksCooldownMs: number;
  /** Keys fetched are refreshed in the background once older than this (kept if the refresh fails). */
  jwksMaxAgeMs: number;
  /** A JWKS fetch that has not answered by then fails (the request gets 401, cached keys stay). */
  jwksTimeoutMs: number;
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

/** A retention period: a duration, or unset / `keep` for "kept for good". */
function keepOr(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '' || value === 'keep') return undefined;
  const ms = parseDuration(value, name);
  if (ms <= 0) throw new ConfigError(`${name} must be a positive duration such as 365d, or keep (got "${value}")`);
  return ms;
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

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** PEM blocks of PARLEY_JWT_PUBLIC_KEY; `\n` written as two characters (as env files do) is a line end. */
function pemBlocks(value: string | undefined): string[] {
  if (!value?.trim()) return [];
  const text = value.replace(/\\n/g, '\n');
  const blocks = text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
  if (blocks.length === 0)
    throw new ConfigError('PARLEY_JWT_PUBLIC_KEY must hold PEM public keys (-----BEGIN PUBLIC KEY-----…)');
  return blocks;
}

function idp(env: NodeJS.ProcessEnv): IdpConfig {
  const jwksUrls = list(env.PARLEY_JWKS_URL);
  for (const u of jwksUrls) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(u).protocol);
    } catch {}
    if (!ok) throw new ConfigError(`PARLEY_JWKS_URL must be comma-separated http(s) URLs (got "${u}")`);
  }
  const claim = (v: string | undefined, name: string, fallback: string) => {
    const c = (v ?? '').trim() || fallback;
    if (c.length > 100) throw new ConfigError(`${name} must name a claim (got "${c}")`);
    return c;
  };
  return {
    jwksUrls,
    publicKeys: pemBlocks(env.PARLEY_JWT_PUBLIC_KEY),
    issuers: list(env.PARLEY_JWT_ISSUER),
    audiences: list(env.PARLEY_JWT_AUDIENCE),
    userClaim: claim(env.PARLEY_JWT_USER_CLAIM, 'PARLEY_JWT_USER_CLAIM', 'sub'),
    nameClaim: claim(env.PARLEY_JWT_NAME_CLAIM, 'PARLEY_JWT_NAME_CLAIM', 'name'),
    allowNoExp: env.PARLEY_JWT_ALLOW_NO_EXP === '1' || env.PARLEY_JWT_ALLOW_NO_EXP === 'true',
    jwksCooldownMs: int(env.PARLEY_JWKS_COOLDOWN_MS, 'PARLEY_JWKS_COOLDOWN_MS', 60_000),
    jwksMaxAgeMs: int(env.PARLEY_JWKS_MAX_AGE_MS, 'PARLEY_JWKS_MAX_AGE_MS', 600_000),
    jwksTimeoutMs: int(env.PARLEY_JWKS_TIMEOUT_MS, 'PARLEY_JWKS_TIMEOUT_MS', 5_000),
  };
}

function rateLimits(value: string | undefined): RateLimits {
  try {
    return parseRateLimits(value, (v) => parseDuration(v, 'PARLEY_RATE_LIMITS'));
  } catch (err) {
    throw new ConfigError(`PARLEY_RATE_LIMITS: ${(err as Error).message}`);
  }
}

function webhook(url: string | undefined, secret: string | undefined): Config['webhook'] {
  if (!url) return undefined;
  if (!isWebhookUrl(url)) throw new ConfigError(`PARLEY_WEBHOOK_URL must be an http(s) URL (got "${url}")`);
  if (!secret || !isWebhookSecret(secret)) {
    throw new ConfigError(
      'PARLEY_WEBHOOK_SECRET must be set with PARLEY_WEBHOOK_URL: whsec_ and the base64 of 24 to 64 random bytes',
    );
  }
  return { url, secret };
}

/**
 * PARLEY_EMBEDDED_HOME, default /var/lib/parley: a root-owned 0755 directory. Used only when running
 * as root with the embedded PostgreSQL, for what the postgres user could not reach in place.
 */
export function embeddedHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PARLEY_EMBEDDED_HOME || '/var/lib/parley');
}

/** PARLEY_CORS_ORIGINS: comma-separated origins (scheme://host[:port], nothing after), or `*`. */
function corsOrigins(value: string | undefined): string[] {
  const list = (value ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of list) {
    if (o === '*') continue;
    let origin: string | undefined;
    try {
      const u = new URL(o);
      origin = u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
    } catch {
      // not a URL
    }
    // Browsers send the origin without a trailing slash or path; anything else would never match.
    // No wildcards inside a name either: a listed origin is matched exactly.
    if (origin !== o || o.includes('*')) {
      throw new ConfigError(
        `PARLEY_CORS_ORIGINS must be origins such as https://app.example.com,http://localhost:5173 or * (got "${o}")`,
      );
    }
  }
  return list;
}

/** The send schema's ceiling on attachment_ids (src/chat/messages.ts); the setting can only lower it. */
const MAX_ATTACHMENT_IDS = 20;

function atMost(n: number, max: number, name: string): number {
  if (n > max) throw new ConfigError(`${name} must be at most ${max} (got ${n})`);
  return n;
}

/** A sweep every 0 ms would spin: periodic settings have a floor. */
function atLeast(ms: number, min: number, name: string): number {
  if (ms < min) throw new ConfigError(`${name} must be at least ${min} ms (got ${ms} ms)`);
  return ms;
}

/** Where uploads live: PARLEY_UPLOADS_DIR, or the data directory's uploads/. */
export function uploadsDirOf(config: Pick<Config, 'uploadsDir' | 'dataDir'>): string {
  return config.uploadsDir ?? join(config.dataDir, 'uploads');
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
    idp: idp(env),
    webhook: webhook(env.PARLEY_WEBHOOK_URL, env.PARLEY_WEBHOOK_SECRET),
    webhookTimeoutMs: parseDuration(env.PARLEY_WEBHOOK_TIMEOUT || '5s', 'PARLEY_WEBHOOK_TIMEOUT'),
    webhookRetryMinMs: parseDuration(env.PARLEY_WEBHOOK_RETRY_MIN || '1s', 'PARLEY_WEBHOOK_RETRY_MIN'),
    webhookRetryMaxMs: parseDuration(env.PARLEY_WEBHOOK_RETRY_MAX || '10m', 'PARLEY_WEBHOOK_RETRY_MAX'),
    webhookLeaseMs: parseDuration(env.PARLEY_WEBHOOK_LEASE || '15s', 'PARLEY_WEBHOOK_LEASE'),
    webhookPollMs: parseDuration(env.PARLEY_WEBHOOK_POLL || '5s', 'PARLEY_WEBHOOK_POLL'),
    notifyAfterMs: parseDuration(env.PARLEY_NOTIFY_AFTER || '60s', 'PARLEY_NOTIFY_AFTER'),
    notificationContent: env.PARLEY_NOTIFICATION_CONTENT !== '0' && env.PARLEY_NOTIFICATION_CONTENT !== 'false',
    embeddedHome: embeddedHome(env),
    corsOrigins: corsOrigins(env.PARLEY_CORS_ORIGINS),
    corsMaxAgeSeconds: int(env.PARLEY_CORS_MAX_AGE, 'PARLEY_CORS_MAX_AGE', 600),
    storage: oneOf(env.PARLEY_STORAGE, 'PARLEY_STORAGE', ['fs', 'postgres'], 'fs'),
    uploadsDir: env.PARLEY_UPLOADS_DIR ? resolve(env.PARLEY_UPLOADS_DIR) : undefined,
    uploadTtlMs: parseDuration(env.PARLEY_UPLOAD_TTL || '24h', 'PARLEY_UPLOAD_TTL'),
    uploadSweepMs: atLeast(
      parseDuration(env.PARLEY_UPLOAD_SWEEP || '60s', 'PARLEY_UPLOAD_SWEEP'),
      100,
      'PARLEY_UPLOAD_SWEEP',
    ),
    maxAttachmentsPerMessage: atMost(
      int(env.PARLEY_MAX_ATTACHMENTS_PER_MESSAGE, 'PARLEY_MAX_ATTACHMENTS_PER_MESSAGE', 10),
      MAX_ATTACHMENT_IDS,
      'PARLEY_MAX_ATTACHMENTS_PER_MESSAGE',
    ),
    thumbnailMaxPixels: int(env.PARLEY_THUMBNAIL_MAX_PIXELS, 'PARLEY_THUMBNAIL_MAX_PIXELS', 40_000_000),
    messageRetentionMs: keepOr(env.PARLEY_MESSAGE_RETENTION, 'PARLEY_MESSAGE_RETENTION'),
    auditRetentionMs: keepOr(env.PARLEY_AUDIT_RETENTION, 'PARLEY_AUDIT_RETENTION'),
    retentionBatch: Math.max(1, int(env.PARLEY_RETENTION_BATCH, 'PARLEY_RETENTION_BATCH', 500)),
    retentionIntervalMs: parseDuration(env.PARLEY_RETENTION_INTERVAL || '10m', 'PARLEY_RETENTION_INTERVAL'),
  };
}
