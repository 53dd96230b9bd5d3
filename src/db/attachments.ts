import type { Attachment } from '../contract/resources.ts';
import { limit, type Sql } from './client.ts';
import { LOCKS } from './locks.ts';

export interface NewAttachment {
  uploaderId: string;
  fileName: string;
  fileType: string;
  fileSize: number;
  sha256: string;
  storageKey: string;
  width: number | null;
  height: number | null;
  thumbnail: { key: string; type: string; size: number } | null;
}

/** Writes an upload's row (its bytes are stored already) and returns it as the contract's Attachment. */
export async function insertAttachment(sql: Sql, a: NewAttachment): Promise<Attachment> {
  const [row] = await sql`
    INSERT INTO attachments (uploader_id, file_name, file_type, file_size, sha256, storage_key, width, height,
                             thumbnail_key, thumbnail_type, thumbnail_size)
    VALUES (${a.uploaderId}, ${a.fileName}, ${a.fileType}, ${a.fileSize}, ${a.sha256}, ${a.storageKey}, ${a.width},
            ${a.height}, ${a.thumbnail?.key ?? null}, ${a.thumbnail?.type ?? null}, ${a.thumbnail?.size ?? null})
    RETURNING parley_attachment_json(attachments) AS j`;
  return row!.j as Attachment;
}

/** What a download needs to know of an attachment, and of the caller's standing towards it. */
export interface DownloadRow {
  uploader_id: string;
  file_name: string;
  file_type: string;
  file_size: number;
  sha256: string | null;
  storage_key: string;
  thumbnail_key: string | null;
  thumbnail_type: string | null;
  thumbnail_size: number | null;
  /** Ever attached to a message. */
  attached: boolean;
  /** Attached to a message that still exists and is not deleted. */
  message_live: boolean;
  /** The caller is a member (any role) of that message's channel now. */
  member: boolean;
}

/** One statement: the row, its message's state and the caller's membership, judged at request time. */
export async function downloadRow(sql: Sql, id: string, userId: string): Promise<DownloadRow | undefined> {
  const [row] = await sql`
    SELECT a.uploader_id, a.file_name, a.file_type, a.file_size, a.sha256, a.storage_key,
           a.thumbnail_key, a.thumbnail_type, a.thumbnail_size,
           a.attached_at IS NOT NULL AS attached,
           (m.id IS NOT NULL AND m.deleted_at IS NULL) AS message_live,
           EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = m.channel_id AND cm.user_id = ${userId}) AS member
      FROM attachments a
      LEFT JOIN channel_messages m ON m.id = a.message_id
     WHERE a.id = ${id}`;
  if (!row) return undefined;
  return {
    ...(row as unknown as DownloadRow),
    file_size: Number(row.file_size),
    thumbnail_size: row.thumbnail_size === null ? null : Number(row.thumbnail_size),
  };
}

/** The storage keys a deleted row leaves behind: the file's and its thumbnail's. */
function keysOf(rows: readonly Record<string, unknown>[]): string[] {
  return rows.flatMap((r) => [r.storage_key as string, ...(r.thumbnail_key ? [r.thumbnail_key as string] : [])]);
}

/**
 * Deletes up to `batch` rows of uploads attached to no message for longer than `ttlMs`, and of
 * attachments whose message row is gone (message_id set null by its delete, attached_at kept),
 * under the sweeper's advisory lock (undefined: another node holds it). Returns how many, and their
 * storage keys: the caller removes the bytes after this commits.
 */
export async function deleteAbandoned(
  sql: Sql,
  ttlMs: number,
  batch: number,
): Promise<{ count: number; keys: string[] } | undefined> {
  return sql.begin(async (tx) => {
    const [got] = await tx`SELECT pg_try_advisory_xact_lock(${LOCKS.uploads}) AS ok`;
    if (!got?.ok) return undefined;
    const rows = await tx`
      WITH doomed AS (
        (SELECT id FROM attachments
          WHERE message_id IS NULL AND attached_at IS NULL
            AND created_at < now() - ${`${ttlMs} milliseconds`}::interval
          ORDER BY created_at ${limit(sql, batch)})
        UNION ALL
        (SELECT id FROM attachments WHERE message_id IS NULL AND attached_at IS NOT NULL
          ORDER BY attached_at ${limit(sql, batch)})
      )
      DELETE FROM attachments a USING doomed d WHERE a.id = d.id
      RETURNING a.storage_key, a.thumbnail_key`;
    return { count: rows.length, keys: keysOf(rows) };
  });
}

export { keysOf as storageKeysOf };
