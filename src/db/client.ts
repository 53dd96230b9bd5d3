import postgres from 'postgres';

export type Sql = postgres.Sql<Record<string, unknown>>;

export interface ConnectOptions {
  max?: number;
  applicationName?: string;
  /** Seconds to wait for a connection; short so that a missing database turns into 503s quickly. */
  connectTimeout?: number;
  onnotify?: (channel: string, payload: string) => void;
  onclose?: () => void;
}

/** One place that knows how Parley talks to PostgreSQL (pool and listener share it, SSL included). */
export function connect(url: string, opts: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    connect_timeout: opts.connectTimeout ?? 5,
    idle_timeout: opts.onnotify ? undefined : 60,
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
    ...(opts.onnotify ? { onnotify: opts.onnotify } : {}),
    ...(opts.onclose ? { onclose: opts.onclose } : {}),
  } as postgres.Options<Record<string, postgres.PostgresType>>) as unknown as Sql;
}
