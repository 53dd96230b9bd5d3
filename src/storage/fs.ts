import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileStore } from './store.ts';

/** Storage keys are ours (random hex); anything else is refused before it becomes a path. */
const KEY = /^[0-9a-f]{32}(\.thumb)?$/;

/**
 * PARLEY_STORAGE=fs: one file per key in `dir` (two-letter subdirectories keep directories small).
 * Staged files live in `dir/.staging`, on the same filesystem, so adopting one is a rename: atomic,
 * and a half-written file is never under its key.
 */
export class FsStore implements FileStore {
  readonly kind = 'fs' as const;
  constructor(private readonly dir: string) {}

  private path(key: string): string {
    if (!KEY.test(key)) throw new Error(`not a storage key: ${key}`);
    return join(this.dir, key.slice(0, 2), key);
  }

  async adopt(path: string, key: string): Promise<void> {
    const target = this.path(key);
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    await rename(path, target);
  }

  async read(key: string, start: number, end: number): Promise<Readable> {
    const path = this.path(key);
    // Opened before the stream is returned, so a missing file is an error the caller can answer.
    await stat(path);
    return createReadStream(path, { start, end });
  }

  async remove(keys: string[]): Promise<void> {
    for (const key of keys) {
      if (KEY.test(key)) await rm(this.path(key), { force: true });
    }
  }

  /** Nothing to sweep: a file is renamed into place just before its row is written (see staging.ts for staged files). */
  async sweepLeftovers(): Promise<number> {
    return 0;
  }
}
