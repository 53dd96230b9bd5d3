/**
 * `parley export --channel ID | --user ID [--out FILE]`: the real command against a real database
 * (DATABASE_URL, as `parley keys` uses it), the same JSON Lines as the server API, audited as `cli`;
 * bad arguments exit 2 and an unknown id exits 1, leaving no file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { databaseForSuite } from '../helpers/db.ts';
import { cleanEnv, runCli } from './lib.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: the test reads exported objects field by field
type Line = { type: string; data: any };
const parse = (text: string): Line[] =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

describe('parley export', () => {
  const db = databaseForSuite();
  const env = () => cleanEnv({ DATABASE_URL: db.url });
  let channel = '';
  let message = '';

  test('setup: migrate, and a channel written with plain SQL (an edit included)', async () => {
    const m = await runCli(['migrate'], env());
    assert.equal(m.code, 0, m.stderr);
    await db.sql`INSERT INTO users (id, name) VALUES ('cli-ann', 'Ann'), ('cli-ben', 'Ben')`;
    const [c] = await db.sql`INSERT INTO channels (type, name) VALUES ('group', 'lessons') RETURNING id`;
    channel = c!.id as string;
    await db.sql`
      INSERT INTO channel_members (channel_id, user_id, role) VALUES (${channel}, 'cli-ann', 'owner'), (${channel}, 'cli-ben', 'member')`;
    const [msg] = await db.sql`
      INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channel}, 'cli-ben', 'first words') RETURNING id`;
    message = msg!.id as string;
    await db.sql`UPDATE channel_messages SET content = 'second words', edited_at = now() WHERE id = ${message}`;
  });

  test('--channel writes the channel to stdout, the original text included, and is audited', async () => {
    const r = await runCli(['export', '--channel', channel], env());
    assert.equal(r.code, 0, r.stderr);
    const lines = parse(r.stdout);
    assert.deepEqual(
      lines.map((l) => l.type),
      ['export', 'channel', 'member', 'member', 'message', 'revision', 'audit', 'end'],
    );
    assert.equal(lines[1]!.data.name, 'lessons');
    assert.equal(lines[4]!.data.content, 'second words');
    assert.equal(lines[5]!.data.content, 'first words');
    assert.equal(lines[6]!.data.actor, 'cli');
    assert.equal(lines[6]!.data.action, 'channel.export');
    assert.deepEqual(lines.at(-1)!.data, { lines: lines.length });
  });

  test('--user --out FILE writes the file and says so on stderr', async () => {
    const out = join(dir, 'ben.jsonl');
    const r = await runCli(['export', '--user', 'cli-ben', '--out', out], env());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /wrote .*ben\.jsonl/);
    const lines = parse(readFileSync(out, 'utf8'));
    assert.equal(lines[0]!.data.scope, 'user');
    assert.equal(lines.find((l) => l.type === 'user')!.data.name, 'Ben');
    assert.deepEqual(
      lines.filter((l) => l.type === 'revision').map((l) => l.data.content),
      ['first words'],
    );
  });

  test('parley keys create and revoke are in the audit too (actor cli)', async () => {
    const made = await runCli(['keys', 'create', '--name', 'audited-key'], env());
    assert.equal(made.code, 0, made.stderr);
    const [key] = await db.sql`SELECT id FROM server_keys WHERE name = 'audited-key'`;
    const revoked = await runCli(['keys', 'revoke', key!.id as string], env());
    assert.equal(revoked.code, 0, revoked.stderr);
    const rows = await db.sql`SELECT actor, action, target FROM audit_log WHERE action LIKE 'key.%' ORDER BY id`;
    assert.deepEqual(
      rows.map((r) => [r.actor, r.action, r.target]),
      [
        ['cli', 'key.create', key!.id],
        ['cli', 'key.revoke', key!.id],
      ],
    );
  });

  test('bad arguments exit 2; an unknown id exits 1 and leaves no file', async () => {
    for (const args of [
      ['export'],
      ['export', '--channel', channel, '--user', 'cli-ben'],
      ['export', '--channel', 'not-a-uuid'],
      ['export', '--user', 'x'.repeat(129)],
      ['export', '--channel'],
    ]) {
      const r = await runCli(args, env());
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /parley export/);
    }
    const out = join(dir, 'none.jsonl');
    const r = await runCli(['export', '--channel', '00000000-0000-4000-8000-000000000000', '--out', out], env());
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no such channel/);
    assert.equal(existsSync(out), false);
  });
});
