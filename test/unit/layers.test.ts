/**
 * The layers of ARCHITECTURE.md, held: an import only points down, and SQL text stays in src/db
 * (and src/realtime, src/doctor.ts: the log readers, presence and the checks that read the catalog).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

/** Folders each folder may not import from. */
const ABOVE: Record<string, string[]> = {
  db: ['chat', 'http', 'transports', 'realtime'],
  contract: ['chat', 'http', 'transports', 'realtime', 'db'],
  realtime: ['chat', 'http', 'transports'],
  chat: ['http', 'transports'],
  transports: ['http'],
  storage: ['chat', 'http', 'transports', 'realtime'],
};

test('imports only point down the layers', () => {
  const wrong: string[] = [];
  for (const file of files(SRC)) {
    const layer = relative(SRC, file).split('/')[0]!;
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = relative(SRC, join(file, '..', m[1]!)).split('/')[0]!;
      if (ABOVE[layer]?.includes(target)) wrong.push(`${relative(SRC, file)} imports ${m[1]}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no SQL under src/http, src/chat or src/transports', () => {
  const wrong = files(SRC)
    .filter((f) => /\/(http|chat|transports)\//.test(f))
    .filter((f) => /\bsql`|\.unsafe\(|\btx`/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(SRC, f));
  assert.deepEqual(wrong, []);
});
