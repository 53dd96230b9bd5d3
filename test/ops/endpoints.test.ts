import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { loadMigrations } from '../../src/db/migrate.ts';
import { adminUrl } from '../helpers/db.ts';
import { request, startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ nodeId: 'ops-endpoints' });
});
after(async () => {
  await s?.close();
});

/** The value of a Prometheus sample (no labels, or the given label set), or undefined if absent. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function metrics(): Promise<string> {
  const r = await fetch(`${s.url}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
  return r.text();
}

async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('operational endpoints need no token', () => {
  test('GET /healthz is 200', async () => {
    const r = await s.raw('GET', '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { status: 'ok' });
  });

  test('GET /readyz is 200 with the database, migrations and listener up, and names the node', async () => {
    const r = await s.raw('GET', '/readyz');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'ready');
    assert.equal(r.body.node_id, 'ops-endpoints');
    assert.equal(r.body.database, true);
    assert.equal(r.body.migrations, true);
    assert.equal(r.body.listener, 'listening');
  });

  test('the API itself does need a token (so the above is not a blanket opening)', async () => {
    const r = await s.raw('GET', '/api/v1/channels');
    assert.equal(r.status, 401);
  });

  test('GET /docs serves the Swagger UI page', async () => {
    const res = await fetch(`${s.url}/docs`, { redirect: 'follow' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /swagger/i);
  });

  test('GET /docs/json is OpenAPI 3 listing the /api/v1 paths', async () => {
    const r = await s.raw('GET', '/docs/json');
    assert.equal(r.status, 200);
    assert.match(String(r.body.openapi), /^3\./);
    const paths = Object.keys(r.body.paths);
    for (const p of [
      '/api/v1/channels',
      '/api/v1/channels/{id}',
      '/api/v1/channels/{id}/messages',
      '/api/v1/events',
      '/api/v1/sse/{user_id}',
      '/api/v1/messages/{id}/reactions/{emoji}',
      '/api/v1/direct-messages',
    ]) {
      assert.ok(paths.includes(p), `${p} is documented; have ${paths.join(' ')}`);
    }
    assert.ok(r.body.paths['/api/v1/channels'].post, 'POST /api/v1/channels is documented');
    assert.equal(r.body.components.securitySchemes.bearer.scheme, 'bearer');
  });
});

describe('GET /metrics', () => {
  test('is Prometheus text with the stream, delivery, listener, replay and request metrics', async () => {
    // Some traffic first, so the counters have something to count.
    const ch = await s.as('alice').post('/api/v1/channels', { type: 'group', name: 'metrics' });
    assert.equal(ch.status, 201);
    const first = await s.as('alice').post(`/api/v1/channels/${ch.body.id}/messages`, { content: 'one' });
    assert.equal(first.status, 201);
    // A stream resuming from before the message gets it from the log (replayed), then live ones.
    const stream = await s.sse('alice', { lastEventId: '0' });
    await stream.waitFor((e) => e.some((x) => x.type === 'new_message'), 10_000, 'the replayed message');
    await s.as('alice').post(`/api/v1/channels/${ch.body.id}/messages`, { content: 'two' });
    await stream.waitFor((e) => e.filter((x) => x.type === 'new_message').length === 2, 10_000, 'the live message');

    const text = await metrics();
    for (const name of [
      'parley_open_streams',
      'parley_events_delivered_total',
      'parley_listener_reconnects_total',
      'parley_replayed_events_total',
      'parley_http_request_duration_seconds',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exported`);
    }
    assert.ok((sample(text, 'parley_open_streams', '{transport="sse"}') ?? 0) >= 1, 'the open SSE stream counts');
    assert.ok((sample(text, 'parley_events_delivered_total') ?? 0) >= 1, 'the live event is counted delivered');
    assert.ok((sample(text, 'parley_replayed_events_total') ?? 0) >= 1, 'replayed events count');
    assert.match(
      text,
      /^parley_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/channels\/:id\/messages",status="201"\} [1-9]/m,
      'request durations are labelled by route pattern, not by raw URL',
    );
    stream.close();
    const after = await until('the stream to be counted closed', 5_000, async () => {
      const t = await metrics();
      return (sample(t, 'parley_open_streams', '{transport="sse"}') ?? 0) === 0 ? t : undefined;
    });
    assert.ok(after);
  });
});

describe('GET /metrics names', () => {
  test('every metric is named parley_…, once: process and Node.js metrics included, no doubled prefix', async () => {
    const text = await metrics();
    const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    assert.ok(names.length > 10, 'metrics are exported');
    assert.deepEqual(
      names.filter((n) => !n.startsWith('parley_')),
      [],
      'every name carries the parley_ prefix',
    );
    // No segment repeated back to back (parley_process_process_…, parley_parley_…).
    assert.deepEqual(
      names.filter((n) => /(^|_)([a-z]+)_\2_/.test(n)),
      [],
      'no name repeats a segment',
    );
    for (const name of [
      'parley_process_cpu_seconds_total',
      'parley_process_resident_memory_bytes',
      'parley_nodejs_eventloop_lag_seconds',
      'parley_nodejs_heap_size_used_bytes',
    ]) {
      assert.ok(names.includes(name), `${name} is exported`);
    }
    assert.ok((sample(text, 'parley_process_cpu_seconds_total') ?? 0) > 0, 'the CPU counter has a value');
  });
});

describe('GET /readyz follows the listener and the schema', () => {
  const dbName = () => new URL(s.databaseUrl).pathname.slice(1);
  const listenerPid = async () => {
    const [r] = await s.sql`SELECT pid FROM pg_stat_activity
                             WHERE application_name LIKE 'parley-listener%' AND datname = current_database()`;
    return r?.pid as number | undefined;
  };

  test('listener cut off while it cannot reconnect: 503, then 200 once it can reconnect', async () => {
    const before = sample(await metrics(), 'parley_listener_reconnects_total') ?? 0;
    const pid = await listenerPid();
    assert.ok(pid, 'the listener is connected');
    // Refuse new connections to this database (superusers included), then cut the listener off.
    // (Only from another database: PostgreSQL refuses it for the current one.)
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`ALTER DATABASE ${dbName()} WITH ALLOW_CONNECTIONS false`);
    try {
      await s.sql`SELECT pg_terminate_backend(${pid})`;
      const down = await until('readyz to be 503', 15_000, async () => {
        const r = await request(s.url, 'GET', '/readyz');
        return r.status === 503 ? r : undefined;
      });
      assert.equal(down.body.status, 'not_ready');
      assert.notEqual(down.body.listener, 'listening');
    } finally {
      await admin.unsafe(`ALTER DATABASE ${dbName()} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const up = await until('readyz to be 200 again', 30_000, async () => {
      const r = await request(s.url, 'GET', '/readyz');
      return r.status === 200 ? r : undefined;
    });
    assert.equal(up.body.listener, 'listening');
    const now = await listenerPid();
    assert.ok(now && now !== pid, 'a new listener backend');
    assert.ok((sample(await metrics(), 'parley_listener_reconnects_total') ?? 0) > before, 'the reconnect is counted');
  });

  test('listener backend terminated (as in the brief): readyz is 200 again within a deadline', async () => {
    const pid = await listenerPid();
    await s.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE application_name LIKE 'parley-listener%' AND datname = current_database()`;
    await until('a new listener and readyz 200', 30_000, async () => {
      const now = await listenerPid();
      if (!now || now === pid) return undefined;
      const r = await request(s.url, 'GET', '/readyz');
      return r.status === 200 ? r : undefined;
    });
  });

  test('a migration missing from parley_migrations makes readyz 503 (migrations: false) until it is back', async () => {
    const last = loadMigrations().at(-1)!;
    await s.sql`DELETE FROM parley_migrations WHERE version = ${last.version}`;
    try {
      const r = await request(s.url, 'GET', '/readyz');
      assert.equal(r.status, 503);
      assert.equal(r.body.migrations, false);
      assert.equal(r.body.database, true);
    } finally {
      await s.sql`INSERT INTO parley_migrations (version, name) VALUES (${last.version}, ${last.name})`;
    }
    assert.equal((await request(s.url, 'GET', '/readyz')).status, 200);
  });
});
