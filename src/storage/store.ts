import type { Readable } from 'node:stream';

/**
 * Where attachments' bytes live (PARLEY_STORAGE). An upload is first staged as a local file (so
 * its type can be sniffed and an image measured without holding it in memory) and only then given
 * to the store under a fresh key: a reader never sees a partial file, whichever store it is.
 */
export interface FileStore {
  readonly kind: 'fs' | 'postgres';
  /** Takes the finished staged file at `path` and keeps it as `key`; the staged file is gone after. */
  adopt(path: string, key: string, size: number): Promise<void>;
  /** Bytes `start` to `end` (inclusive) of `key`; `end` is below the file's size. */
  read(key: string, start: number, end: number): Promise<Readable>;
  /** Deletes the files (keys that are already gone are no error). */
  remove(keys: string[]): Promise<void>;
  /** Deletes what an interrupted upload or a crashed node may have left, older than `olderThanMs`. */
  sweepLeftovers(olderThanMs: number): Promise<number>;
}
