import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { fileTypeFromFile } from 'file-type';
import type { Attachment } from '../contract/resources.ts';
import { downloadRow, insertAttachment } from '../db/attachments.ts';
import { ApiError, forbidden, invalid, notFound } from '../errors.ts';
import { describeImage, isRaster, THUMBNAIL_TYPE } from '../storage/images.ts';
import { BrokenUpload, stage, stagedName, TooLarge } from '../storage/staging.ts';
import type { FileStore } from '../storage/store.ts';
import type { Actor } from './actor.ts';
import type { Chat } from './context.ts';
import { userOf } from './place.ts';

/** What uploads need of the node (PARLEY_STORAGE, PARLEY_MAX_UPLOAD_BYTES, …). */
export interface Uploads {
  readonly store: FileStore;
  /** A local directory for uploads in progress (on the same filesystem as an fs store). */
  readonly stagingDir: string;
  readonly maxBytes: number;
  readonly maxPerMessage: number;
  readonly thumbnailMaxPixels: number;
}

/** One file part of a multipart request, as the transport received it. */
export interface IncomingFile {
  field: string;
  fileName: string;
  stream: Readable;
}

/** Most characters of a kept file name (the column's limit). */
export const MAX_FILE_NAME = 255;

/**
 * A file name for display only: never a path (the store names files by random keys). Directories
 * a browser may send are cut, control and bidirectional-override characters (which can make
 * "gpj.exe" read as "exe.jpg") are removed, and a long name keeps its extension.
 */
export function displayName(raw: string | undefined): string {
  let name = (raw ?? '').normalize('NFC');
  name = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  name = name.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '');
  name = name.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '').trim();
  if (name === '' || name === '.' || name === '..') name = 'file';
  const chars = [...name];
  if (chars.length <= MAX_FILE_NAME) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? [...name.slice(dot)] : [];
  const keep = ext.length > 0 && ext.length <= 16 ? ext : [];
  return chars.slice(0, MAX_FILE_NAME - keep.length).join('') + keep.join('');
}

/**
 * Takes an upload: one multipart field `file`, streamed to a staged file (hashed on the way; past
 * the size limit refused at once with nothing kept), its type sniffed from its bytes, an image
 * measured and given a thumbnail, then handed to the store and recorded. `receive` is called only
 * after the rate limit allows the upload, so a refused one reads no body.
 */
export async function uploadAttachment(
  chat: Chat,
  actor: Actor,
  receive: () => Promise<IncomingFile | undefined>,
): Promise<Attachment> {
  const userId = userOf(actor);
  chat.limits.take(actor, 'upload');
  const { store, stagingDir, maxBytes, thumbnailMaxPixels } = chat.uploads;
  const part = await receive();
  if (!part) throw invalid('file', 'Send the file as the multipart field "file".');
  if (part.field !== 'file') {
    part.stream.resume();
    throw invalid('file', `Send the file as the multipart field "file" (got "${part.field.slice(0, 40)}").`);
  }
  let staged: Awaited<ReturnType<typeof stage>>;
  try {
    staged = await stage(part.stream, stagingDir);
  } catch (err) {
    if (err instanceof TooLarge) {
      throw new ApiError('payload_too_large', `The file is larger than the limit of ${maxBytes} bytes.`, 'file');
    }
    if (err instanceof BrokenUpload) throw invalid('file', 'The upload was cut off or is not valid multipart.');
    throw err;
  }
  const thumbPath = stagedName(stagingDir, '.thumb');
  const key = randomBytes(16).toString('hex');
  const stored: string[] = [];
  try {
    // Sniffed from the bytes; what the client claims is never used. Unknown bytes are just bytes.
    const fileType = (await fileTypeFromFile(staged.path))?.mime ?? 'application/octet-stream';
    const image = isRaster(fileType) ? await describeImage(staged.path, thumbnailMaxPixels, thumbPath) : undefined;
    await store.adopt(staged.path, key, staged.size);
    stored.push(key);
    let thumbnail: { key: string; type: string; size: number } | null = null;
    if (image?.thumbnailSize !== undefined) {
      await store.adopt(thumbPath, `${key}.thumb`, image.thumbnailSize);
      stored.push(`${key}.thumb`);
      thumbnail = { key: `${key}.thumb`, type: THUMBNAIL_TYPE, size: image.thumbnailSize };
    }
    return await insertAttachment(chat.sql, {
      uploaderId: userId,
      fileName: displayName(part.fileName),
      fileType,
      fileSize: staged.size,
      sha256: staged.sha256,
      storageKey: key,
      width: image?.width ?? null,
      height: image?.height ?? null,
      thumbnail,
    });
  } catch (err) {
    await store.remove(stored).catch(() => {});
    throw err;
  } finally {
    await rm(staged.path, { force: true });
    await rm(thumbPath, { force: true });
  }
}

/** Served as themselves and shown inline: pictures, sound and film a browser only displays. */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif|bmp|tiff|x-icon|apng)|audio\/[\w.+-]+|video\/[\w.+-]+)$/;
/** Types a browser could run as a page or a script: served as bytes, whatever was sniffed. */
const EXECUTABLE = /html|xml|svg|javascript|ecmascript|^text\/|wasm|shockwave|x-msdownload|java-vm/;

/** How to serve a stored type: the Content-Type, and whether it may be shown inline. */
export function servedAs(fileType: string): { contentType: string; inline: boolean } {
  if (INLINE.test(fileType)) return { contentType: fileType, inline: true };
  if (EXECUTABLE.test(fileType)) return { contentType: 'application/octet-stream', inline: false };
  return { contentType: fileType, inline: false };
}

/** The bytes, or 404 if the store has lost them (removed by an erasure or a sweep meanwhile). */
async function readOrGone(store: FileStore, key: string, start: number, end: number): Promise<Readable> {
  try {
    return await store.read(key, start, end);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw notFound('Attachment');
    throw err;
  }
}

/** A file the caller may download, and how to read it. */
export interface Download {
  contentType: string;
  inline: boolean;
  fileName: string;
  size: number;
  /** The entity tag: the bytes' SHA-256 (a thumbnail's is derived from its file's). */
  etag: string;
  open(start: number, end: number): Promise<Readable>;
}

/**
 * An attachment's bytes, for the uploader and for members (now) of the channel whose message carries
 * it: 404 if unknown, 403 for anyone else. A file whose message was deleted (or is gone) is served
 * to nobody: 404, as if it were gone (its bytes stay for moderation until the sweeper or an erasure).
 */
export async function openAttachment(
  chat: Chat,
  actor: Actor,
  id: string,
  opts: { thumbnail: boolean },
): Promise<Download> {
  const userId = userOf(actor);
  const row = await downloadRow(chat.sql, id, userId);
  if (!row) throw notFound('Attachment');
  if (row.attached) {
    if (!row.message_live) throw notFound('Attachment');
    if (row.uploader_id !== userId && !row.member) {
      throw forbidden('Only members of the channel where it was sent may download this file.');
    }
  } else if (row.uploader_id !== userId) {
    throw forbidden('Only its uploader may download a file not yet sent.');
  }
  const { store } = chat.uploads;
  const etag = row.sha256 ?? id;
  if (opts.thumbnail) {
    if (!row.thumbnail_key) throw notFound('Thumbnail');
    const key = row.thumbnail_key;
    return {
      contentType: row.thumbnail_type ?? THUMBNAIL_TYPE,
      inline: true,
      fileName: `${row.file_name.replace(/\.[^.]*$/, '')}.webp`,
      size: row.thumbnail_size ?? 0,
      etag: `${etag}-thumb`,
      open: (start, end) => readOrGone(store, key, start, end),
    };
  }
  const served = servedAs(row.file_type);
  const key = row.storage_key;
  return {
    ...served,
    fileName: row.file_name,
    size: row.file_size,
    etag,
    open: (start, end) => readOrGone(store, key, start, end),
  };
}
