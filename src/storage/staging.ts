import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface Staged {
  path: string;
  size: number;
  /** Hex SHA-256 of the bytes, computed as they streamed past. */
  sha256: string;
}

/** Raised when the source passed its limit: whatever was staged is already deleted. */
export class TooLarge extends Error {}
/** Raised when the source failed (a malformed multipart body, a client gone mid-upload). */
export class BrokenUpload extends Error {}

/**
 * Streams an upload into a new file of `dir`, hashing and counting on the way; memory holds one
 * chunk at a time. `source` is a multipart file stream: it emits `limit` when it passes its size
 * limit, which stops the copy at once (the rest of the request is not read) and deletes the file.
 */
export async function stage(source: Readable, dir: string): Promise<Staged> {
  const path = join(dir, `${randomBytes(16).toString('hex')}.part`);
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  let tooLarge = false;
  let broken = false;
  source.once('error', () => {
    broken = true;
  });
  source.once('limit', () => {
    tooLarge = true;
    meter.destroy(new TooLarge('over the size limit'));
  });
  await mkdir(dir, { recursive: true });
  try {
    // Destroyed already (the body ended mid-part while the request waited): pipeline would wait
    // for ever on a stream that will never emit again.
    if (source.destroyed) throw new BrokenUpload('the upload was cut off');
    await pipeline(source, meter, createWriteStream(path, { flags: 'wx' }));
    if ((source as Readable & { truncated?: boolean }).truncated) throw new TooLarge('over the size limit');
  } catch (err) {
    await rm(path, { force: true });
    if (tooLarge) throw new TooLarge('over the size limit');
    const premature = (err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE';
    if (broken || premature || err instanceof BrokenUpload) throw new BrokenUpload((err as Error).message);
    throw err;
  }
  return { path, size, sha256: hash.digest('hex') };
}

/** A fresh name for a derived file (a thumbnail) in the staging directory. */
export function stagedName(dir: string, suffix: string): string {
  return join(dir, `${randomBytes(16).toString('hex')}${suffix}`);
}

/** Staged files left by uploads that never finished (a node killed mid-upload), older than `olderThanMs`. */
export async function sweepStaged(dir: string, olderThanMs: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const path = join(dir, name);
    const s = await stat(path).catch(() => undefined);
    if (s && Date.now() - s.mtimeMs > olderThanMs) {
      await rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}
