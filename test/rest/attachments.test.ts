import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import WebSocket from 'ws';
import { uploadsDirOf } from '../../src/config.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { download, upload } from './attachments-lib.ts';
import { assertError, group, MISSING_UUID, send, storesNothing, UUID_RE, until } from './lib.ts';

let s: TestServer;
let png: Buffer;
before(async () => {
  // The background sweep never runs during these tests; the sweep test calls it itself.
  s = await startTestServer({ uploadSweepMs: 3_600_000, maxAttachmentsPerMessage: 3 });
  png = await sharp({ create: { width: 1200, height: 600, channels: 3, background: '#36c' } })
    .png()
    .toBuffer();
});
after(async () => {
  await s.close();
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const up = async (user: string, bytes: Uint8Array, name: string, field?: string) =>
  upload(s.url, await s.token(user), bytes, name, { field });
const get = async (user: string | null, path: string, headers: Record<string, string> = {}) =>
  download(s.url, path, user ? { authorization: `Bearer ${await s.token(user)}`, ...headers } : headers);
/** Files in the fs store (not counting uploads being staged). */
const storedFiles = (srv: TestServer = s) => {
  const dir = uploadsDirOf(srv.parley.config);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
};
const staged = (srv: TestServer = s) => storedFiles(srv).filter((f) => f.includes('.staging'));

test('upload and download: a PNG named .txt is sniffed as image/png, measured, hashed, served inline', async () => {
  const res = await up('at-alice', png, 'holiday.txt');
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const a = res.body;
  assert.deepEqual(Object.keys(a).sort(), [
    'file_name',
    'file_size',
    'file_type',
    'file_url',
    'height',
    'id',
    'sha256',
    'thumbnail_url',
    'width',
  ]);
  assert.match(a.id, UUID_RE);
  assert.equal(a.file_url, `/api/v1/attachments/${a.id}`);
  assert.equal(a.thumbnail_url, `/api/v1/attachments/${a.id}?thumbnail=1`);
  assert.equal(a.file_name, 'holiday.txt');
  assert.equal(a.file_type, 'image/png');
  assert.equal(a.file_size, png.length);
  assert.equal(a.sha256, sha(png));
  assert.equal(a.width, 1200);
  assert.equal(a.height, 600);
  const got = await get('at-alice', a.file_url);
  assert.equal(got.status, 200);
  assert.ok(got.bytes.equals(png));
  assert.equal(got.headers.get('content-type'), 'image/png');
  assert.equal(got.headers.get('content-length'), String(png.length));
  assert.equal(got.headers.get('content-disposition'), `inline; filename="holiday.txt"; filename*=UTF-8''holiday.txt`);
  assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
  assert.match(got.headers.get('content-security-policy') ?? '', /default-src 'none'.*sandbox/);
  assert.equal(got.headers.get('etag'), `"${sha(png)}"`);
  assert.equal(got.headers.get('accept-ranges'), 'bytes');
  // Stored by a random key, never by the client's name; nothing left in staging.
  assert.ok(storedFiles().some((f) => f.endsWith(`.thumb`)));
  assert.ok(!storedFiles().some((f) => f.includes('holiday')));
  assert.deepEqual(staged(), []);
});

test('an HTML file named .png is served as application/octet-stream, as an attachment', async () => {
  const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
  const res = await up('at-alice', html, 'cat.png');
  assert.equal(res.status, 201);
  assert.equal(res.body.file_type, 'application/octet-stream');
  assert.equal(res.body.width, undefined);
  assert.equal(res.body.thumbnail_url, undefined);
  const got = await get('at-alice', res.body.file_url);
  assert.equal(got.status, 200);
  assert.ok(got.bytes.equals(html));
  assert.equal(got.headers.get('content-type'), 'application/octet-stream');
  assert.match(got.headers.get('content-disposition') ?? '', /^attachment; /);
  assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
  // A thumbnail exists only for images.
  const thumb = await get('at-alice', `${res.body.file_url}?thumbnail=1`);
  assert.equal(thumb.status, 404);
  assert.equal((thumb.json() as { error: { code: string } }).error.code, 'not_found');
});

test('file_name is for display: no directories, no control or bidi characters, a safe header', async () => {
  const res = await up('at-alice', Buffer.from('x'), '../../etc/pass\u202Ewd\u0007 résumé.pdf');
  assert.equal(res.status, 201);
  assert.equal(res.body.file_name, 'passwd résumé.pdf');
  const got = await get('at-alice', res.body.file_url);
  assert.equal(
    got.headers.get('content-disposition'),
    `attachment; filename="passwd r_sum_.pdf"; filename*=UTF-8''passwd%20r%C3%A9sum%C3%A9.pdf`,
  );
  const long = `${'a'.repeat(400)}.jpeg`;
  const l = await up('at-alice', Buffer.from('x'), long);
  assert.equal([...l.body.file_name].length, 255);
  assert.ok(l.body.file_name.endsWith('a.jpeg'));
});

test('ETag and If-None-Match give 304; Range gives 206, and 416 when unsatisfiable', async () => {
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  const a = (await up('at-alice', bytes, 'data.bin')).body;
  const etag = `"${sha(bytes)}"`;
  const cached = await get('at-alice', a.file_url, { 'if-none-match': etag });
  assert.equal(cached.status, 304);
  assert.equal(cached.bytes.length, 0);
  assert.equal(cached.headers.get('etag'), etag);
  assert.equal((await get('at-alice', a.file_url, { 'if-none-match': '"other"' })).status, 200);
  const part = await get('at-alice', a.file_url, { range: 'bytes=10-19' });
  assert.equal(part.status, 206);
  assert.ok(part.bytes.equals(bytes.subarray(10, 20)));
  assert.equal(part.headers.get('content-range'), 'bytes 10-19/1000');
  assert.equal(part.headers.get('content-length'), '10');
  const tail = await get('at-alice', a.file_url, { range: 'bytes=-5' });
  assert.equal(tail.status, 206);
  assert.ok(tail.bytes.equals(bytes.subarray(995)));
  const open = await get('at-alice', a.file_url, { range: 'bytes=990-' });
  assert.ok(open.bytes.equals(bytes.subarray(990)));
  const past = await get('at-alice', a.file_url, { range: 'bytes=1000-2000' });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get('content-range'), 'bytes */1000');
  assert.equal((past.json() as { error: { code: string } }).error.code, 'range_not_satisfiable');
  // A stale If-Range: the whole file.
  const stale = await get('at-alice', a.file_url, { range: 'bytes=0-1', 'if-range': '"old"' });
  assert.equal(stale.status, 200);
  assert.equal(stale.bytes.length, 1000);
});

test('?thumbnail=1: a WebP at most 400 px on its longer side, in proportion', async () => {
  const a = (await up('at-alice', png, 'wide.png')).body;
  const t = await get('at-alice', a.thumbnail_url);
  assert.equal(t.status, 200);
  assert.equal(t.headers.get('content-type'), 'image/webp');
  const meta = await sharp(t.bytes).metadata();
  assert.equal(meta.format, 'webp');
  assert.equal(meta.width, 400);
  assert.equal(meta.height, 200);
  const tall = await sharp({ create: { width: 90, height: 1000, channels: 4, background: '#0000' } })
    .png()
    .toBuffer();
  const b = (await up('at-alice', tall, 'tall.png')).body;
  const tm = await sharp((await get('at-alice', b.thumbnail_url)).bytes).metadata();
  assert.equal(tm.height, 400);
  assert.equal(tm.width, 36);
  // A small image is not enlarged.
  const small = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#fff' } })
    .jpeg()
    .toBuffer();
  const c = (await up('at-alice', small, 'small.jpg')).body;
  assert.equal(c.file_type, 'image/jpeg');
  const sm = await sharp((await get('at-alice', c.thumbnail_url)).bytes).metadata();
  assert.deepEqual([sm.width, sm.height], [40, 30]);
});

test('access: uploader, members now (also with ?access_token=), 403 for others, 404 unknown', async () => {
  const ch = await group(s, 'ac-owner', ['ac-member', 'ac-leaver']);
  const a = (await up('ac-owner', png, 'p.png')).body;
  // Not yet sent: only its uploader.
  assert.equal((await get('ac-owner', a.file_url)).status, 200);
  const early = await get('ac-member', a.file_url);
  assert.equal(early.status, 403);
  await send(s, 'ac-owner', ch, { content: 'look', attachment_ids: [a.id] });
  const member = await get('ac-member', a.file_url);
  assert.equal(member.status, 200);
  assert.ok(member.bytes.equals(png));
  assert.equal((await get('ac-member', a.thumbnail_url)).status, 200);
  // <img src>: the token in the query, no header.
  const viaQuery = await get(null, `${a.file_url}?access_token=${await s.token('ac-member')}`);
  assert.equal(viaQuery.status, 200);
  assert.equal((await get(null, `${a.thumbnail_url}&access_token=${await s.token('ac-member')}`)).status, 200);
  assert.equal((await get(null, a.file_url)).status, 401);
  const outsider = await get('ac-outsider', a.file_url);
  assert.equal(outsider.status, 403);
  assert.equal((outsider.json() as { error: { code: string } }).error.code, 'forbidden');
  assert.equal((await get('ac-outsider', a.thumbnail_url)).status, 403);
  // Judged at request time: a member removed since is refused.
  assert.equal((await get('ac-leaver', a.file_url)).status, 200);
  assert.equal((await s.as('ac-owner').delete(`/api/v1/channels/${ch}/members/ac-leaver`)).status, 204);
  assert.equal((await get('ac-leaver', a.file_url)).status, 403);
  const unknown = await get('ac-owner', `/api/v1/attachments/${MISSING_UUID}`);
  assert.equal(unknown.status, 404);
  assert.equal((unknown.json() as { error: { code: string } }).error.code, 'not_found');
  assert.equal((await get('ac-owner', '/api/v1/attachments/not-a-uuid')).status, 400);
});

test("a deleted message's files are served to nobody", async () => {
  const ch = await group(s, 'del-owner', ['del-member']);
  const a = (await up('del-owner', png, 'p.png')).body;
  const m = await send(s, 'del-owner', ch, { content: 'oops', attachment_ids: [a.id] });
  assert.equal((await get('del-member', a.file_url)).status, 200);
  assert.equal((await s.as('del-owner').delete(`/api/v1/messages/${m.id}`)).status, 204);
  for (const user of ['del-member', 'del-owner']) {
    assert.equal((await get(user, a.file_url)).status, 404, user);
    assert.equal((await get(user, a.thumbnail_url)).status, 404, user);
  }
  const history = await s.as('del-member').get(`/api/v1/channels/${ch}/messages`);
  assert.deepEqual(history.body.messages[0].attachments, []);
});

test('attachment_ids: the reply, history and new_message over SSE carry the attachments', async () => {
  const ch = await group(s, 'ev-alice', ['ev-bob']);
  const a = (await up('ev-alice', png, 'one.png')).body;
  const b = (await up('ev-alice', Buffer.from('%PDF-1.4\n%\u00e2\u00e3\n'), 'two.pdf')).body;
  const sse = await s.sse('ev-bob');
  try {
    const m = await send(s, 'ev-alice', ch, { content: 'files', attachment_ids: [a.id, b.id] });
    assert.deepEqual(
      m.attachments.map((x: { id: string }) => x.id),
      [a.id, b.id],
    );
    assert.deepEqual(m.attachments[0], a);
    await sse.waitFor((evs) => evs.some((e) => e.type === 'new_message'), 5000, 'new_message');
    const ev = sse.of('new_message')[0]!;
    assert.deepEqual(ev.data.attachments, m.attachments);
    const page = await s.as('ev-bob').get(`/api/v1/channels/${ch}/messages`);
    assert.deepEqual(page.body.messages.at(-1).attachments, m.attachments);
    const [row] = await s.sql`SELECT message_id, attached_at FROM attachments WHERE id = ${a.id}`;
    assert.equal(row!.message_id, m.id);
    assert.ok(row!.attached_at instanceof Date);
  } finally {
    sse.close();
  }
});

test("attachment_ids: someone else's upload, a reused one, an unknown id, too many: 400 and nothing changes", async () => {
  const ch = await group(s, 'ids-alice', ['ids-bob']);
  const bobs = (await up('ids-bob', Buffer.from('b'), 'b.bin')).body;
  const used = (await up('ids-alice', Buffer.from('u'), 'u.bin')).body;
  await send(s, 'ids-alice', ch, { content: 'first', attachment_ids: [used.id] });
  const mine = await Promise.all([1, 2, 3, 4].map(async (i) => (await up('ids-alice', Buffer.from([i]), `${i}`)).body));
  const post = (ids: string[]) =>
    s.as('ids-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'x', attachment_ids: ids });
  await storesNothing(s, async () => {
    assertError(await post([bobs.id]), 400, 'invalid_request', 'body.attachment_ids');
    assertError(await post([used.id]), 400, 'invalid_request', 'body.attachment_ids');
    assertError(await post([mine[0].id, MISSING_UUID]), 400, 'invalid_request', 'body.attachment_ids');
    assertError(await post(mine.map((x: { id: string }) => x.id)), 400, 'invalid_request', 'body.attachment_ids');
    assertError(await post(['nope']), 400, 'invalid_request');
  });
  // The refused sends linked nothing: the uploads are still free to send.
  const ok = await send(s, 'ids-alice', ch, { content: 'now', attachment_ids: [mine[0].id] });
  assert.equal(ok.attachments.length, 1);
});

test('two sends racing for one upload: exactly one message carries it, the other is refused', async () => {
  const ch = await group(s, 'race-alice');
  const a = (await up('race-alice', Buffer.from('r'), 'r.bin')).body;
  const results = await Promise.all(
    [1, 2, 3].map((i) =>
      s.as('race-alice').post(`/api/v1/channels/${ch}/messages`, { content: `try ${i}`, attachment_ids: [a.id] }),
    ),
  );
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 400, 400]);
  const [n] = await s.sql`SELECT count(*)::int AS n FROM channel_messages WHERE channel_id = ${ch}`;
  assert.equal(n!.n, 1);
});

test('WebSocket send with attachment_ids: the ack and new_message carry the attachments', async () => {
  const ch = await group(s, 'ws-alice', ['ws-bob']);
  const a = (await up('ws-alice', png, 'ws.png')).body;
  const frames: { type?: string; op?: string; ok?: boolean; data?: { attachments?: unknown[] } }[] = [];
  const bob = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ws?access_token=${await s.token('ws-bob')}`);
  bob.on('message', (d) => frames.push(JSON.parse(d.toString())));
  const alice = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ws`, {
    headers: { authorization: `Bearer ${await s.token('ws-alice')}` },
  });
  const acks: { op?: string; ok?: boolean; ref?: string; data?: { attachments: unknown[] }; error?: unknown }[] = [];
  alice.on('message', (d) => acks.push(JSON.parse(d.toString())));
  try {
    await Promise.all([alice, bob].map((w) => new Promise((r) => w.once('open', r))));
    await until(async () => frames.some((f) => f.type === 'connection'), 5000, 'bob connected');
    await new Promise((r) => setTimeout(r, 400)); // past the resume grace: bob's stream is live
    alice.send(JSON.stringify({ op: 'send', ref: 'a1', channel_id: ch, content: 'pic', attachment_ids: [a.id] }));
    const ack = await until(async () => acks.find((f) => f.op === 'ack' && f.ref === 'a1'), 5000, 'the ack');
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.deepEqual(ack.data!.attachments, [a]);
    const ev = await until(async () => frames.find((f) => f.type === 'new_message'), 5000, 'new_message');
    assert.deepEqual(ev.data!.attachments, [a]);
    alice.send(JSON.stringify({ op: 'send', ref: 'a2', channel_id: ch, content: 'again', attachment_ids: [a.id] }));
    const again = await until(async () => acks.find((f) => f.op === 'ack' && f.ref === 'a2'), 5000, 'the 2nd ack');
    assert.equal(again.ok, false);
    assert.equal((again.error as { code: string }).code, 'invalid_request');
  } finally {
    alice.close();
    bob.close();
  }
});

test('bad uploads: not multipart 415, another field 400, no file 400; nothing kept', async () => {
  const token = await s.token('bad-alice');
  const before = await s.sql`SELECT count(*)::int AS n FROM attachments`;
  const json = await s.raw('POST', '/api/v1/attachments', {
    body: { file: 'x' },
    headers: { authorization: `Bearer ${token}` },
  });
  assertError(json, 415, 'unsupported_media_type');
  assertError(await upload(s.url, token, Buffer.from('x'), 'x', { field: 'picture' }), 400, 'invalid_request');
  const empty = await fetch(`${s.url}/api/v1/attachments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: new FormData(),
  });
  assert.equal(empty.status, 400);
  const broken = await fetch(`${s.url}/api/v1/attachments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=zz' },
    body: '--zz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
  });
  assert.equal(broken.status, 400);
  assert.equal((await upload(s.url, 'garbage', Buffer.from('x'), 'x')).status, 401);
  assert.deepEqual(await s.sql`SELECT count(*)::int AS n FROM attachments`, before);
  await until(async () => staged().length === 0, 2000, 'staging to be empty');
});

test('over PARLEY_MAX_UPLOAD_BYTES: 413, no row, no file; the upload bucket is rate limited', async () => {
  const small = await startTestServer({
    maxUploadBytes: 10_000,
    rateLimits: { upload: { limit: 2, windowMs: 60_000 } },
  });
  try {
    const token = await small.token('lim-alice');
    const exact = await upload(small.url, token, Buffer.alloc(10_000, 1), 'exact.bin');
    assert.equal(exact.status, 201);
    const over = await upload(small.url, token, Buffer.alloc(10_001, 1), 'over.bin');
    assertError(over, 413, 'payload_too_large');
    const [n] = await small.sql`SELECT count(*)::int AS n FROM attachments`;
    assert.equal(n!.n, 1);
    assert.equal(storedFiles(small).filter((f) => !f.includes('.staging')).length, 1);
    assert.deepEqual(staged(small), []);
    const limited = await upload(small.url, token, Buffer.from('x'), 'x.bin');
    assertError(limited, 429, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  } finally {
    await small.close();
  }
});

test('the sweeper deletes unattached uploads after the TTL and files whose message row is gone', async () => {
  const srv = await startTestServer({ uploadTtlMs: 300, uploadSweepMs: 3_600_000 });
  try {
    const token = await srv.token('sw-alice');
    const ch = (await srv.as('sw-alice').post('/api/v1/channels', { type: 'group', name: 'sw' })).body.id;
    const orphan = (await upload(srv.url, token, png, 'orphan.png')).body;
    const sent = (await upload(srv.url, token, Buffer.from('kept'), 'kept.txt')).body;
    const gone = (await upload(srv.url, token, Buffer.from('gone'), 'gone.txt')).body;
    const post = (ids: string[]) =>
      srv.as('sw-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'x', attachment_ids: ids });
    assert.equal((await post([sent.id])).status, 201);
    const doomed = (await post([gone.id])).body;
    assert.equal(storedFiles(srv).length, 4); // three files and one thumbnail
    // Retention's hard delete: the row goes, message_id becomes null, attached_at stays.
    await srv.sql`DELETE FROM channel_messages WHERE id = ${doomed.id}`;
    await new Promise((r) => setTimeout(r, 400));
    const fresh = (await upload(srv.url, token, Buffer.from('fresh'), 'fresh.txt')).body;
    assert.equal(await srv.parley.uploadSweeper.runOnce(), 2);
    const left = await srv.sql`SELECT id FROM attachments ORDER BY created_at`;
    assert.deepEqual(
      left.map((r) => r.id),
      [sent.id, fresh.id],
    );
    assert.equal(storedFiles(srv).length, 2);
    assert.equal((await download(srv.url, orphan.file_url, { authorization: `Bearer ${token}` })).status, 404);
    assert.equal((await download(srv.url, sent.file_url, { authorization: `Bearer ${token}` })).status, 200);
    // Once attached, never again: a file whose message is gone cannot be sent anew either.
    assert.equal((await post([gone.id])).status, 400);
  } finally {
    await srv.close();
  }
});

test("erasing a user removes their attachments' bytes", async () => {
  const key = `psk_${'k'.repeat(44)}`;
  const srv = await startTestServer({ serverKey: key, uploadSweepMs: 3_600_000 });
  try {
    const token = await srv.token('er-alice');
    const ch = (await srv.as('er-alice').post('/api/v1/channels', { type: 'group', name: 'er' })).body.id;
    const a = (await upload(srv.url, token, png, 'me.png')).body;
    await srv.as('er-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'me', attachment_ids: [a.id] });
    assert.equal(storedFiles(srv).length, 2);
    const res = await srv.raw('DELETE', '/api/v1/server/users/er-alice', {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(res.status, 204, JSON.stringify(res.body));
    assert.equal(storedFiles(srv).length, 0);
    const [n] = await srv.sql`SELECT count(*)::int AS n FROM attachments`;
    assert.equal(n!.n, 0);
  } finally {
    await srv.close();
  }
});
