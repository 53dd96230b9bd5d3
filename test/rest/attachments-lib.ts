/** Uploading and downloading for the attachment tests (not a test file: test/run.ts only runs *.test.ts). */
import type { HttpResult } from '../helpers/server.ts';

/** POSTs `bytes` as the multipart field `field` (default `file`) named `name`. */
export async function upload(
  base: string,
  token: string,
  bytes: Uint8Array,
  name: string,
  opts: { field?: string; type?: string } = {},
): Promise<HttpResult> {
  const form = new FormData();
  form.append(
    opts.field ?? 'file',
    new Blob([new Uint8Array(bytes)], { type: opts.type ?? 'application/octet-stream' }),
    name,
  );
  const res = await fetch(new URL('/api/v1/attachments', base), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers };
}

/** GETs a path and keeps the body as bytes. */
export async function download(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: Buffer; headers: Headers; json: () => unknown }> {
  const res = await fetch(new URL(path, base), { headers, signal: AbortSignal.timeout(60_000) });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, bytes, headers: res.headers, json: () => JSON.parse(bytes.toString('utf8')) };
}
