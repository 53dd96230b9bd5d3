import { ParleyError } from './errors.ts';
import type { Attachment } from './types.ts';

export interface UploadOptions {
  /** The name shown for the file (default: a File's own name, else "file"). */
  fileName?: string;
  /** Called as bytes go out: `loaded` of `total` bytes of the file. */
  onProgress?: (progress: { loaded: number; total: number }) => void;
  signal?: AbortSignal;
}

interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: unknown): void;
  abort(): void;
  upload: { onprogress: ((e: { loaded: number; total: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  status: number;
  responseText: string;
  getResponseHeader(name: string): string | null;
}

/** Bytes handed to the connection per read, so progress moves in steps of this. */
const SLICE = 64 * 1024;

const nameOf = (file: Blob, opts: UploadOptions) =>
  opts.fileName ?? ((file as Blob & { name?: string }).name || 'file');

/**
 * POST /attachments with the file as the multipart field `file`. In a browser, XMLHttpRequest (the
 * one API that reports upload progress); elsewhere a streamed fetch body whose reads are counted.
 * Neither reads the file into memory.
 */
export async function uploadFile(
  baseUrl: string,
  token: string,
  fetchImpl: typeof fetch,
  file: Blob,
  opts: UploadOptions = {},
): Promise<Attachment> {
  const url = `${baseUrl}/api/v1/attachments`;
  const name = nameOf(file, opts);
  const XHR = (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
  if (XHR) return viaXhr(XHR, url, token, file, name, opts);
  const boundary = `parley-${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const safe = name.replace(/["\r\n\\]/g, '_');
  const head = new TextEncoder().encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safe}"\r\n` +
      `Content-Type: ${file.type || 'application/octet-stream'}\r\n\r\n`,
  );
  const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
  const reader = file.stream().getReader();
  let loaded = 0;
  let stage = 0;
  let pending: Uint8Array | undefined;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (stage === 0) {
        stage = 1;
        controller.enqueue(head);
        return;
      }
      if (stage === 1) {
        if (!pending?.length) {
          const { done, value } = await reader.read();
          pending = done ? undefined : value;
        }
        if (pending) {
          // At most a slice at a time: a Blob in memory may come as one chunk, and progress
          // should move as the bytes go out, not jump from 0 to all.
          const piece = pending.subarray(0, SLICE);
          pending = pending.subarray(piece.length);
          loaded += piece.length;
          opts.onProgress?.({ loaded, total: file.size });
          controller.enqueue(piece);
          return;
        }
        stage = 2;
      }
      controller.enqueue(tail);
      controller.close();
    },
    cancel: (reason) => reader.cancel(reason),
  });
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
      signal: opts.signal,
      duplex: 'half',
    } as RequestInit);
  } catch (err) {
    throw ParleyError.network(err);
  }
  if (!res.ok) throw await ParleyError.fromResponse(res);
  return (await res.json()) as Attachment;
}

function viaXhr(
  XHR: new () => XhrLike,
  url: string,
  token: string,
  file: Blob,
  name: string,
  opts: UploadOptions,
): Promise<Attachment> {
  return new Promise((resolve, reject) => {
    const xhr = new XHR();
    xhr.open('POST', url);
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => opts.onProgress?.({ loaded: Math.min(e.loaded, file.size), total: file.size });
    xhr.onload = () => {
      const res = new Response(xhr.responseText, {
        status: xhr.status,
        headers: { 'retry-after': xhr.getResponseHeader('retry-after') ?? '' },
      });
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as Attachment);
      else ParleyError.fromResponse(res).then(reject, reject);
    };
    xhr.onerror = () => reject(ParleyError.network(new Error('the upload failed')));
    xhr.onabort = () => reject(ParleyError.network(new Error('the upload was aborted')));
    opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append('file', file, name);
    xhr.send(form);
  });
}
