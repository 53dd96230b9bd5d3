/**
 * `npm start` runs this first (prestart): builds the chat UI into web/dist when it is missing or
 * older than its sources (web/, sdk/), and does nothing (in a few milliseconds) otherwise.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const INDEX = join(ROOT, 'web', 'dist', 'index.html');
const SOURCES = [join(ROOT, 'web'), join(ROOT, 'sdk')];
const SKIP = new Set(['dist', 'node_modules']);

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (SKIP.has(name) || name.startsWith('.')) continue;
    max = Math.max(max, newest(join(path, name)));
  }
  return max;
}

export function webIsStale(): boolean {
  if (!existsSync(INDEX)) return true;
  const built = statSync(INDEX).mtimeMs;
  return SOURCES.some((dir) => existsSync(dir) && newest(dir) > built);
}

export async function buildWeb(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
}

/** Builds when stale; returns whether it built. */
export async function buildWebIfStale(): Promise<boolean> {
  if (!webIsStale()) return false;
  await buildWeb();
  return true;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  try {
    if (await buildWebIfStale()) console.log(`web UI built into web/dist in ${Date.now() - started} ms`);
  } catch (err) {
    // The API works without the UI: say why the page is missing, and start anyway.
    console.error(`web UI build failed (the server starts without it): ${(err as Error).message}`);
  }
}
