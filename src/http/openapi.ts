import { readFileSync } from 'node:fs';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { DEFAULT_RATE_LIMITS } from '../chat/limits.ts';
import { ErrorBody } from '../contract/schemas.ts';
import { OPERATIONS, type OperationDoc, TAGS } from './openapi-operations.ts';

/**
 * The OpenAPI document behind /docs. Words come from two places and are written once each: every
 * operation's summary, description, tag and examples from openapi-operations.ts (applied to each
 * route as it is added, so route files hold schemas only), and the event catalogue and the stream
 * protocols from docs/api.md, the sections between `<!-- openapi:begin -->` and `<!-- openapi:end -->`.
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

function referenceSections(): string {
  try {
    return docSections(readFileSync(API_DOC, 'utf8'));
  } catch {
    // An install without docs/ still serves a working document, only a shorter one.
    return '';
  }
}

const INTRO =
  'Real-time messaging on PostgreSQL. JSON in snake_case under `/api/v1`; errors are ' +
  '`{"error": {"code", "message", "field"?}}`. Users authenticate with a token (`Authorization: Bearer <jwt>`); ' +
  "the host application's backend with a server key (`Bearer psk_…`), on `/api/v1/server/*` as the platform or " +
  'elsewhere as a user named by `X-Parley-User`. The full reference, with every field, limit and error, is ' +
  '`docs/api.md` in the repository.';

export function swaggerOptions(): FastifyDynamicSwaggerOptions {
  const sections = referenceSections();
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

const withExample = (schema: unknown, example: unknown) =>
  schema && typeof schema === 'object' ? { ...schema, examples: [example] } : schema;

type Schema = FastifySchema & {
  summary?: string;
  description?: string;
  tags?: string[];
  hide?: boolean;
  response?: Record<string, unknown>;
};

function describe(schema: Schema, doc: OperationDoc | undefined, path: string): Schema {
  const out: Schema = { ...schema };
  const security = securityFor(path);
  if (security && out.security === undefined) out.security = security;
  if (!doc) return out;
  // The catalogue's words win over a route's own: one place says what /docs shows.
  out.summary = doc.summary;
  out.tags = [doc.tag];
  let description = doc.description;
  if (doc.bucket) {
    description += `\n\nRate limit: the \`${doc.bucket}\` bucket (default ${BUCKET_DEFAULTS[doc.bucket]}); past it 429 with Retry-After.`;
    out.response = { ...out.response, 429: out.response?.[429] ?? ErrorBody };
  }
  out.description = description;
  if (doc.body !== undefined && out.body) out.body = withExample(out.body, doc.body);
  if (doc.response !== undefined && out.response) {
    const response = { ...out.response };
    for (const code of Object.keys(response).filter((c) => /^2\d\d$/.test(c) && c !== '204')) {
      response[code] = withExample(response[code], doc.response);
    }
    out.response = response;
  }
  return out;
}

const seen = new WeakMap<FastifyInstance, string[]>();

/**
 * Applies the operations' words to every route added after this call (every route of buildApp),
 * and records each route as "METHOD /path" for routesOf (the tests that keep the docs complete).
 * Each route gets its own copy of its schema: two routes may share one schema object.
 */
export function documentRoutes(app: FastifyInstance): void {
  const routes: string[] = [];
  seen.set(app, routes);
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = [route.method].flat().filter((m) => m !== 'HEAD');
    if (methods.length === 0) return;
    const path = openApiPath(route.url);
    for (const m of methods) routes.push(`${m} ${path}`);
    if ((route.schema as Schema | undefined)?.hide) return;
    route.schema = describe((route.schema ?? {}) as Schema, OPERATIONS[`${methods[0]} ${path}`], path);
  });
}

/** Every route added since documentRoutes(app), as "METHOD /path" (HEAD left out). */
export const routesOf = (app: FastifyInstance): readonly string[] => seen.get(app) ?? [];
