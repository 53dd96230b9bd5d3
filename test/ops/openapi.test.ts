/**
 * /docs documents every operation: each route under /api/v1 has a summary, a description and a tag
 * in the served OpenAPI document (a new route without an entry in src/http/openapi-operations.ts
 * fails here), bodies and JSON responses carry examples, the two kinds of credentials are security
 * schemes, and the event catalogue and stream protocols are docs/api.md's own text, not a copy.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { strictAjv } from '../../src/contract/validation.ts';
import { docSections, endpointSections, routeSchema, routesOf } from '../../src/http/openapi.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

// biome-ignore lint/suspicious/noExplicitAny: the document is checked field by field below
type Doc = any;

let s: TestServer;
let doc: Doc;
before(async () => {
  s = await startTestServer({ nodeId: 'ops-openapi' });
  const r = await s.raw('GET', '/docs/json');
  assert.equal(r.status, 200);
  doc = r.body;
});
after(async () => {
  await s?.close();
});

/** Every route under /api/v1 the app has, as [method, OpenAPI path]. */
const apiRoutes = (): [string, string][] =>
  routesOf(s.parley.app)
    .filter((r) => r.includes(' /api/v1/'))
    .map((r) => r.split(' ') as [string, string]);

const operation = (method: string, path: string) => doc.paths?.[path]?.[method.toLowerCase()];

describe('/docs', () => {
  test('GET /docs serves the Swagger UI and /docs/json an OpenAPI 3 document', async () => {
    const page = await fetch(`${s.url}/docs`, { redirect: 'follow' });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /swagger/i);
    assert.match(String(doc.openapi), /^3\./);
  });

  test('the app has the routes this checks (the list is not empty by accident)', () => {
    const routes = apiRoutes().map(([m, p]) => `${m} ${p}`);
    for (const r of ['POST /api/v1/channels/{id}/messages', 'GET /api/v1/ws', 'POST /api/v1/server/channels']) {
      assert.ok(routes.includes(r), `${r} is among the routes seen: ${routes.join(', ')}`);
    }
  });

  test('every route under /api/v1 is in the document with a summary, a description and a tag', () => {
    const missing: string[] = [];
    for (const [method, path] of apiRoutes()) {
      const op = operation(method, path);
      const lacks = !op
        ? ['the document']
        : [
            !op.summary?.trim() && 'summary',
            !op.description?.trim() && 'description',
            !(op.tags?.length === 1 && doc.tags.some((t: Doc) => t.name === op.tags[0])) && 'a described tag',
          ].filter(Boolean);
      if (lacks.length) missing.push(`${method} ${path} lacks ${lacks.join(', ')}`);
    }
    assert.deepEqual(
      missing,
      [],
      'Give each a summary and tag in src/http/openapi-operations.ts (openapi-server-operations.ts for /server) and ' +
        'its description as a ' +
        `"#### \`METHOD /path\`" section of docs/api.md:\n${missing.join('\n')}`,
    );
  });

  test('every JSON request body and JSON success response has an example', () => {
    const missing: string[] = [];
    for (const [method, path] of apiRoutes()) {
      const op = operation(method, path);
      if (!op) continue;
      const body = op.requestBody?.content?.['application/json'];
      if (body && body.example === undefined) missing.push(`${method} ${path}: request body`);
      for (const [code, res] of Object.entries<Doc>(op.responses ?? {})) {
        const json = res.content?.['application/json'];
        if (/^2\d\d$/.test(code) && json && json.example === undefined) missing.push(`${method} ${path}: ${code}`);
      }
    }
    assert.deepEqual(
      missing,
      [],
      `Give these an example in src/http/openapi-operations.ts (or openapi-server-operations.ts):\n${missing.join('\n')}`,
    );
  });

  test("each operation's description is its section of docs/api.md, not a second copy", () => {
    const texts = endpointSections(readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8'));
    const send = texts.get('POST /api/v1/channels/{id}/messages');
    assert.ok(
      send?.includes('| `client_id` |'),
      'the section of POST /channels/{id}/messages is found, with its table',
    );
    const differ: string[] = [];
    for (const [method, path] of apiRoutes()) {
      const text = texts.get(`${method} ${path}`);
      if (text && !operation(method, path)?.description?.startsWith(text)) differ.push(`${method} ${path}`);
    }
    assert.deepEqual(differ, [], 'these operations do not show their docs/api.md section');
  });

  test("every example is valid against its route's own schema (a body as the body validator takes it)", () => {
    const wrong: string[] = [];
    let bodies = 0;
    const check = (where: string, schema: unknown) => {
      const examples = (schema as { examples?: unknown[] } | undefined)?.examples;
      for (const example of examples ?? []) {
        if (where.endsWith(' body')) bodies++;
        const validate = strictAjv.compile(schema as object);
        // A copy: validation fills defaults and lower-cases UUIDs in place.
        if (!validate(structuredClone(example))) wrong.push(`${where}: ${JSON.stringify(validate.errors?.[0])}`);
      }
    };
    for (const key of routesOf(s.parley.app)) {
      const schema = routeSchema(s.parley.app, key);
      check(`${key} body`, schema?.body);
      for (const [code, res] of Object.entries(schema?.response ?? {})) check(`${key} ${code}`, res);
    }
    assert.deepEqual(wrong, [], 'these examples do not match their schemas');
    assert.ok(bodies > 15, `request body examples were checked (${bodies})`);
  });

  test('two routes sharing one schema object keep their own words (PUT and DELETE of a reaction)', () => {
    const put = operation('PUT', '/api/v1/messages/{id}/reactions/{emoji}');
    const del = operation('DELETE', '/api/v1/messages/{id}/reactions/{emoji}');
    assert.equal(put.summary, 'React to a message');
    assert.equal(del.summary, 'Remove my reaction');
  });

  test('a rate-limited operation names its bucket and documents 429', () => {
    const send = operation('POST', '/api/v1/channels/{id}/messages');
    assert.match(send.description, /the `send` bucket \(default 30 per 10s\)/);
    assert.ok(send.responses['429'], 'POST /channels/{id}/messages documents 429');
  });

  test('user tokens and server keys are security schemes, and each operation asks for the right one', () => {
    const schemes = doc.components.securitySchemes;
    assert.equal(schemes.bearer.scheme, 'bearer');
    assert.equal(schemes.bearer.bearerFormat, 'JWT');
    assert.equal(schemes.serverKey.scheme, 'bearer');
    assert.match(schemes.serverKey.bearerFormat, /^psk_/);
    assert.equal(schemes.actAs.name, 'X-Parley-User');
    assert.equal(schemes.accessToken.in, 'query');
    assert.deepEqual(doc.security, [{ bearer: [] }, { serverKey: [], actAs: [] }]);
    for (const [method, path] of apiRoutes().filter(([, p]) => p.startsWith('/api/v1/server/'))) {
      assert.deepEqual(operation(method, path).security, [{ serverKey: [] }], `${method} ${path} takes a server key`);
    }
    assert.ok(
      operation('GET', '/api/v1/events').security.some((r: Doc) => 'accessToken' in r),
      'the SSE stream takes ?access_token=',
    );
    assert.deepEqual(operation('POST', '/api/v1/dev/token').security, [], 'the dev token needs no credentials');
  });

  test("the event catalogue and the stream protocols are docs/api.md's marked sections, verbatim", () => {
    const sections = docSections(readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8'));
    assert.ok(sections.length > 2000, 'docs/api.md has marked sections');
    const description: string = doc.info.description;
    assert.ok(description.includes(sections), 'info.description carries the sections unchanged');
    for (const word of ['new_message', 'message_reported', 'notification', '"op": "ack"', '4001', 'Last-Event-ID']) {
      assert.ok(description.includes(word), `the description mentions ${word}`);
    }
  });
});
