import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  type Chunk,
  chunkAt,
  chunkNumber,
  deleteChunks,
  deleteOrphanChunks,
  insertChunk,
} from '../db/attachment-chunks.ts';
import type { Sql } from '../db/client.ts';
import type { FileStore } from './store.ts';

/** Small enough that a row is never huge and a range reads little past what it asked for. */
const CHUNK_BYTES = 256 * 1024;

/**
 * PARLEY_STORAGE=postgres: files as chunks in attachment_chunks, so every node serves every file
 * and a database backup holds them. Each chunk is its own short statement: an upload never holds a
 * connection (or a transaction) for as long as it streams; its row is written only after the last
 * chunk, and chunks no row names are swept.
 */
export class PostgresStore implements FileStore {
  readonly kind = 'postgres' as const;
  constructor(private readonly sql: Sql) {}

  async adopt(path: string, key: string): Promise<void> {
    try {
      let n = 0;
      let start = 0;
      for await (const bytes of createReadStream(path, { highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
        await insertChunk(this.sql, key, { n, start, bytes });
        n++;
        start += bytes.length;
      }
      // An empty file is one empty chunk, so "no chunks" always means "no such file".
      if (n === 0) await insertChunk(this.sql, key, { n: 0, start: 0, bytes: Buffer.alloc(0) });
    } catch (err) {
      await deleteChunks(this.sql, [key]).catch(() => {});
      throw err;
    } finally {
      await rm(path, { force: true });
    }
  }

  async read(key: string, start: number, end: number): Promise<Readable> {
    const sql = this.sql;
    const first = await chunkAt(sql, key, start);
    if (!first) throw Object.assign(new Error(`no chunks for ${key}`), { code: 'ENOENT' });
    // One chunk in memory at a time, fetched as the client takes the previous one.
    async function* bytes(): AsyncGenerator<Buffer> {
      let chunk: Chunk | undefined = first;
      while (chunk && chunk.start <= end) {
        const from = Math.max(0, start - chunk.start);
        const to = Math.min(chunk.bytes.length, end - chunk.start + 1);
        if (to > from) yield chunk.bytes.subarray(from, to);
        chunk = await chunkNumber(sql, key, chunk.n + 1);
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }

  async remove(keys: string[]): Promise<void> {
    await deleteChunks(this.sql, keys);
  }

  sweepLeftovers(olderThanMs: number): Promise<number> {
    return deleteOrphanChunks(this.sql, olderThanMs);
  }
}
