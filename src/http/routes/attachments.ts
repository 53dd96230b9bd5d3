import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Download, type IncomingFile, openAttachment, uploadAttachment } from '../../chat/attachments.ts';
import { Attachment } from '../../contract/resources.ts';
import { ApiError, invalid } from '../../errors.ts';
import { ChannelParams, errors } from '../schemas.ts';
import type { Routes } from './types.ts';

/** How long a refused upload's remaining body is read and discarded before the connection is cut. */
const DRAIN_MS = 10_000;

const DownloadQuery = Type.Object({
  thumbnail: Type.Optional(Type.Union([Type.Boolean(), Type.Literal(1), Type.Literal(0)])),
  access_token: Type.Optional(Type.String()),
});

/** RFC 6266 / RFC 5987: a quoted ASCII fallback and the exact name, percent-encoded as UTF-8. */
export function contentDisposition(inline: boolean, name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/**
 * One range of `bytes=` (a suffix `-N` or `start-[end]`), clamped to the file; 'unsatisfiable' if
 * none of it exists; undefined for no usable Range (absent, several ranges, another unit): the
 * whole file, as RFC 9110 allows.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

/** Whether If-None-Match names this entity tag (weak comparison, or `*`). */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

async function sendFile(req: FastifyRequest, reply: FastifyReply, file: Download) {
  const etag = `"${file.etag}"`;
  reply
    .header('ETag', etag)
    .header('X-Content-Type-Options', 'nosniff')
    // The file is never a page of this origin: no scripts, no plugins, no requests, a unique origin.
    .header('Content-Security-Policy', "default-src 'none'; sandbox")
    // The URL may carry ?access_token=: no Referer may take it elsewhere.
    .header('Referrer-Policy', 'no-referrer')
    // Access is judged on every request, so a cache must ask again (and gets a 304 if unchanged).
    .header('Cache-Control', 'private, no-cache')
    .header('Accept-Ranges', 'bytes');
  if (matches(req.headers['if-none-match'], etag)) return reply.status(304).send();
  const ifRange = req.headers['if-range'];
  const range = ifRange && ifRange !== etag ? undefined : parseRange(req.headers.range, file.size);
  if (range === 'unsatisfiable') {
    reply.header('Content-Range', `bytes */${file.size}`);
    throw new ApiError('range_not_satisfiable', `The range is outside the file's ${file.size} bytes.`);
  }
  reply.type(file.contentType).header('Content-Disposition', contentDisposition(file.inline, file.fileName));
  if (file.size === 0) return reply.header('Content-Length', '0').send('');
  const { start, end } = range ?? { start: 0, end: file.size - 1 };
  if (range) reply.status(206).header('Content-Range', `bytes ${start}-${end}/${file.size}`);
  reply.header('Content-Length', String(end - start + 1));
  return reply.send(await file.open(start, end));
}

const routes: Routes = async (app, { deps }) => {
  const { chat, config } = deps;
  // Scoped to this plugin: only the upload route parses multipart bodies. The file's limit is the
  // upload limit; a form has little else (a few small fields before the file are ignored).
  await app.register(multipart, {
    limits: { fileSize: config.maxUploadBytes, files: 1, fields: 10, fieldSize: 1024, parts: 12, headerPairs: 50 },
  });

  app.post(
    '/attachments',
    {
      schema: {
        tags: ['attachments'],
        consumes: ['multipart/form-data'],
        description: `Upload one file (multipart field "file", at most ${config.maxUploadBytes} bytes).`,
        response: { 201: Attachment, ...errors(400, 401, 413, 415, 429) },
      },
    },
    async (req, reply) => {
      const receive = async (): Promise<IncomingFile | undefined> => {
        if (!req.isMultipart()) {
          throw new ApiError('unsupported_media_type', 'Send multipart/form-data with the file in the field "file".');
        }
        try {
          const part = await req.file();
          return part ? { field: part.fieldname, fileName: part.filename, stream: part.file } : undefined;
        } catch (err) {
          const status = (err as { statusCode?: number }).statusCode;
          if (status === 413) throw new ApiError('payload_too_large', 'The form has too many parts.', 'file');
          throw invalid('file', 'The body is not valid multipart/form-data.');
        }
      };
      try {
        const attachment = await uploadAttachment(chat, req.actor, receive);
        return reply.status(201).send(attachment);
      } catch (err) {
        // Refused before the body ended (413 at the limit, a bad part): answer now, and read what
        // is left of the body into nothing. Closing instead would make the client's kernel drop
        // the answer unread (a reset), and a client that keeps sending is cut off after a while.
        if (!req.raw.readableEnded) {
          req.raw.resume();
          const cutOff = setTimeout(() => req.raw.destroy(), DRAIN_MS).unref();
          req.raw.once('end', () => clearTimeout(cutOff));
        }
        throw err;
      }
    },
  );

  app.get(
    '/attachments/:id',
    {
      schema: {
        tags: ['attachments'],
        description:
          'The bytes, to the uploader and to members of a channel whose message carries it. Range, If-None-Match; ?thumbnail=1 for an image preview.',
        params: ChannelParams,
        querystring: DownloadQuery,
        response: errors(400, 401, 403, 404, 416),
      },
    },
    async (req, reply) => {
      const thumbnail = req.query.thumbnail === true || req.query.thumbnail === 1;
      const file = await openAttachment(chat, req.actor, req.params.id, { thumbnail });
      return sendFile(req, reply, file);
    },
  );
};

export default routes;
