/**
 * CORS: PARLEY_CORS_ORIGINS lists the origins whose pages may call the API from a browser. Unset,
 * no CORS header is ever sent (same-origin only). A listed origin gets its preflight answered and
 * its responses (SSE included) readable; any other origin gets no Access-Control-Allow-Origin.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { SseClient } from '../helpers/sse.ts';

const APP = 'https://app.example.com';
const EVIL = 'https://app.example.com.evil.test';

/** A raw request (node:http sends Origin as given, as a browser would for a page of that origin). */
function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { method, headers }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

const preflight = (base: string, origin: string, method = 'PATCH') =>
  call(base, 'OPTIONS', '/api/v1/channels/00000000-0000-4000-8000-000000000000', {
    origin,
    'access-control-request-method': method,
    'access-control-request-headers': 'authorization, content-type',
  });

let open: TestServer; // PARLEY_CORS_ORIGINS=APP
let closed: TestServer; // unset
before(async () => {
  open = await startTestServer({ nodeId: 'cors-open', corsOrigins: [APP] });
  closed = await startTestServer({ nodeId: 'cors-default' });
});
after(async () => {
  await open?.close();
  await closed?.close();
});

describe('PARLEY_CORS_ORIGINS set', () => {
  test('a preflight from a listed origin is answered: origin, methods, headers, max age, Vary', async () => {
    const r = await preflight(open.url, APP);
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-origin'], APP);
    const methods = String(r.headers['access-control-allow-methods']);
    for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) assert.match(methods, new RegExp(`\\b${m}\\b`));
    assert.match(String(r.headers['access-control-allow-headers']).toLowerCase(), /authorization/);
    assert.match(String(r.headers['access-control-allow-headers']).toLowerCase(), /content-type/);
    assert.equal(r.headers['access-control-max-age'], '600');
    assert.match(String(r.headers.vary), /origin/i, 'caches keep answers per origin');
    assert.equal(r.headers['access-control-allow-credentials'], undefined, 'tokens are headers, not cookies');
  });

  test('a preflight and a request from another origin get no Access-Control-Allow-Origin', async () => {
    for (const origin of [EVIL, 'http://app.example.com', 'null']) {
      const pre = await preflight(open.url, origin);
      assert.equal(pre.headers['access-control-allow-origin'], undefined, `preflight from ${origin}`);
      const got = await call(open.url, 'GET', '/api/v1/channels', {
        origin,
        authorization: `Bearer ${await open.token('alice')}`,
      });
      assert.equal(got.headers['access-control-allow-origin'], undefined, `GET from ${origin}`);
    }
  });

  test('a request from a listed origin is readable there, with the rate limit headers exposed', async () => {
    const got = await call(open.url, 'GET', '/api/v1/channels', {
      origin: APP,
      authorization: `Bearer ${await open.token('alice')}`,
    });
    assert.equal(got.status, 200, got.body);
    assert.equal(got.headers['access-control-allow-origin'], APP);
    assert.match(String(got.headers['access-control-expose-headers']), /RateLimit-Remaining/i);
    // Errors too: a page must be able to read why it was refused.
    const refused = await call(open.url, 'GET', '/api/v1/channels', { origin: APP });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['access-control-allow-origin'], APP);
    assert.equal(JSON.parse(refused.body).error.code, 'unauthorized');
  });

  test('the SSE stream carries the CORS header too (a hijacked reply)', async () => {
    const stream = await SseClient.open(open.url, '/api/v1/events', {
      token: await open.token('alice'),
      headers: { origin: APP },
    });
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['access-control-allow-origin'], APP);
    stream.close();
  });
});

describe('PARLEY_CORS_ORIGINS unset (the default): same-origin only', () => {
  test('no preflight is answered and no response carries a CORS header', async () => {
    const pre = await preflight(closed.url, APP);
    assert.equal(pre.status, 404);
    assert.equal(JSON.parse(pre.body).error.code, 'not_found');
    assert.equal(pre.headers['access-control-allow-origin'], undefined);
    const got = await call(closed.url, 'GET', '/api/v1/channels', {
      origin: APP,
      authorization: `Bearer ${await closed.token('alice')}`,
    });
    assert.equal(got.status, 200);
    assert.equal(got.headers['access-control-allow-origin'], undefined);
  });
});

describe('PARLEY_CORS_ORIGINS parsing', () => {
  test('origins and * are taken; a path, a trailing slash or another scheme is refused with the name', () => {
    assert.deepEqual(loadConfig({}).corsOrigins, []);
    assert.deepEqual(loadConfig({ PARLEY_CORS_ORIGINS: ` ${APP} , http://localhost:5173` }).corsOrigins, [
      APP,
      'http://localhost:5173',
    ]);
    assert.deepEqual(loadConfig({ PARLEY_CORS_ORIGINS: '*' }).corsOrigins, ['*']);
    for (const bad of [`${APP}/`, `${APP}/app`, 'app.example.com', 'ftp://x.example.com', 'https://*.example.com']) {
      assert.throws(
        () => loadConfig({ PARLEY_CORS_ORIGINS: bad }),
        (e: Error) => e instanceof ConfigError && /PARLEY_CORS_ORIGINS/.test(e.message),
        bad,
      );
    }
  });
});
