/**
 * First start anywhere: as root, from a clone inside a directory nobody else may enter (mode 0700, as
 * root's home or `mktemp -d`), `npm start` serves and the test runner's embedded PostgreSQL runs,
 * although PostgreSQL itself runs as the `postgres` user, who cannot reach node_modules or .parley
 * there. A second start finds the same database; the binaries are copied once.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EmbeddedPostgres, freePort } from '../../src/db/embedded.ts';
import { request } from '../helpers/server.ts';
import { cleanEnv, exitWithin, groupMembers, ROOT, type Served, waitReady } from './lib.ts';

const root = userInfo().uid === 0;
const skip = root ? false : 'only root meets this (PostgreSQL then runs as the postgres user); run the tests as root';

let closed = ''; // the 0700 directory
let clone = '';
let home = ''; // PARLEY_EMBEDDED_HOME, fresh, so the copy of the binaries is made by this test
const served: Served[] = [];

before(() => {
  if (!root) return;
  closed = mkdtempSync(join(tmpdir(), 'parley-closed-'));
  chmodSync(closed, 0o700);
  clone = join(closed, 'parley');
  // The working tree as it is (tracked and new files), not only what is committed.
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT })
    .toString()
    .split('\0')
    .filter((f) => f && f !== 'node_modules' && existsSync(join(ROOT, f)));
  for (const f of files) {
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    cpSync(join(ROOT, f), join(clone, f));
  }
  // Hard links: the files of an `npm install`, inside the closed tree, at no cost in space.
  execFileSync('cp', ['-al', realpathSync(join(ROOT, 'node_modules')), join(clone, 'node_modules')]);
  home = mkdtempSync(join(tmpdir(), 'parley-home-'));
});

after(() => {
  for (const s of served) if (s.child.exitCode === null && s.child.signalCode === null) s.signal('SIGKILL', true);
  if (closed) rmSync(closed, { recursive: true, force: true });
  if (home) rmSync(home, { recursive: true, force: true });
});

function npmStart(port: number): Served {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: clone,
    env: cleanEnv({ PORT: String(port), PARLEY_EMBEDDED_HOME: home }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-40_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const s: Served = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    exited: new Promise((r) => child.once('exit', (code, signal) => r({ code, signal }))),
    signal: (sig, group) => {
      try {
        process.kill(group ? -child.pid! : child.pid!, sig);
      } catch {
        // gone
      }
    },
  };
  served.push(s);
  return s;
}

async function stop(s: Served): Promise<void> {
  s.signal('SIGTERM');
  const exit = await exitWithin(s, 20_000);
  assert.ok(exit, `npm start did not stop:\n${s.output()}`);
  assert.deepEqual(groupMembers(s.child.pid!), [], 'nothing of npm start is left running');
}

describe('first start from a clone in a 0700 directory, as root', { skip }, () => {
  let channelId = '';
  let token = '';

  test('npm start serves with the default data directory (./.parley inside the closed tree)', async () => {
    assert.equal(statSync(closed).mode & 0o777, 0o700, 'nobody but root may enter');
    const s = npmStart(await freePort());
    await waitReady(s, 120_000);
    assert.doesNotMatch(s.output(), /EACCES/);
    const dev = await request(s.url, 'POST', '/api/v1/dev/token', { body: { user_id: 'alice' } });
    assert.equal(dev.status, 200, JSON.stringify(dev.body));
    token = dev.body.token as string;
    const ch = await request(s.url, 'POST', '/api/v1/channels', {
      headers: { authorization: `Bearer ${token}` },
      body: { type: 'group', name: 'first start' },
    });
    assert.equal(ch.status, 201, JSON.stringify(ch.body));
    channelId = ch.body.id as string;

    // Where things went: the cluster under the embedded home, linked from .parley/pg; the binaries
    // copied there once; nothing the postgres user would need left in the closed tree.
    const link = join(clone, '.parley', 'pg');
    assert.ok(lstatSync(link).isSymbolicLink(), '.parley/pg points to the cluster');
    const cluster = readlinkSync(link);
    assert.ok(cluster.startsWith(join(home, 'clusters')), cluster);
    assert.ok(existsSync(join(cluster, 'PG_VERSION')));
    const copies = readdirSync(join(home, 'postgres'));
    assert.equal(copies.length, 1, `one copy of the binaries: ${copies.join(', ')}`);
    assert.equal(statSync(home).mode & 0o777, 0o755);
    await stop(s);
  });

  test('a second start uses the same database (and the same copy of the binaries)', async () => {
    assert.ok(channelId, 'runs after the first start');
    const s = npmStart(await freePort());
    await waitReady(s, 120_000);
    const got = await request(s.url, 'GET', `/api/v1/channels/${channelId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(got.body.name, 'first start');
    assert.equal(readdirSync(join(home, 'postgres')).length, 1);
    await stop(s);
  });

  test("npm test's embedded PostgreSQL runs from the clone (with its temporary data inside the closed tree)", async () => {
    const tmp = join(clone, 'tmp');
    mkdirSync(tmp);
    const env = cleanEnv({ PARLEY_EMBEDDED_HOME: home, TMPDIR: tmp });
    delete env.TEST_DATABASE_URL; // the runner's own embedded PostgreSQL, not the one this run uses
    delete env.NODE_TEST_CONTEXT; // a run of its own, not a subtest of this one
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/run.ts', 'test/smoke.test.ts'], {
        cwd: clone,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      child.once('exit', (code) => resolve({ code, out }));
    });
    assert.match(r.out, /embedded PostgreSQL for this run/, r.out);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /# fail 0/, r.out);
    // Its temporary cluster (placed under the embedded home) went with its data directory.
    assert.deepEqual(
      readdirSync(join(home, 'clusters')).filter((d) => d.includes('parley-test-')),
      [],
      'no cluster of the run is left',
    );
  });
});

describe('as root, what cannot work says what to do', { skip }, () => {
  test('a cluster already inside a closed tree: the error names the directory and the fix, not EACCES', async () => {
    const dataDir = join(closed, 'old-data');
    mkdirSync(join(dataDir, 'pg'), { recursive: true });
    writeFileSync(join(dataDir, 'pg', 'PG_VERSION'), '18\n');
    const pg = new EmbeddedPostgres({ dataDir, home });
    await assert.rejects(pg.start(), (err: Error) => {
      assert.doesNotMatch(err.message, /^.*EACCES$/);
      assert.match(err.message, /cannot reach/);
      assert.match(err.message, /chmod o\+x|PARLEY_DATA_DIR/);
      return true;
    });
  });

  test('an embedded home others may write to is refused (it would hold binaries root runs)', async () => {
    const unsafe = mkdtempSync(join(tmpdir(), 'parley-unsafe-'));
    try {
      chmodSync(unsafe, 0o777);
      const pg = new EmbeddedPostgres({ dataDir: join(closed, 'unsafe-data'), home: unsafe });
      await assert.rejects(pg.start(), /must be a directory owned by root and writable by root alone/);
    } finally {
      rmSync(unsafe, { recursive: true, force: true });
    }
  });
});
