import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import postgres from 'postgres';

export type Sql = postgres.Sql<Record<string, unknown>>;

export interface ConnectOptions {
  max?: number;
  applicationName?: string;
  /** Seconds to wait for a connection; short so that a missing database turns into 503s quickly. */
  connectTimeout?: number;
  onnotify?: (channel: string, payload: string) => void;
  onclose?: () => void;
  /** Keep the connection open while idle, so its prepared statements and plans stay warm. */
  keepIdle?: boolean;
}

/**
 * postgres.js understands sslmode but not libpq's sslrootcert/sslcert/sslkey (it would even send
 * them to the server as settings). Take them out of the URL and turn them into TLS options, so a
 * managed PostgreSQL with a private CA works with `sslmode=verify-full&sslrootcert=/path/ca.pem`.
 */
export function tlsFromUrl(url: string): { url: string; ssl?: ConnectionOptions } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url };
  }
  const q = u.searchParams;
  const root = q.get('sslrootcert');
  const cert = q.get('sslcert');
  const key = q.get('sslkey');
  if (!root && !cert && !key) return { url };
  const mode = q.get('sslmode') ?? 'verify-full';
  for (const k of ['sslrootcert', 'sslcert', 'sslkey', 'sslmode']) q.delete(k);
  const ssl: ConnectionOptions = {
    rejectUnauthorized: mode === 'verify-full' || mode === 'verify-ca',
    ...(root && root !== 'system' ? { ca: readFileSync(root) } : {}),
    ...(cert ? { cert: readFileSync(cert) } : {}),
    ...(key ? { key: readFileSync(key) } : {}),
    // verify-ca checks the chain but not the host name.
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
  };
  return { url: u.toString(), ssl };
}

/** One place that knows how Parley talks to PostgreSQL (pool and listener share it, SSL included). */
export function connect(rawUrl: string, opts: ConnectOptions = {}): Sql {
  const { url, ssl } = tlsFromUrl(rawUrl);
  return postgres(url, {
    ...(ssl ? { ssl } : {}),
    max: opts.max ?? 10,
    connect_timeout: opts.connectTimeout ?? 5,
    idle_timeout: opts.onnotify || opts.keepIdle ? undefined : 60,
    max_lifetime: opts.onnotify ? null : 60 * 30,
    onnotice: () => {},
    // postgres.js' default reconnect backoff grows towards 20 s; after a database restart that
    // would keep the node answering 503 long after PostgreSQL is back. Cap it at about a second.
    backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 1) * (0.5 + Math.random() / 2),
    connection: { application_name: opts.applicationName ?? 'parley' },
    // int8 columns (pos, seq, counts) fit in a double for any realistic lifetime of a database.
    types: {
      int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
    // The LISTEN connection runs only LISTEN and SELECT 1: skip the array-type lookup on each reconnect.
    ...(opts.onnotify ? { onnotify: opts.onnotify, fetch_types: false } : {}),
    ...(opts.onclose ? { onclose: opts.onclose } : {}),
  } as postgres.Options<Record<string, postgres.PostgresType>>) as unknown as Sql;
}

/**
 * `LIMIT n` written into the statement's text instead of sent as a parameter. With `LIMIT $1`,
 * PostgreSQL's generic plan assumes a tenth of the rows are wanted, judges itself costlier than a
 * custom plan and so plans the statement anew on every execution: 1.6–2 ms of a history page at
 * 1,000,000 rows. One prepared statement per distinct n is the price (n is small and bounded).
 */
export function limit(sql: Sql, n: number) {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`LIMIT needs a non-negative integer, got ${n}`);
  return sql.unsafe(`LIMIT ${n}`);
}
