/**
 * `npm run sql:bundle`: after a change to db/live, records the new revision (the database applies
 * live definitions whose revision is newer than its own), then writes db/parley.sql, the whole
 * schema as one file a DBA can run with psql.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleSql, LIVE_DIR, liveHash, loadLive, MIGRATIONS_DIR } from '../src/db/migrate.ts';

const live = loadLive();
const sha256 = liveHash(live);
const file = join(LIVE_DIR, 'revision.json');
const recorded = JSON.parse(readFileSync(file, 'utf8')) as { revision: number; sha256?: string };
if (recorded.sha256 !== sha256) {
  const revision = recorded.sha256 ? recorded.revision + 1 : recorded.revision;
  writeFileSync(file, `${JSON.stringify({ revision, sha256 }, null, 2)}\n`);
  console.log(`db/live changed: revision ${revision}`);
}
const out = join(MIGRATIONS_DIR, '..', 'parley.sql');
writeFileSync(out, bundleSql());
console.log(`wrote ${out}`);
