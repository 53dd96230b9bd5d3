import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { loadMigrations } from '../../src/db/migrate.ts';
import { databaseForSuite } from '../helpers/db.ts';
import { cleanEnv, killAll, noPostgresLeft, ROOT, runCli } from './lib.ts';

const versions = loadMigrations().map((m) => m.version);

describe('parley migrate and doctor with DATABASE_URL', () => {
  const db = databaseForSuite();
  const env = () => cleanEnv({ DATABASE_URL: db.url });

  test('doctor on an empty database fails the schema checks and says to migrate', async () => {
    const r = await runCli(['doctor'], env());
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stdout, /^\[FAIL\] Trigger Installation: .*parley migrate/m);
    assert.match(r.stdout, /^\[FAIL\] Table Existence: missing tables: users, /m);
    assert.match(r.stdout, /^\[PASS\] Listener Connection/m);
    assert.match(r.stdout, /^\[FAIL\] Message Notification/m);
  });

  test('migrate applies every migration once; a second run applies nothing', async () => {
    const first = await runCli(['migrate'], env());
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`applied migrations: ${versions.join(', ')}`));
    const second = await runCli(['migrate'], env());
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /schema is up to date/);
    const rows =
      await db.sql`SELECT version, count(*)::int AS n FROM parley_migrations GROUP BY version ORDER BY version`;
    assert.deepEqual(
      rows.map((r) => [r.version, r.n]),
      versions.map((v) => [v, 1]),
    );
  });

  test('doctor prints four [PASS] lines and a summary, and exits 0', async () => {
    const r = await runCli(['doctor'], env());
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n').filter((l) => /^\[(PASS|FAIL)\]/.test(l));
    assert.deepEqual(
      lines.map((l) => l.replace(/:.*/, '')),
      [
        '[PASS] Trigger Installation',
        '[PASS] Table Existence',
        '[PASS] Listener Connection',
        '[PASS] Message Notification',
      ],
    );
    assert.match(r.stdout, /4\/4 checks passed/);
    // The end-to-end check cleans up after itself: no channel of its own is left behind.
    const [left] = await db.sql`SELECT count(*)::int AS n FROM channels WHERE name = 'parley doctor check'`;
    assert.equal(left!.n, 0);
  });

  test('a dropped trigger is a [FAIL] Trigger Installation and a non-zero exit', async () => {
    await db.sql`DROP TRIGGER channel_messages_notify_insert ON channel_messages`;
    try {
      const r = await runCli(['doctor'], env());
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stdout, /^\[FAIL\] Trigger Installation: no trigger on channel_messages/m);
      assert.match(r.stdout, /^\[PASS\] Table Existence/m);
      // Without the trigger no notification comes, so the end-to-end check fails too.
      assert.match(r.stdout, /^\[FAIL\] Message Notification/m);
      assert.match(r.stdout, /2\/4 checks passed/);
    } finally {
      await db.sql`CREATE TRIGGER channel_messages_notify_insert AFTER INSERT ON channel_messages
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_message_change()`;
    }
  });

  test('a disabled trigger is a [FAIL] too', async () => {
    await db.sql`ALTER TABLE message_reactions DISABLE TRIGGER message_reactions_notify_insert`;
    try {
      const r = await runCli(['doctor'], env());
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stdout, /^\[FAIL\] Trigger Installation: trigger message_reactions_notify_insert .* disabled/m);
    } finally {
      await db.sql`ALTER TABLE message_reactions ENABLE TRIGGER message_reactions_notify_insert`;
    }
  });

  test('a missing table is a [FAIL] Table Existence', async () => {
    await db.sql`ALTER TABLE typing_indicators RENAME TO typing_indicators_away`;
    try {
      const r = await runCli(['doctor'], env());
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stdout, /^\[FAIL\] Table Existence: missing tables: typing_indicators /m);
    } finally {
      await db.sql`ALTER TABLE typing_indicators_away RENAME TO typing_indicators`;
    }
    const again = await runCli(['doctor'], env());
    assert.equal(again.code, 0, again.stdout);
  });

  test('an unreachable database fails every check (no crash, no hang) and exits non-zero', async () => {
    const u = new URL(db.url);
    u.port = '1'; // nothing listens on port 1
    const r = await runCli(['doctor'], cleanEnv({ DATABASE_URL: u.toString() }));
    assert.notEqual(r.code, 0);
    assert.equal((r.stdout.match(/^\[FAIL\]/gm) ?? []).length, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /0\/4 checks passed/);
  });
});

describe('parley on the embedded default (no DATABASE_URL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
  after(async () => {
    killAll([], [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('doctor initialises the data directory, passes all four checks and leaves no postgres running', async () => {
    const env = cleanEnv({ PARLEY_DATA_DIR: dir });
    const r = await runCli(['doctor'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((r.stdout.match(/^\[PASS\]/gm) ?? []).length, 4, r.stdout);
    assert.deepEqual(await noPostgresLeft(dir), []);
    const m = await runCli(['migrate'], env);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /schema is up to date/);
    assert.deepEqual(await noPostgresLeft(dir), []);
  });
});

describe('parley keys', () => {
  const db = databaseForSuite();
  const env = () => cleanEnv({ DATABASE_URL: db.url });

  test('create prints a key once (only its hash is stored), list shows it, revoke refuses it', async () => {
    const unmigrated = await runCli(['keys', 'list'], env());
    assert.equal(unmigrated.code, 1);
    assert.match(unmigrated.stderr, /run `parley migrate` first/);
    assert.equal((await runCli(['migrate'], env())).code, 0);
    const made = await runCli(['keys', 'create', '--name', 'booking-service'], env());
    assert.equal(made.code, 0, made.stderr);
    const key = made.stdout.split('\n')[0]!;
    assert.match(key, /^psk_[\w]+_[\w-]{43}$/);
    const id = /Server key (\S+) /.exec(made.stdout)![1]!;
    const [row] = await db.sql`SELECT name, hash FROM server_keys WHERE id = ${id}`;
    assert.equal(row!.name, 'booking-service');
    assert.equal(JSON.stringify(await db.sql`SELECT * FROM server_keys`).includes(key.slice(-20)), false);
    const list = await runCli(['keys', 'list'], env());
    assert.match(list.stdout, new RegExp(`^${id}\tbooking-service\tcreated \\S+\tlast used never$`, 'm'));
    const revoked = await runCli(['keys', 'revoke', id], env());
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match((await runCli(['keys', 'list'], env())).stdout, new RegExp(`^${id}\t.*\trevoked \\S+$`, 'm'));
    const [after] = await db.sql`SELECT revoked_at FROM server_keys WHERE id = ${id}`;
    assert.notEqual(after!.revoked_at, null);
  });

  test('bad arguments exit 2 with a message; an unknown id exits 1', async () => {
    assert.equal((await runCli(['keys', 'create'], env())).code, 2);
    assert.equal((await runCli(['keys'], env())).code, 2);
    const unknown = await runCli(['keys', 'revoke', 'nope'], env());
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no server key nope/);
  });
});

describe('parley token', () => {
  const secret = 'cli-test-secret-0123456789abcdef0123';
  test('prints an HS256 JWT with sub, name and exp that verifies with PARLEY_JWT_SECRET', async () => {
    const r = await runCli(
      ['token', 'alice', '--name', 'Alice', '--ttl', '1h'],
      cleanEnv({ PARLEY_JWT_SECRET: secret }),
    );
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(decodeProtectedHeader(token).alg, 'HS256');
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.name, 'Alice');
    const now = Date.now() / 1000;
    assert.ok(payload.exp! > now + 3500 && payload.exp! <= now + 3600 + 5, `exp ${payload.exp} is about 1 h away`);
    await assert.rejects(jwtVerify(token, new TextEncoder().encode(`${secret}x`)));
  });

  test('without PARLEY_JWT_SECRET it signs with the data directory secret, the one serve uses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-token-'));
    try {
      const env = cleanEnv({ PARLEY_DATA_DIR: dir });
      const a = await runCli(['token', 'bob'], env);
      const b = await runCli(['token', 'bob'], env);
      assert.equal(a.code, 0, a.stderr);
      const key = new TextEncoder().encode(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim());
      for (const t of [a.stdout.trim(), b.stdout.trim()]) {
        const { payload } = await jwtVerify(t, key);
        assert.equal(payload.sub, 'bob');
        assert.equal(payload.name, undefined);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad arguments exit 2 with a message', async () => {
    const env = cleanEnv({ PARLEY_JWT_SECRET: secret });
    const none = await runCli(['token'], env);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /user id/);
    const long = await runCli(['token', 'x'.repeat(129)], env);
    assert.equal(long.code, 2);
    const ttl = await runCli(['token', 'alice', '--ttl', 'soon'], env);
    assert.notEqual(ttl.code, 0);
    assert.match(ttl.stderr, /ttl/);
    assert.equal(ttl.stdout, '');
  });
});

describe('parley usage', () => {
  test('an unknown command exits 2 and shows the usage', async () => {
    const r = await runCli(['frobnicate'], cleanEnv());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    assert.match(r.stderr, /serve[\s\S]*migrate[\s\S]*doctor[\s\S]*token/);
  });

  test('npx parley runs the package bin', async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('npx', ['--no-install', 'parley', '--help'], { cwd: ROOT, env: cleanEnv() });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.once('exit', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage: parley/);
  });

  test('--help exits 0; no command exits 2', async () => {
    const help = await runCli(['--help'], cleanEnv());
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: parley/);
    const none = await runCli([], cleanEnv());
    assert.equal(none.code, 2);
  });
});
