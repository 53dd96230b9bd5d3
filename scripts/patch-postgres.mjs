// Applied on `npm install` (postinstall). Two defects of postgres.js 3.4.x that Parley's fault tests
// hit, each turning a dropped connection into a process-level failure:
// 1. socket.write() on a socket that has just closed (a write queued with setImmediate, or one made
//    from a data handler) throws an uncaught TypeError — upstream porsager/postgres#1066, #1154, #1208.
//    Guarded: the pending queries fail with CONNECTION_CLOSED (Parley answers 503) instead.
// 2. The array-type lookup a new connection runs after start-up is an async call nobody awaits; if the
//    connection is terminated during it, its rejection is unhandled. Routed to the waiting query.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MARKER = 'parley: guard against a closed socket';
const ORIGINAL = 'function nextWrite(fn) {\n    const x = socket.write(chunk, fn)';
const GUARDED = `function nextWrite(fn) {
    if (!socket) { // ${MARKER}
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`;

const PATCHES = [
  { marker: MARKER, original: ORIGINAL, patched: GUARDED },
  {
    marker: 'parley: a failed type lookup fails the waiting query',
    original: '        initial.reserve && (initial = null)\n        return fetchArrayTypes()',
    patched:
      '        initial.reserve && (initial = null)\n        return fetchArrayTypes().catch(errored) // parley: a failed type lookup fails the waiting query',
  },
];

let root;
try {
  // postgres' exports map hides package.json; resolve its entry and walk up to the package root.
  root = dirname(createRequire(import.meta.url).resolve('postgres'));
  while (
    !existsSync(join(root, 'package.json')) ||
    !readFileSync(join(root, 'package.json'), 'utf8').includes('"name": "postgres"')
  ) {
    const up = dirname(root);
    if (up === root) throw new Error('postgres package root not found');
    root = up;
  }
} catch (err) {
  console.warn(`patch-postgres: ${err.message}`);
  process.exit(0);
}
let patched = 0;
for (const file of ['src/connection.js', 'cjs/src/connection.js']) {
  const path = join(root, file);
  let text = readFileSync(path, 'utf8');
  for (const p of PATCHES) {
    if (text.includes(p.marker)) continue;
    if (!text.includes(p.original)) {
      console.warn(`patch-postgres: ${file} has changed upstream; check whether "${p.marker}" is still needed`);
      continue;
    }
    text = text.replace(p.original, p.patched);
    patched++;
  }
  writeFileSync(path, text);
}
if (patched) console.log(`patch-postgres: applied ${patched} patch(es)`);
