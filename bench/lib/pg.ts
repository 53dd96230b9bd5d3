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
    // Room for 64 direct writers + the servers' pools; the rest are PostgreSQL's defaults.
    settings: { max_connections: '400' },
  });
  let stopped = false;
  await pg.start();
  const sql = connectDb(pg.url, 1);
  const [row] = await sql`SHOW server_version`;
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
