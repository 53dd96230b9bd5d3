import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { Auth } from '../../src/auth/tokens.ts';
import { EmbeddedPostgres } from '../../src/db/embedded.ts';
import { createLogger } from '../../src/log.ts';
import { type Parley, startParley } from '../../src/server.ts';
import { request, TEST_SECRET, testConfig } from '../helpers/server.ts';
import { SseClient } from '../helpers/sse.ts';
import { cleanEnv, killAll, runCli } from './lib.ts';

/**
 * A PostgreSQL that only accepts TLS on TCP, with a self-signed certificate (as managed databases
 * usually are), and Parley on it through `?sslmode=require`: the pool, the LISTEN connection, and
 * the CLI must all speak TLS.
 */
const dir = mkdtempSync(join(tmpdir(), 'parley-ssl-'));
let pg: EmbeddedPostgres | undefined;
let parley: Parley | undefined;
let url = ''; // the test database, no sslmode
let caFile = ''; // the server's self-signed certificate, which is its own CA
const withSsl = (mode: string) => {
  const u = new URL(url);
  u.searchParams.set('sslmode', mode);
  return u.toString();
};

function postgresUid(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (f: string) => Number(execFileSync('id', [f, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

before(async () => {
  // The postgres user must reach the files: the directory is traversable, the key its own and 0600.
  chmodSync(dir, 0o711);
  const certs = join(dir, 'certs');
  mkdirSync(certs, { mode: 0o755 });
  const cert = join(certs, 'server.crt');
  caFile = cert;
  const key = join(certs, 'server.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  chmodSync(cert, 0o644);
  chmodSync(key, 0o600);
  const owner = postgresUid();
  if (owner) chownSync(key, owner.uid, owner.gid);

  pg = new EmbeddedPostgres({
    dataDir: join(dir, 'db'),
    settings: { ssl: 'on', ssl_cert_file: cert, ssl_key_file: key },
  });
  await pg.start();
  // TLS or nothing on TCP: no plain `host` line, so a non-TLS connection finds no pg_hba.conf entry.
  writeFileSync(join(pg.pgData, 'pg_hba.conf'), 'hostssl all all 127.0.0.1/32 scram-sha-256\n');
  const adminTls = `${pg.url}?sslmode=require`;
  const admin = postgres(adminTls, { max: 1, onnotice: () => {} });
  await admin`SELECT pg_reload_conf()`;
  await admin.unsafe('CREATE DATABASE parley_ssl');
  await admin.end();
  const u = new URL(pg.url);
  u.pathname = '/parley_ssl';
  url = u.toString();
});

after(async () => {
  await parley?.close().catch(() => {});
  await pg?.stop().catch(() => {});
  killAll([], [join(dir, 'db')]);
  rmSync(dir, { recursive: true, force: true });
});

describe('PostgreSQL that requires TLS', () => {
  test('sslmode=verify-ca with sslrootcert in the URL checks the chain: the right CA connects, another is refused', async () => {
    const { connect } = await import('../../src/db/client.ts');
    const good = new URL(url);
    good.searchParams.set('sslmode', 'verify-ca');
    good.searchParams.set('sslrootcert', caFile);
    const sql = connect(good.toString(), { max: 1 });
    const [row] = await sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
    assert.equal(row!.ssl, true);
    await sql.end({ timeout: 1 });
    const otherCa = join(dir, 'other-ca.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=other',
        '-keyout',
        join(dir, 'other-ca.key'),
        '-out',
        otherCa,
      ],
      { stdio: 'ignore' },
    );
    const bad = new URL(good);
    bad.searchParams.set('sslrootcert', otherCa);
    const wrong = connect(bad.toString(), { max: 1 });
    await assert.rejects(wrong`SELECT 1`, /self[- ]signed|certificate/i);
    await wrong.end({ timeout: 1 });
  });

  test('refuses a connection without TLS (so the tests below prove TLS is used)', async () => {
    for (const u of [withSsl('disable'), url]) {
      const plain = postgres(u, { max: 1, onnotice: () => {}, connect_timeout: 10 });
      await assert.rejects(plain`SELECT 1`, /no pg_hba\.conf entry.*no encryption/);
      await plain.end({ timeout: 1 });
    }
  });

  test('parley migrate and doctor work with DATABASE_URL=…?sslmode=require, and fail without it', async () => {
    const m = await runCli(['migrate'], cleanEnv({ DATABASE_URL: withSsl('require') }));
    assert.equal(m.code, 0, m.stdout + m.stderr);
    const d = await runCli(['doctor'], cleanEnv({ DATABASE_URL: withSsl('require') }));
    assert.equal(d.code, 0, d.stdout + d.stderr);
    assert.equal((d.stdout.match(/^\[PASS\]/gm) ?? []).length, 4, d.stdout);
    const bad = await runCli(['doctor'], cleanEnv({ DATABASE_URL: withSsl('disable') }));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout, /^\[FAIL\] Listener Connection: .*no encryption/m);
  });

  test('a node on ?sslmode=require is ready, delivers over its LISTEN connection, and every connection is TLS', async () => {
    const config = testConfig(withSsl('require'), { nodeId: 'ssl-node' });
    parley = await startParley(config, { log: createLogger(config.logLevel) });
    const ready = await request(parley.url, 'GET', '/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));

    const auth = new Auth(new TextEncoder().encode(TEST_SECRET));
    const [alice, bob] = [await auth.sign('alice'), await auth.sign('bob')];
    const ch = await request(parley.url, 'POST', '/api/v1/channels', {
      headers: { authorization: `Bearer ${alice}` },
      body: { type: 'group', name: 'tls', members: [{ user_id: 'bob' }] },
    });
    assert.equal(ch.status, 201);
    const stream = await SseClient.open(parley.url, '/api/v1/events', { token: bob });
    await stream.waitFor((e) => e.some((x) => x.type === 'connection'), 10_000, 'connection');
    const sent = await request(parley.url, 'POST', `/api/v1/channels/${ch.body.id}/messages`, {
      headers: { authorization: `Bearer ${alice}` },
      body: { content: 'over TLS' },
    });
    assert.equal(sent.status, 201);
    // Only the listener turns the commit into a live event: its arrival proves LISTEN works over TLS.
    await stream.waitFor(
      (e) => e.some((x) => x.type === 'new_message' && x.data.content === 'over TLS'),
      10_000,
      'the message over SSE',
    );
    stream.close();

    const check = postgres(withSsl('require'), { max: 1, onnotice: () => {} });
    try {
      const rows = await check`
        SELECT a.application_name AS app, s.ssl
          FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
         WHERE a.application_name LIKE 'parley%' AND a.datname = current_database()`;
      const apps = rows.map((r) => `${r.app}:${r.ssl}`);
      assert.ok(
        rows.some((r) => r.app === 'parley-listener:ssl-node'),
        `the listener connection is there: ${apps}`,
      );
      assert.ok(
        rows.some((r) => r.app === 'parley:ssl-node'),
        `a pool connection is there: ${apps}`,
      );
      assert.ok(
        rows.every((r) => r.ssl === true),
        `every Parley connection uses TLS: ${apps}`,
      );
    } finally {
      await check.end({ timeout: 1 });
    }
  });
});
