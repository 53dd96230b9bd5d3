/**
 * GET /server/channels/{id}/export and /server/users/{id}/export: JSON Lines of everything kept
 * (original text of edited and deleted messages included), server key only, audited, and streamed
 * from a cursor (a reader that stops holds the export where it is; the server does not build it).
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { createServerKey } from '../../src/db/server-keys.ts';
import { type HttpResult, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, send, until } from './lib.ts';

let s: TestServer;
let key: string;
before(async () => {
  s = await startTestServer();
  key = (await createServerKey(s.sql, 'export-tests')).key;
});
after(async () => {
  await s.close();
});

function server(method: string, path: string, body?: unknown): Promise<HttpResult> {
  return s.raw(method, `/api/v1${path}`, { body, headers: { authorization: `Bearer ${key}` } });
}

// biome-ignore lint/suspicious/noExplicitAny: tests read exported objects field by field
type Line = { type: string; data: any } & Record<string, unknown>;

async function exportOf(path: string): Promise<{ res: HttpResult; lines: Line[] }> {
  const res = await server('GET', path);
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
  assert.match(res.headers.get('content-type') ?? '', /^application\/x-ndjson/);
  const text = res.body as string;
  assert.ok(text.endsWith('\n'));
  const lines = text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
  assert.equal(lines[0]!.type, 'export');
  assert.deepEqual(lines.at(-1), { type: 'end', data: { lines: lines.length } });
  return { res, lines };
}

const ofType = (lines: Line[], type: string) => lines.filter((l) => l.type === type);

/** A channel with one of everything an export holds. */
async function busyChannel(prefix: string) {
  const owner = `${prefix}-owner`;
  const bob = `${prefix}-bob`;
  const ch = await group(s, owner, [bob, `${prefix}-carol`]);
  const edited = await send(s, bob, ch, 'ORIGINAL-EDITED');
  const deleted = await send(s, bob, ch, 'ORIGINAL-DELETED');
  const reply = await send(s, owner, ch, { content: 'a reply', parent_message_id: edited.id });
  assert.equal((await s.as(bob).patch(`/api/v1/messages/${edited.id}`, { content: 'now edited' })).status, 200);
  assert.equal((await s.as(bob).delete(`/api/v1/messages/${deleted.id}`)).status, 204);
  assert.equal((await s.as(owner).put(`/api/v1/messages/${reply.id}/reactions/%F0%9F%91%8D`)).status, 200);
  assert.equal((await s.as(owner).post(`/api/v1/messages/${edited.id}/reports`, { reason: 'check this' })).status, 201);
  assert.equal((await s.as(owner).post(`/api/v1/channels/${ch}/bans`, { user_id: `${prefix}-carol` })).status, 201);
  await s.sql`
    INSERT INTO attachments (uploader_id, message_id, file_name, file_type, file_size, storage_key)
    VALUES (${owner}, ${reply.id}, 'notes.pdf', 'application/pdf', 1234, 'secret/storage/key')`;
  assert.equal((await server('PUT', `/server/channels/${ch}/hold`, { reason: 'subpoena' })).status, 201);
  return { ch, owner, bob, edited, deleted, reply };
}

test('a channel export holds everything kept, one object per line with its type', async () => {
  const { ch, edited, deleted, reply } = await busyChannel('c');
  const { res, lines } = await exportOf(`/server/channels/${ch}/export`);
  assert.equal(res.headers.get('content-length'), null, 'streamed, not sized in advance');
  assert.deepEqual(
    [...new Set(lines.map((l) => l.type))],
    ['export', 'channel', 'member', 'message', 'attachment', 'reaction', 'revision', 'report', 'ban', 'audit', 'end'],
  );
  assert.equal(lines[0]!.data.scope, 'channel');
  const [channel] = ofType(lines, 'channel');
  assert.equal(channel!.data.id, ch);
  assert.equal(channel!.data.legal_hold.reason, 'subpoena');
  assert.equal(ofType(lines, 'member').length, 2, 'owner and bob (carol was banned)');
  const messages = ofType(lines, 'message');
  assert.deepEqual(
    messages.map((m) => m.data.id),
    [edited.id, deleted.id, reply.id],
  );
  assert.equal(messages[0]!.data.content, 'now edited');
  assert.equal(messages[1]!.data.content, '', 'a deleted message shows as deleted ...');
  const revisions = ofType(lines, 'revision');
  assert.deepEqual(
    revisions.map((r) => [r.data.message_id, r.data.kind, r.data.content]),
    [
      [edited.id, 'edit', 'ORIGINAL-EDITED'],
      [deleted.id, 'delete', 'ORIGINAL-DELETED'],
    ],
    '... and its original text is in a revision',
  );
  const [attachment] = ofType(lines, 'attachment');
  assert.equal(attachment!.data.file_name, 'notes.pdf');
  assert.equal(attachment!.data.message_id, reply.id);
  assert.equal('storage_key' in attachment!.data, false, 'where the bytes are is not exported');
  assert.equal('thumbnail_key' in attachment!.data, false, 'nor where its thumbnail is');
  assert.equal(ofType(lines, 'reaction')[0]!.data.message_id, reply.id);
  assert.equal(ofType(lines, 'report')[0]!.data.reason, 'check this');
  assert.equal(ofType(lines, 'ban')[0]!.data.user_id, 'c-carol');
  const audit = ofType(lines, 'audit').map((a) => a.data.action);
  for (const a of ['member.ban', 'channel.hold', 'channel.export']) assert.ok(audit.includes(a), a);
});

test('a user export holds their memberships, messages, revisions, reactions, reports, bans and audit', async () => {
  const { ch, bob, edited, deleted } = await busyChannel('u');
  const { lines } = await exportOf(`/server/users/${bob}/export`);
  assert.equal(lines[0]!.data.scope, 'user');
  assert.equal(ofType(lines, 'user')[0]!.data.id, bob);
  assert.deepEqual(
    ofType(lines, 'member').map((m) => m.data.channel_id),
    [ch],
  );
  assert.deepEqual(
    ofType(lines, 'message').map((m) => m.data.id),
    [edited.id, deleted.id],
  );
  assert.deepEqual(
    ofType(lines, 'revision').map((r) => r.data.content),
    ['ORIGINAL-EDITED', 'ORIGINAL-DELETED'],
  );
  assert.equal(ofType(lines, 'report').length, 1, 'the report of their message');
  const carol = await exportOf('/server/users/u-carol/export');
  assert.equal(ofType(carol.lines, 'ban').length, 1);
  assert.ok(ofType(carol.lines, 'audit').some((a) => a.data.action === 'member.ban'));
  // The export itself is audited.
  const entries = await server('GET', `/server/audit?user_id=${bob}`);
  assert.ok(entries.body.entries.some((e: { action: string }) => e.action === 'user.export'));
});

test('only a server key; unknown ids 404; bad ids 400', async () => {
  const ch = await group(s, 'x-owner', []);
  assertError(await s.as('x-owner').get(`/api/v1/server/channels/${ch}/export`), 403, 'forbidden');
  assertError(await s.as('x-owner').get('/api/v1/server/users/x-owner/export'), 403, 'forbidden');
  assertError(await server('GET', '/server/channels/00000000-0000-4000-8000-000000000000/export'), 404, 'not_found');
  assertError(await server('GET', '/server/users/nobody-at-all/export'), 404, 'not_found');
  assertError(await server('GET', '/server/channels/not-a-uuid/export'), 400, 'invalid_request');
  assertError(await server('GET', `/server/users/${'u'.repeat(129)}/export`), 400, 'invalid_request');
});

test('it streams from a cursor: a reader that stops holds the export part-way; then it all arrives', async () => {
  const ch = await group(s, 'big-owner', []);
  const N = 20_000;
  await s.sql`
    INSERT INTO channel_messages (channel_id, user_id, content)
    SELECT ${ch}, 'big-owner', repeat('x', 2000) || i FROM generate_series(1, ${N}) i`;
  const url = new URL(`/api/v1/server/channels/${ch}/export`, s.url);
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(url, { headers: { authorization: `Bearer ${key}` } }, (res) => {
      assert.equal(res.statusCode, 200);
      let bytes = 0;
      let tail = '';
      let lines = 0;
      res.once('data', async (first: Buffer) => {
        res.pause();
        bytes += first.length;
        try {
          // The reader has stopped: the server is not done (its cursor over the messages is open,
          // waiting on the socket), and far from everything has been sent, however long we wait.
          await until(
            async () => {
              const rows = await s.sql`
                SELECT count(*)::int AS n FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND query LIKE ${"%'type', 'message', 'data', parley_message_json(m)%"}`;
              return rows[0]!.n > 0;
            },
            10_000,
            'the export to wait for its reader',
          );
          await new Promise((r) => setTimeout(r, 500));
          assert.ok(bytes < (N * 2000) / 4, `only the first part was sent (${bytes} bytes)`);
          const [still] = await s.sql`
            SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE ${"%'type', 'message', 'data', parley_message_json(m)%"}`;
          assert.equal(still!.n, 1, 'the cursor is still open while the reader waits');
        } catch (err) {
          reject(err);
          req.destroy();
          return;
        }
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          const text = tail + chunk.toString('utf8');
          const parts = text.split('\n');
          tail = parts.pop()!;
          lines += parts.length;
        });
        res.on('end', () => {
          try {
            lines += (first.toString('utf8').match(/\n/g) ?? []).length;
            assert.ok(bytes > N * 2000, `everything arrived (${bytes} bytes)`);
            assert.equal(lines, N + 5, 'header, channel, its owner, the messages, the audit of the export, end');
            resolve();
          } catch (err) {
            reject(err);
          }
        });
        res.resume();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
});
