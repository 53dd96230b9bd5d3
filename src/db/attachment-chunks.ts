import type { Sql } from './client.ts';

/** One chunk of a file stored in the database (PARLEY_STORAGE=postgres). */
export interface Chunk {
  n: number;
  start: number;
  bytes: Buffer;
}

export async function insertChunk(sql: Sql, key: string, chunk: Chunk): Promise<void> {
  await sql`
    INSERT INTO attachment_chunks (storage_key, n, start_at, bytes)
    VALUES (${key}, ${chunk.n}, ${chunk.start}, ${chunk.bytes})`;
}

/** The chunk holding byte `offset` of the file, or undefined. */
export async function chunkAt(sql: Sql, key: string, offset: number): Promise<Chunk | undefined> {
  const [row] = await sql`
    SELECT n, start_at, bytes FROM attachment_chunks
     WHERE storage_key = ${key} AND start_at <= ${offset}
     ORDER BY n DESC LIMIT 1`;
  return row ? { n: row.n as number, start: Number(row.start_at), bytes: row.bytes as Buffer } : undefined;
}

/** Chunk `n` of the file, or undefined past its end. */
export async function chunkNumber(sql: Sql, key: string, n: number): Promise<Chunk | undefined> {
  const [row] = await sql`
    SELECT n, start_at, bytes FROM attachment_chunks WHERE storage_key = ${key} AND n = ${n}`;
  return row ? { n: row.n as number, start: Number(row.start_at), bytes: row.bytes as Buffer } : undefined;
}

export async function deleteChunks(sql: Sql, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await sql`DELETE FROM attachment_chunks WHERE storage_key = ANY(${keys}::text[])`;
}

/**
 * Chunks that no attachment names (an upload that failed between its chunks and its row, or a
 * node that died there), older than `olderThanMs`. A thumbnail's key is its file's key + ".thumb".
 */
export async function deleteOrphanChunks(sql: Sql, olderThanMs: number): Promise<number> {
  const rows = await sql`
    DELETE FROM attachment_chunks c
     WHERE c.created_at < now() - ${`${olderThanMs} milliseconds`}::interval
       AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.storage_key = split_part(c.storage_key, '.', 1))
    RETURNING 1`;
  return rows.length;
}
