import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './client.ts';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'db', 'migrations');
const LOCK_KEY = 7238461509125;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: readFileSync(join(dir, file), 'utf8'),
    }));
}

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS parley_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Applies pending migrations in order, each in its own transaction, under an advisory lock so that
 * several nodes starting at once apply each migration exactly once. Returns the versions applied.
 */
export async function migrate(
  sql: Sql,
  log?: (msg: string) => void,
  /** What this code knows; tests pass a prefix to stand in for an older release. */
  migrations: Migration[] = loadMigrations(),
): Promise<number[]> {
  const applied: number[] = [];
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx.unsafe(MIGRATIONS_TABLE);
    const done = new Set((await tx`SELECT version FROM parley_migrations`).map((r) => Number(r.version)));
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.savepoint(async (sp) => {
        await sp.unsafe(m.sql);
        await sp`INSERT INTO parley_migrations (version, name) VALUES (${m.version}, ${m.name})`;
      });
      applied.push(m.version);
      log?.(`applied migration ${m.version} ${m.name}`);
    }
  });
  return applied;
}

/** The standalone file for psql: every migration, plus the bookkeeping `migrate` would do. */
export function bundleSql(): string {
  const parts = [
    '-- Parley schema, generated from db/migrations by `npm run sql:bundle`. Run with:',
    '--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f db/parley.sql',
    '-- It is the same schema `npx parley migrate` creates, and records the same versions.',
    'BEGIN;',
    // The same lock as migrate(): a node starting meanwhile waits, then finds every version recorded.
    `DO $$ BEGIN PERFORM pg_advisory_xact_lock(${LOCK_KEY}); END $$;`,
    `${MIGRATIONS_TABLE};`,
  ];
  for (const m of loadMigrations()) {
    parts.push(`\n-- ${String(m.version).padStart(4, '0')}_${m.name}.sql`, m.sql.trim());
    parts.push(`INSERT INTO parley_migrations (version, name) VALUES (${m.version}, '${m.name}');`);
  }
  parts.push('COMMIT;', '');
  return parts.join('\n');
}

/**
 * Whether the database answers and holds every migration this code needs (a newer node may have
 * applied more; that is fine). One round trip; gives up after `timeoutMs`.
 */
export async function schemaStatus(sql: Sql, timeoutMs = 2_000): Promise<{ database: boolean; migrations: boolean }> {
  const versions = loadMigrations().map((m) => m.version);
  let timer: NodeJS.Timeout | undefined;
  try {
    const [row] = (await Promise.race([
      sql`SELECT count(*)::int AS n FROM parley_migrations WHERE version = ANY(${versions})`,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ])) as { n: number }[];
    return { database: true, migrations: row?.n === versions.length };
  } catch (err) {
    // undefined_table: the database answers, but nobody has migrated it.
    return { database: (err as { code?: string }).code === '42P01', migrations: false };
  } finally {
    clearTimeout(timer);
  }
}
