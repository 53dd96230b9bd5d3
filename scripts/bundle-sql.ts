/** Writes db/parley.sql: the whole schema as one file a DBA can run with psql. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleSql, MIGRATIONS_DIR } from '../src/db/migrate.ts';

const out = join(MIGRATIONS_DIR, '..', 'parley.sql');
writeFileSync(out, bundleSql());
console.log(`wrote ${out}`);
