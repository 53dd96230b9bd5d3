/**
 * `parley doctor` leaves no trace: every row of every table of the schema is as it was before it ran
 * (its user, channel, message and the events they made included), no file is written, and a user
 * of the host's that happens to be called like the doctor's is left alone.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Sql } from '../../src/db/client.ts';
import { databaseForSuite } from '../helpers/db.ts';
import { cleanEnv, runCli } from './lib.ts';

/** Each table of the schema with its rows, as text, in a stable order. */
async function snapshot(sql: Sql): Promise<Record<string, string[]>> {
  const tables = await sql`
    SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`;
  const out: Record<string, string[]> = {};
  for (const { table_name: t } of tables) {
    const rows = await sql.unsafe(`SELECT x::text AS row FROM "${String(t).replaceAll('"', '""')}" x`);
    out[t as string] = rows.map((r) => r.row as string).sort();
  }
  return out;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('parley doctor cleans up after itself', () => {
  const db = databaseForSuite();

  test('every table holds exactly the rows it held before, and no file is written', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'parley-doctor-')), 'never-made');
    dirs.push(join(dataDir, '..'));
    const env = cleanEnv({ DATABASE_URL: db.url, PARLEY_DATA_DIR: dataDir });
    const migrated = await runCli(['migrate'], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    // Some data of the host's, including a user named as the doctor used to name its own.
    await db.sql`INSERT INTO users (id, name) VALUES ('alice', 'Alice'), ('parley-doctor', 'A real user')`;
    await db.sql`INSERT INTO channels (type, name, created_by) VALUES ('group', 'existing', 'alice')`;
    const before = await snapshot(db.sql);
    assert.ok(Object.keys(before).length > 10, 'the schema has its tables');

    for (let run = 0; run < 2; run++) {
      const r = await runCli(['doctor'], env);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /4\/4 checks passed/);
    }
    const afterRuns = await snapshot(db.sql);
    for (const t of Object.keys(before)) {
      assert.deepEqual(afterRuns[t], before[t], `table ${t} is as it was`);
    }
    assert.deepEqual(Object.keys(afterRuns), Object.keys(before), 'no table added or dropped');
    assert.equal(existsSync(dataDir), false, 'with DATABASE_URL doctor writes no data directory');
  });
});
