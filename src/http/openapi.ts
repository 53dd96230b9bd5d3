import { readFileSync } from 'node:fs';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { DEFAULT_RATE_LIMITS } from '../chat/limits.ts';
import { ErrorBody } from '../contract/schemas.ts';
import { ERRORS, type ErrorCode } from '../errors.ts';
import { OPERATIONS, type OperationDoc, TAGS } from './openapi-operations.ts';
import { SERVER_OPERATIONS } from './openapi-server-operations.ts';

/**
 * The OpenAPI document behind /docs. Every word is written once: each operation's summary, tag,
 * examples and bucket in openapi-operations.ts (the server API's in openapi-server-operations.ts); its description, the event catalogue and the stream
 * protocols in docs/api.md (the text under the operation's "#### `METHOD /path`" heading; the
 * sections between `<!-- openapi:begin -->` and `<!-- openapi:end -->` for the page's introduction).
 * They are applied to each route as it is added, so route files hold schemas only.
 */

const API_DOC = new URL('../../docs/api.md', import.meta.url);
const BEGIN = '<!-- openapi:begin -->';
const END = '<!-- openapi:end -->';

/** Fastify's `/channels/:id` as OpenAPI writes it, `/channels/{id}`. */
export const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The marked sections of the reference, in order (empty if it has none). */
export function docSections(markdown: string): string {
  const parts: string[] = [];
  let at = 0;
  for (;;) {
    const start = markdown.indexOf(BEGIN, at);
    if (start < 0) break;
    const end = markdown.indexOf(END, start);
    if (end < 0) break;
    parts.push(markdown.slice(start + BEGIN.length, end).trim());
    at = end + END.length;
  }
  return parts.join('\n\n');
}

const ENDPOINT_HEADING = /^#{2,4} `(GET|POST|PUT|PATCH|DELETE) (\/[^`\s]*)`[ \t]*$/gm;

/** The text under each endpoint heading ("#### `METHOD /path`"), up to the next heading, by "METHOD /path". */
export function endpointSections(markdown: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const m of markdown.matchAll(ENDPOINT_HEADING)) {
    const start = m.index + m[0].length;
    const next = /^#{1,4} /m.exec(markdown.slice(start));
    const text = markdown.slice(start, next ? start + next.index : undefined);
    sections.set(`${m[1]} ${m[2]}`, text.replaceAll(BEGIN, '').replaceAll(END, '').trim());
  }
  return sections;
}

/** docs/api.md, read once; an install without docs/ still serves a working document, only a shorter one. */
let reference: string | undefined;
function referenceText(): string {
  if (reference === undefined) {
    try {
      reference = readFileSync(API_DOC, 'utf8');
    } catch {
      reference = '';
    }
  }
  return reference;
}

const INTRO =
  'Real-time messaging on PostgreSQL. JSON in snake_case under `/api/v1`; errors are ' +
  '`{"error": {"code", "message", "field"?}}`. Users authenticate with a token (`Authorization: Bearer <jwt>`); ' +
  "the host application's backend with a server key (`Bearer psk_…`), on `/api/v1/server/*` as the platform or " +
  'elsewhere as a user named by `X-Parley-User`. The full reference, with every field, limit and error, is ' +
  '`docs/api.md` in the repository.';

export function swaggerOptions(): FastifyDynamicSwaggerOptions {
  const sections = docSections(referenceText());
  return {
    openapi: {
      info: { title: 'Parley', version: '1.1', description: sections ? `${INTRO}\n\n${sections}` : INTRO },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              "A user token: a JWT whose `sub` is the user id, signed HS256 with PARLEY_JWT_SECRET or by the host's " +
              'identity provider (PARLEY_JWKS_URL, PARLEY_JWT_PUBLIC_KEY).',
          },
          serverKey: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'psk_…',
            description:
              "A server key for the host's backend (`npx parley keys create --name NAME`). On /api/v1/server/* it acts " +
              'as the platform; on any other endpoint it needs X-Parley-User and acts as that user.',
          },
          actAs: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Parley-User',
            description: "With a server key: the user to act as, with that user's permissions.",
          },
          accessToken: {
            type: 'apiKey',
            in: 'query',
            name: 'access_token',
            description:
              'A user token in the URL, where a browser cannot send a header (EventSource, WebSocket, <img src>). ' +
              'Never a server key.',
          },
        },
      },
      security: [{ bearer: [] }, { serverKey: [], actAs: [] }],
      tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    },
    // @fastify/websocket hides every WebSocket route from the document; GET /api/v1/ws is an
    // operation like any other (its upgrade request has a token, a resume point and errors).
    transform: ({ schema, url, route }) => ({
      schema: (route as { websocket?: boolean }).websocket ? { ...schema, hide: false } : schema,
      url,
    }),
    // Tags of operations this build has, so the page shows no empty groups.
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      const doc = documentObject.openapiObject;
      const used = new Set(
        Object.values(doc.paths ?? {}).flatMap((item) =>
          Object.values(item ?? {}).flatMap((op) => (op as { tags?: string[] }).tags ?? []),
        ),
      );
      return { ...doc, tags: doc.tags?.filter((t: { name: string }) => used.has(t.name)) };
    },
  };
}

/** Where a token may come from for a route (the rules of src/http/authenticate.ts). */
function securityFor(path: string): FastifySchema['security'] {
  if (path.startsWith('/api/v1/server')) return [{ serverKey: [] }];
  if (/^\/api\/v1\/(events|ws|sse\/|attachments\/)/.test(path)) {
    return [{ bearer: [] }, { accessToken: [] }, { serverKey: [], actAs: [] }];
  }
  return undefined;
}

/** "30 per 10s" for each bucket, from the defaults themselves. */
const BUCKET_DEFAULTS = Object.fromEntries(
  DEFAULT_RATE_LIMITS.split(',').map((part) => {
    const [bucket, rate] = part.split('=') as [string, string];
    return [bucket, rate.replace('/', ' per ')];
  }),
);

/** What each status means, and an error body a client really gets, for every response listed. */
const STATUS_TEXT: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '204': 'Done; no body',
};
const ERROR_EXAMPLES: Record<string, { code: ErrorCode; message: string; field?: string }> = {
  '400': { code: 'invalid_request', message: 'body.content must not be blank.', field: 'body.content' },
  '401': { code: 'unauthorized', message: 'A bearer token is required.' },
  '403': { code: 'forbidden', message: 'You are not a member of this channel.' },
  '404': { code: 'not_found', message: 'Channel not found.' },
  '409': { code: 'conflict', message: 'The message was deleted.' },
  '413': { code: 'payload_too_large', message: 'The request body is too large.' },
  '415': { code: 'unsupported_media_type', message: 'Send JSON (Content-Type: application/json).' },
  '429': { code: 'rate_limited', message: 'Too many send operations: at most 30 per 10 s.' },
  '500': { code: 'internal', message: 'Something went wrong on our side.' },
  '503': { code: 'unavailable', message: 'The database is unavailable; retry shortly.' },
};
const codesOf = (status: string) =>
  Object.entries(ERRORS)
    .filter(([, s]) => String(s) === status)
    .map(([code]) => `\`${code}\``)
    .join(' or ');

function describeResponses(response: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(response)) {
    const s = (schema && typeof schema === 'object' ? schema : {}) as { description?: string };
    const error = ERROR_EXAMPLES[status];
    if (error) out[status] = { ...s, description: s.description ?? codesOf(status), examples: [{ error }] };
    else out[status] = STATUS_TEXT[status] && !s.description ? { ...s, description: STATUS_TEXT[status] } : schema;
  }
  return out;
}

const withExample = (schema: unknown, example: unknown) =>
  schema && typeof schema === 'object' ? { ...schema, examples: [example] } : schema;

export type Schema = FastifySchema & {
  summary?: string;
  description?: string;
  tags?: string[];
  hide?: boolean;
  response?: Record<string, unknown>;
};

function describe(schema: Schema, doc: OperationDoc | undefined, text: string | undefined, path: string): Schema {
  const out: Schema = { ...schema };
  const security = securityFor(path);
  if (security && out.security === undefined) out.security = security;
  // The reference's words win over a route's own: one text says what docs/api.md and /docs show.
  if (text) out.description = text;
  if (out.response) out.response = describeResponses(out.response);
  if (!doc) return out;
  out.summary = doc.summary;
  out.tags = [doc.tag];
  if (doc.bucket) {
    const note = `Rate limit: the \`${doc.bucket}\` bucket (default ${BUCKET_DEFAULTS[doc.bucket]}); past it 429 with Retry-After.`;
    out.description = out.description ? `${out.description}\n\n${note}` : note;
    out.response = { ...out.response, 429: out.response?.[429] ?? describeResponses({ 429: ErrorBody })[429] };
  }
  if (doc.body !== undefined && out.body) out.body = withExample(out.body, doc.body);
  if (doc.response !== undefined && out.response) {
    const response = { ...out.response };
    for (const code of Object.keys(response).filter((c) => /^2(\d\d|xx)$/.test(c) && c !== '204')) {
      response[code] = withExample(response[code], doc.response);
    }
    out.response = response;
  }
  return out;
}

const CATALOGUE: Record<string, OperationDoc> = { ...OPERATIONS, ...SERVER_OPERATIONS };

const seen = new WeakMap<FastifyInstance, Map<string, Schema>>();

/**
 * Applies the operations' words to every route added after this call (every route of buildApp),
 * and records each route as "METHOD /path" with its schema, for the tests that keep the docs
 * complete and the examples true. Each route gets its own copy of its schema: two routes may share
 * one schema object.
 */
export function documentRoutes(app: FastifyInstance): void {
  const routes = new Map<string, Schema>();
  seen.set(app, routes);
  const texts = endpointSections(referenceText());
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = [route.method].flat().filter((m) => m !== 'HEAD');
    if (methods.length === 0) return;
    const path = openApiPath(route.url);
    const key = `${methods[0]} ${path}`;
    if (!(route.schema as Schema | undefined)?.hide) {
      route.schema = describe((route.schema ?? {}) as Schema, CATALOGUE[key], texts.get(key), path);
    }
    for (const m of methods) routes.set(`${m} ${path}`, (route.schema ?? {}) as Schema);
  });
}

/** Every route added since documentRoutes(app), as "METHOD /path" (HEAD left out). */
export const routesOf = (app: FastifyInstance): readonly string[] => [...(seen.get(app)?.keys() ?? [])];

/** The schema a route was given (with its examples), by "METHOD /path". */
export const routeSchema = (app: FastifyInstance, key: string): Schema | undefined => seen.get(app)?.get(key);
