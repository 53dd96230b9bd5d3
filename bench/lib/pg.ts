import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { EmbeddedPostgres } from '../../src/db/embedded.ts';

export type Sql = postgres.Sql<Record<string, unknown>>;

export interface BenchDb {
  url: string;
  version: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** The embedded PostgreSQL 18 that ships with Parley, on a data directory of the bench's own. */
export async function startPostgres(dataDir: string, logDir: string): Promise<BenchDb> {
  const logFile = join(logDir, 'postgres.log');
  const pg = new EmbeddedPostgres({
    dataDir,
    log: (line) => appendFileSync(logFile, `${line}\n`),
    // Room for 64 direct writers + the servers' pools; pg_stat_statements to say which statements a
    // phase spent its database time on (same small overhead for Parley and the baselines).
    // Checkpoints and autovacuum runs are logged, to explain a stall seen in a phase.
    settings: {
      max_connections: '400',
      shared_preload_libraries: 'pg_stat_statements',
      log_checkpoints: 'on',
      log_autovacuum_min_duration: '0',
    },
  });
  let stopped = false;
  await pg.start();
  const sql = connectDb(pg.url, 1);
  const [row] = await sql`SHOW server_version`;
  await sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`;
  await sql.end();
  return {
    url: pg.url,
    version: String(row!.server_version),
    pid: pg.pid,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}

export function connectDb(url: string, max = 4): Sql {
  return postgres(url, {
    max,
    onnotice: () => {},
    connection: { application_name: 'parley-bench' },
    types: {
      int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
  } as postgres.Options<Record<string, postgres.PostgresType>>) as unknown as Sql;
}

export async function resetStatements(sql: Sql): Promise<void> {
  await sql`SELECT pg_stat_statements_reset()`;
}

/** The statements that took the most database time since the last reset (all clients). */
export async function topStatements(sql: Sql, n = 8) {
  const rows = await sql`
    SELECT calls::float8 AS calls, round(total_exec_time::numeric, 1)::float8 AS total_ms,
           round(mean_exec_time::numeric, 3)::float8 AS mean_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query
      FROM pg_stat_statements
     WHERE query NOT ILIKE '%pg_stat_statements%'
     ORDER BY total_exec_time DESC LIMIT ${n}`;
  return rows.map((r) => ({ calls: r.calls, total_ms: r.total_ms, mean_ms: r.mean_ms, query: r.query }));
}
