// Applied on `npm install` (postinstall). postgres.js 3.4.x can call socket.write() on a socket that
// has just closed (a write queued with setImmediate, or one made from a data handler), throwing an
// uncaught TypeError that kills the process — upstream issues porsager/postgres#1066, #1154, #1208.
// Parley meets that whenever PostgreSQL restarts. Until a release fixes it, guard the write: fail the
// pending queries with CONNECTION_CLOSED (which Parley answers with 503) instead of crashing.
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
  const text = readFileSync(path, 'utf8');
  if (text.includes(MARKER)) continue;
  if (!text.includes(ORIGINAL)) {
    console.warn(`patch-postgres: ${file} has changed upstream; check whether the nextWrite guard is still needed`);
    continue;
  }
  writeFileSync(path, text.replace(ORIGINAL, GUARDED));
  patched++;
}
if (patched) console.log(`patch-postgres: guarded nextWrite in ${patched} file(s)`);
