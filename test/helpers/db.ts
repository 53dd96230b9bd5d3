import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import postgres from 'postgres';
import { connect, type Sql } from '../../src/db/client.ts';

export function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

/**
 * A database of its own for one test file, so files run in parallel without seeing each other.
 * `options` are CREATE DATABASE options, e.g. an ICU collation.
 */
export async function freshDatabase(options = ''): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `parley_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name} ${options}`);
  await admin.end();
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    url,
    drop: async () => {
      const a = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await a.end();
    },
  };
}

/** A plain connection, as "another program" writing the tables with SQL would have. */
export function sqlClient(url: string): Sql {
  return connect(url, { max: 4, applicationName: 'test-sql-writer' });
}

/**
 * A fresh database and a plain SQL client on it for the suite this is called in (or the file, at top
 * level): made before its tests, dropped after them. Read `url` and `sql` inside tests and hooks.
 */
export function databaseForSuite(): { readonly url: string; readonly sql: Sql } {
  let db: { url: string; drop: () => Promise<void> } | undefined;
  let sql: Sql | undefined;
  before(async () => {
    db = await freshDatabase();
    sql = sqlClient(db.url);
  });
  after(async () => {
    await sql?.end({ timeout: 1 });
    await db?.drop();
  });
  return {
    get url() {
      if (!db) throw new Error('databaseForSuite: read url inside a test or hook');
      return db.url;
    },
    get sql() {
      if (!sql) throw new Error('databaseForSuite: read sql inside a test or hook');
      return sql;
    },
  };
}
