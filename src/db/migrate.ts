import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './client.ts';
import { LOCKS } from './locks.ts';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'db', 'migrations');
export const LIVE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'db', 'live');
const LOCK_KEY = LOCKS.migrations;

/**
 * The live definitions (db/live): every function and trigger, in the order they must be created
 * (SQL functions are checked against what they call when created). Applied after the migrations.
 */
const LIVE_FILES = [
  'json',
  'event-log',
  'messages',
  'reactions',
  'members',
  'channels',
  'reports',
  'notifications',
  'triggers',
  'search',
];

export interface Live {
  revision: number;
  /** sha256 of the files, as revision.json records it (a test holds the two together). */
  sha256: string;
  files: { name: string; sql: string }[];
}

export function loadLive(dir = LIVE_DIR): Live {
  const files = LIVE_FILES.map((name) => ({ name, sql: readFileSync(join(dir, `${name}.sql`), 'utf8') }));
  const recorded = JSON.parse(readFileSync(join(dir, 'revision.json'), 'utf8')) as { revision: number; sha256: string };
  return { revision: recorded.revision, sha256: recorded.sha256, files };
}

/** The hash revision.json must record for these files. */
export function liveHash(live: Pick<Live, 'files'>): string {
  const h = createHash('sha256');
  for (const f of live.files) h.update(`${f.name}\n${f.sql}\n`);
  return h.digest('hex');
}

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
 * Applies pending migrations in order, then the live definitions if this code's revision is newer
 * than the database's (or a migration ran: one may have dropped what they define), all in one
 * transaction under an advisory lock, so that several nodes starting at once apply each migration
 * exactly once. An older release starting after a newer one changes nothing. Returns the
 * migration versions applied.
 */
export async function migrate(
  sql: Sql,
  log?: (msg: string) => void,
  /** What this code knows; tests pass a prefix (and no live definitions) for an older release. */
  migrations: Migration[] = loadMigrations(),
  live: Live | null = loadLive(),
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
    if (!live) return;
    const newest = Math.max(...done, ...applied);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    // A database a newer release has migrated is left to that release's definitions.
    if (newest > known) return;
    const [row] = await tx`SELECT value FROM parley_state WHERE key = 'live_revision'`;
    const current = row ? Number(row.value) : 0;
    if (applied.length === 0 && current >= live.revision) return;
    for (const f of live.files) await tx.unsafe(f.sql);
    await tx`
      INSERT INTO parley_state (key, value) VALUES ('live_revision', ${live.revision})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`;
    log?.(`applied live definitions, revision ${live.revision}`);
  });
  return applied;
}

/** The standalone file for psql: every migration, plus the bookkeeping `migrate` would do. */
export function bundleSql(): string {
  const parts = [
    '-- Parley schema, generated from db/migrations and db/live by `npm run sql:bundle`. Run with:',
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
  const live = loadLive();
  for (const f of live.files) parts.push(`\n-- db/live/${f.name}.sql`, f.sql.trim());
  parts.push(
    `INSERT INTO parley_state (key, value) VALUES ('live_revision', ${live.revision})`,
    '  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;',
  );
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
