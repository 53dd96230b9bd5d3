/** An attachment as the server returns it (v1.1: hashes, image sizes, thumbnails). */
export interface Attachment {
  id: string;
  file_url: string;
  file_name: string;
  file_type: string;
  file_size: number;
  sha256?: string;
  width?: number | null;
  height?: number | null;
  thumbnail_url?: string | null;
}

/**
 * Uploads one file (`POST /api/v1/attachments`, multipart field `file`). XMLHttpRequest rather than
 * fetch: only it reports upload progress in every browser.
 */
export function uploadFile(
  token: string,
  file: File,
  onProgress: (fraction: number) => void,
): { done: Promise<Attachment>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Attachment>((resolve, reject) => {
    xhr.open('POST', new URL('/api/v1/attachments', location.origin));
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: { error?: { message?: string } } & Partial<Attachment> = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: the status says enough
      }
      if (xhr.status >= 200 && xhr.status < 300 && body.id) resolve(body as Attachment);
      else reject(new Error(body.error?.message ?? `Upload failed (HTTP ${xhr.status}).`));
    };
    xhr.onerror = () => reject(new Error('Upload failed: the network is down.'));
    xhr.onabort = () => reject(new Error('Upload cancelled.'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/** `/api/v1/attachments/…` with the token in the query, so that `<img src>` and links work. */
export function withToken(url: string, token: string): string {
  const u = new URL(url, location.origin);
  u.searchParams.set('access_token', token);
  return u.pathname + u.search;
}

export function fileSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
