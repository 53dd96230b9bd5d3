/**
 * PARLEY_STORAGE=postgres across a cluster: two real `parley serve` processes on one database, each
 * with a data directory of its own (nothing shared but PostgreSQL). A file uploaded through one is
 * served by the other, whole, by range and as a thumbnail; the new_message a member receives from
 * the other node carries it; and the sweeper of either node removes its chunks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { Sql } from '../../src/db/client.ts';
import { freshDatabase, sqlClient } from '../helpers/db.ts';
import { type NodeProcess, spawnNode } from '../helpers/node.ts';
import { SseClient } from '../helpers/sse.ts';
import { download, upload } from '../rest/attachments-lib.ts';

let db: { url: string; drop: () => Promise<void> };
let a: NodeProcess;
let b: NodeProcess;
let sql: Sql;
before(async () => {
  db = await freshDatabase();
  const env = { PARLEY_STORAGE: 'postgres', PARLEY_UPLOAD_TTL: '1s', PARLEY_UPLOAD_SWEEP: '1h' };
  a = await spawnNode(db.url, 'att-a', env);
  b = await spawnNode(db.url, 'att-b', env);
  sql = sqlClient(db.url);
});
after(async () => {
  for (const n of [a, b]) n?.kill('SIGKILL');
  await Promise.all([a?.exited, b?.exited]);
  await sql?.end({ timeout: 1 });
  await db?.drop();
});

const sha = (x: Uint8Array) => createHash('sha256').update(x).digest('hex');

test('uploaded through one node, served by the other: whole, by range, as a thumbnail, in new_message', async () => {
  const [alice, bob] = [await a.token('n-alice'), await b.token('n-bob')];
  const ch = await fetch(`${a.url}/api/v1/channels`, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'group', name: 'n', members: [{ user_id: 'n-bob' }] }),
  }).then((r) => r.json() as Promise<{ id: string }>);
  // Larger than one chunk (256 KiB), so a range crosses chunk boundaries.
  const png = await sharp({
    create: {
      width: 900,
      height: 700,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .png()
    .toBuffer();
  assert.ok(png.length > 600 * 1024, `a ${png.length} byte PNG`);
  const up = await upload(a.url, alice, png, 'noise.png');
  assert.equal(up.status, 201, JSON.stringify(up.body));
  const att = up.body;
  const [chunks] = await sql`SELECT count(*)::int AS n FROM attachment_chunks WHERE storage_key NOT LIKE '%.thumb'`;
  assert.equal(chunks!.n, Math.ceil(png.length / (256 * 1024)));

  const sse = await SseClient.open(b.url, '/api/v1/events', { token: bob });
  try {
    await sse.waitFor(() => sse.lastEventId !== undefined, 10_000, 'the stream to start');
    const sent = await fetch(`${a.url}/api/v1/channels/${ch.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'from node a', attachment_ids: [att.id] }),
    });
    assert.equal(sent.status, 201);
    await sse.waitFor((evs) => evs.some((e) => e.type === 'new_message'), 10_000, 'new_message on node b');
    assert.deepEqual(sse.of('new_message')[0]!.data.attachments, [att]);
  } finally {
    sse.close();
  }

  const whole = await download(b.url, att.file_url, { authorization: `Bearer ${bob}` });
  assert.equal(whole.status, 200);
  assert.equal(sha(whole.bytes), att.sha256);
  assert.equal(whole.headers.get('etag'), `"${att.sha256}"`);
  const from = 256 * 1024 - 10;
  const to = 2 * 256 * 1024 + 9;
  const part = await download(b.url, att.file_url, { authorization: `Bearer ${bob}`, range: `bytes=${from}-${to}` });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes ${from}-${to}/${png.length}`);
  assert.ok(part.bytes.equals(png.subarray(from, to + 1)));
  const past = await download(b.url, att.file_url, { authorization: `Bearer ${bob}`, range: `bytes=${png.length}-` });
  assert.equal(past.status, 416);
  const thumb = await download(b.url, att.thumbnail_url, { authorization: `Bearer ${bob}` });
  assert.equal(thumb.status, 200);
  const meta = await sharp(thumb.bytes).metadata();
  assert.deepEqual([meta.width, meta.height], [400, 311]);
  // Not a member: refused on either node.
  const eve = await b.token('n-eve');
  assert.equal((await download(b.url, att.file_url, { authorization: `Bearer ${eve}` })).status, 403);
});

test("an unattached upload's chunks are swept after the TTL, by whichever node sweeps", async () => {
  const alice = await a.token('n-alice');
  const up = await upload(b.url, alice, Buffer.alloc(300 * 1024, 7), 'left.bin');
  assert.equal(up.status, 201);
  const key = (await sql`SELECT storage_key FROM attachments WHERE id = ${up.body.id}`)[0]!.storage_key as string;
  assert.equal((await sql`SELECT count(*)::int AS n FROM attachment_chunks WHERE storage_key = ${key}`)[0]!.n, 2);
  await new Promise((r) => setTimeout(r, 1_200));
  // Nodes a and b sweep once an hour; a third node that sweeps every 200 ms joins the cluster and
  // does it (one sweeping node is enough: any node's sweep covers the whole database).
  const c = await spawnNode(db.url, 'att-c', {
    PARLEY_STORAGE: 'postgres',
    PARLEY_UPLOAD_TTL: '1s',
    PARLEY_UPLOAD_SWEEP: '200ms',
  });
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [n] = await sql`SELECT count(*)::int AS n FROM attachment_chunks WHERE storage_key = ${key}`;
      if (n!.n === 0) break;
      if (Date.now() > deadline) assert.fail('the chunks were not swept');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await sql`SELECT count(*)::int AS n FROM attachments WHERE id = ${up.body.id}`)[0]!.n, 0);
    const attached = await sql`SELECT count(*)::int AS n FROM attachments WHERE message_id IS NOT NULL`;
    assert.equal(attached[0]!.n, 1, 'the attached file stays');
  } finally {
    c.kill('SIGKILL');
    await c.exited;
  }
});
