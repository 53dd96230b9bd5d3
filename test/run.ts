/**
 * `npm test`: runs every test file with node:test against a real PostgreSQL. With TEST_DATABASE_URL
 * unset it starts an embedded PostgreSQL for the run (each test file makes its own database in it).
 * Usage: tsx test/run.ts [file-or-dir ...]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../src/db/embedded.ts';

function findTests(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((f) => {
      const p = join(path, f);
      if (statSync(p).isDirectory()) return f === 'helpers' ? [] : findTests(p);
      return f.endsWith('.test.ts') ? [p] : [];
    });
}

const args = process.argv.slice(2);
const files = (args.length ? args : ['test']).flatMap(findTests);
let embedded: EmbeddedPostgres | undefined;
let dir: string | undefined;
const env = { ...process.env };
if (!env.TEST_DATABASE_URL) {
  dir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  embedded = new EmbeddedPostgres({ dataDir: dir });
  await embedded.start();
  env.TEST_DATABASE_URL = embedded.url;
  console.log(`# embedded PostgreSQL for this run on port ${embedded.port}`);
} else {
  console.log(`# PostgreSQL from TEST_DATABASE_URL`);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '3';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=240000', ...files],
  { stdio: 'inherit', env },
);
const code: number = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
await embedded?.stop();
// For root the cluster may live outside dir (src/db/embedded-root.ts): it goes too.
if (embedded) rmSync(embedded.pgData, { recursive: true, force: true });
if (dir) rmSync(dir, { recursive: true, force: true });
process.exit(code);
