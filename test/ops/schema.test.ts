import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type Sql } from '../../src/db/client.ts';
import { LOCKS } from '../../src/db/locks.ts';
import { bundleSql, liveHash, loadLive, loadMigrations, migrate } from '../../src/db/migrate.ts';
import { freshDatabase, sqlClient } from '../helpers/db.ts';
import { ROOT } from './lib.ts';

const BUNDLE = join(ROOT, 'db', 'parley.sql');
const versions = loadMigrations().map((m) => m.version);

/** Everything a schema is made of, read from the catalogs, in a form two databases can be compared by. */
async function schemaOf(sql: Sql): Promise<Record<string, unknown[]>> {
  const q = async (text: string) => (await sql.unsafe(text)).map((r) => ({ ...r }));
  return {
    columns: await q(`
      SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default,
             character_maximum_length, is_identity, is_generated, generation_expression
        FROM information_schema.columns WHERE table_schema = 'public'
       ORDER BY table_name, ordinal_position`),
    tables: await q(`
      SELECT c.relname, c.relkind, c.relpersistence FROM pg_class c
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       ORDER BY c.relname`),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 2`),
    constraints: await q(`
      SELECT conrelid::regclass::text AS tbl, conname, contype, pg_get_constraintdef(oid) AS def
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`),
    triggers: await q(`
      SELECT tgrelid::regclass::text AS tbl, tgname, tgenabled, pg_get_triggerdef(oid) AS def
        FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`),
    functions: await q(`
      SELECT proname, pg_get_function_identity_arguments(oid) AS args, pg_get_functiondef(oid) AS def
        FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1, 2`),
    types: await q(`
      SELECT t.typname, t.typtype, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
        FROM pg_type t LEFT JOIN pg_enum e ON e.enumtypid = t.oid
       WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'c')
         AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)
       GROUP BY 1, 2 ORDER BY 1`),
    sequences: await q(`
      SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences
       WHERE sequence_schema = 'public' ORDER BY 1`),
    migrations: await q('SELECT version, name FROM parley_migrations ORDER BY version'),
  };
}

function psql(url: string, file: string): { status: number | null; out: string } {
  const r = spawnSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ?? ''}` };
}

describe('db/live, the one current source of every function and trigger', () => {
  test('revision.json records the hash of the files (after a change: npm run sql:bundle bumps the revision)', () => {
    const live = loadLive();
    assert.equal(live.sha256, liveHash(live));
  });

  test('no migration after 0010 defines a function or trigger: they live in db/live', () => {
    const live = loadLive()
      .files.map((f) => f.sql)
      .join('\n');
    for (const m of loadMigrations().filter((x) => x.version > 10)) {
      assert.doesNotMatch(m.sql, /CREATE\s+(OR\s+REPLACE\s+)?(TRIGGER|CONSTRAINT\s+TRIGGER)/i, m.name);
      // The one exception: a migration whose own DDL needs a function while it runs (the expression
      // of a generated column, 0018) creates that function's body of the day; db/live holds the
      // current one, which replaces it right after.
      for (const [, name] of m.sql.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)/gi)) {
        assert.match(live, new RegExp(`CREATE OR REPLACE FUNCTION ${name}\\(`), `${m.name}: ${name} is not in db/live`);
      }
    }
  });

  test("the event log's lock key is written once in SQL, and equals the one the code knows", () => {
    const all =
      loadLive()
        .files.map((f) => f.sql)
        .join('\n') +
      loadMigrations()
        .filter((m) => m.version >= 10)
        .map((m) => m.sql)
        .join('\n');
    const keys = [...all.matchAll(/pg_advisory_xact_lock\((\d+)\)/g)].map((m) => Number(m[1]));
    assert.deepEqual(keys, [LOCKS.eventLog]);
  });
});

describe('db/parley.sql, the standalone schema for psql', () => {
  test('is exactly what bundleSql() generates from db/migrations (regenerate with npm run sql:bundle)', () => {
    assert.equal(readFileSync(BUNDLE, 'utf8'), bundleSql());
  });

  test('names every migration in order', () => {
    const text = readFileSync(BUNDLE, 'utf8');
    const at = loadMigrations().map((m) => text.indexOf(`-- ${String(m.version).padStart(4, '0')}_${m.name}.sql`));
    assert.ok(
      at.every((i) => i >= 0),
      'every migration is in the file',
    );
    assert.deepEqual(
      at,
      [...at].sort((a, b) => a - b),
    );
  });

  describe('run with psql it gives the same schema as migrate()', () => {
    let viaPsql: { url: string; drop: () => Promise<void> };
    let viaMigrate: { url: string; drop: () => Promise<void> };
    let a: Sql;
    let b: Sql;
    before(async () => {
      viaPsql = await freshDatabase();
      viaMigrate = await freshDatabase();
      a = sqlClient(viaPsql.url);
      b = sqlClient(viaMigrate.url);
    });
    after(async () => {
      await a?.end({ timeout: 1 });
      await b?.end({ timeout: 1 });
      await viaPsql?.drop();
      await viaMigrate?.drop();
    });

    test('psql -v ON_ERROR_STOP=1 -f db/parley.sql succeeds on an empty database', () => {
      const r = psql(viaPsql.url, BUNDLE);
      assert.equal(r.status, 0, r.out);
    });

    test('the catalogs of both databases agree: tables, columns, indexes, constraints, triggers, functions', async () => {
      assert.deepEqual(await migrate(b), versions);
      const [x, y] = [await schemaOf(a), await schemaOf(b)];
      for (const part of Object.keys(y)) {
        assert.ok((y[part] ?? []).length > 0 || part === 'types', `the comparison reads some ${part}`);
        assert.deepEqual(x[part], y[part], `${part} differ`);
      }
      // The contract's names are there (a sanity check that we did not compare two empty schemas).
      const tables = (y.tables as { relname: string }[]).map((t) => t.relname);
      for (const t of ['users', 'channels', 'channel_members', 'channel_messages', 'message_reactions']) {
        assert.ok(tables.includes(t), t);
      }
      const fns = (y.functions as { proname: string }[]).map((f) => f.proname);
      assert.ok(fns.includes('notify_message_change') && fns.includes('notify_reaction_change'));
    });

    test('migrate() on the psql-made database has nothing to apply', async () => {
      assert.deepEqual(await migrate(a), []);
    });

    test('the psql-made database works: a plain INSERT notifies and lands in the event log', async () => {
      await a`INSERT INTO users (id) VALUES ('u1')`;
      const [ch] = await a`INSERT INTO channels (type, name, created_by) VALUES ('group', 'x', 'u1') RETURNING id`;
      const [m] = await a`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch!.id}, 'u1', 'hi')
                         RETURNING id`;
      const [e] = await a`SELECT type FROM event_log WHERE type = 'new_message' AND data->>'id' = ${m!.id as string}`;
      assert.equal(e?.type, 'new_message');
    });

    test('running the file again fails without changing anything (it is one transaction)', async () => {
      const before = await schemaOf(a);
      const r = psql(viaPsql.url, BUNDLE);
      assert.notEqual(r.status, 0);
      assert.deepEqual(await schemaOf(a), before);
    });
  });
});

describe('migrate()', () => {
  let db: { url: string; drop: () => Promise<void> };
  const conns: Sql[] = [];
  before(async () => {
    db = await freshDatabase();
  });
  after(async () => {
    for (const c of conns) await c.end({ timeout: 1 });
    await db?.drop();
  });

  test('four connections migrating one empty database at once: all succeed, each version applied once', async () => {
    for (let i = 0; i < 4; i++) conns.push(sqlClient(db.url));
    const results = await Promise.all(conns.map((c) => migrate(c)));
    // Exactly one of them applied everything; the others found it done.
    assert.deepEqual(results.map((r) => r.length).sort(), [0, 0, 0, versions.length]);
    assert.deepEqual(
      results.flat().sort((a, b) => a - b),
      versions,
    );
    const rows = await conns[0]!`SELECT version, count(*)::int AS n FROM parley_migrations GROUP BY 1 ORDER BY 1`;
    assert.deepEqual(
      rows.map((r) => [r.version, r.n]),
      versions.map((v) => [v, 1]),
    );
  });

  test('an older release left the database behind: the newer one applies only the missing migrations, in order', async () => {
    const fresh = await freshDatabase();
    const sql = sqlClient(fresh.url);
    try {
      const all = loadMigrations();
      const older = all.slice(0, Math.max(1, all.length - 2));
      // An older release carries the definitions of its own time: its migrations, no db/live.
      assert.deepEqual(
        await migrate(sql, undefined, older, null),
        older.map((m) => m.version),
      );
      const logged: string[] = [];
      assert.deepEqual(
        await migrate(sql, (m) => logged.push(m), all),
        all.slice(older.length).map((m) => m.version),
      );
      assert.deepEqual(logged, [
        ...all.slice(older.length).map((m) => `applied migration ${m.version} ${m.name}`),
        `applied live definitions, revision ${loadLive().revision}`,
      ]);
      assert.deepEqual(await migrate(sql), []);
      // And an older node starting after the upgrade finds nothing to do either.
      assert.deepEqual(await migrate(sql, undefined, older, null), []);
      // Nor does it put its own definitions back over the newer ones (here: this release's, as if older).
      const before = await sql`SELECT pg_get_functiondef('parley_flush_batch'::regproc) AS def`;
      const quiet: string[] = [];
      await migrate(sql, (m) => quiet.push(m), older);
      assert.deepEqual(quiet, []);
      assert.deepEqual(await sql`SELECT pg_get_functiondef('parley_flush_batch'::regproc) AS def`, before);
    } finally {
      await sql.end({ timeout: 1 });
      await fresh.drop();
    }
  });

  test('a failing migration leaves nothing half-applied', async () => {
    const fresh = await freshDatabase();
    const sql = sqlClient(fresh.url);
    try {
      // A table in the way of migration 1 makes it fail part-way.
      await sql`CREATE TABLE direct_messages (x int)`;
      await assert.rejects(migrate(sql));
      const [t] = await sql`SELECT to_regclass('users') AS users, to_regclass('parley_migrations') AS m`;
      assert.equal(t!.users, null, 'the tables created before the failure were rolled back');
      assert.equal(t!.m, null);
    } finally {
      await sql.end({ timeout: 1 });
      await fresh.drop();
    }
  });
});

describe('db/parley.sql and a node starting at the same moment', () => {
  test('they take the same lock: a node migrating while psql runs the file waits, then has nothing to do', async () => {
    const db = await freshDatabase();
    const sql = sqlClient(db.url);
    const blocker = sqlClient(db.url);
    const waiting = async (app: string) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const [r] = await blocker`SELECT count(*)::int AS n FROM pg_stat_activity
                                   WHERE datname = current_database() AND application_name = ${app}
                                     AND wait_event_type = 'Lock'`;
        if (r!.n > 0) return;
        if (Date.now() > deadline) throw new Error(`${app} never waited on a lock`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      // Hold psql in the middle of the file, after it has taken its lock: an uncommitted table of the
      // name the first migration creates first.
      const table = /CREATE TABLE (\w+)/.exec(loadMigrations()[0]!.sql)![1]!;
      let release!: () => void;
      const held = blocker.begin(async (tx) => {
        await tx.unsafe(`CREATE TABLE ${table} (x int)`);
        await new Promise<void>((r) => {
          release = r;
        });
        throw new Error('rollback');
      });
      held.catch(() => {});
      while (!release) await new Promise((r) => setTimeout(r, 10));
      const psqlDone = new Promise<number | null>((resolve) => {
        const child = spawn('psql', [db.url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', BUNDLE], {
          stdio: 'ignore',
          env: { ...process.env, PGAPPNAME: 'parley-bundle-test' },
        });
        child.once('exit', (code) => resolve(code));
      });
      await waiting('parley-bundle-test');
      // Now a node starts: its migrate() must wait for psql and then find every version recorded.
      const node = connect(db.url, { max: 1, applicationName: 'parley-node-test' });
      const migrated = migrate(node).finally(() => node.end({ timeout: 1 }));
      await waiting('parley-node-test');
      release();
      assert.equal(await psqlDone, 0);
      assert.deepEqual(await migrated, []);
      const [n] = await sql`SELECT count(*)::int AS n FROM parley_migrations`;
      assert.equal(n!.n, versions.length);
    } finally {
      await sql.end({ timeout: 1 });
      await blocker.end({ timeout: 1 });
      await db.drop();
    }
  });
});
