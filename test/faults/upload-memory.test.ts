/**
 * Uploads are streamed, never held whole in memory: against real `parley serve` processes (RSS read
 * from /proc), a 30 MB upload past the default 25 MiB limit is refused with 413 while it is still
 * being sent, leaving no row, no file and no staged file; and a 100 MB upload under a raised limit
 * is stored whole while the server's memory grows by far less than the file (a buffered upload would
 * grow it by the file's size at least).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Sql } from '../../src/db/client.ts';
import { freshDatabase, sqlClient } from '../helpers/db.ts';
import { type NodeProcess, spawnNode } from '../helpers/node.ts';

const MB = 1024 * 1024;
const defaultDir = mkdtempSync(join(tmpdir(), 'parley-up-default-'));
const bigDir = mkdtempSync(join(tmpdir(), 'parley-up-big-'));
let db: { url: string; drop: () => Promise<void> };
let sql: Sql;
let limited: NodeProcess;
before(async () => {
  db = await freshDatabase();
  sql = sqlClient(db.url);
  limited = await spawnNode(db.url, 'upload-default', { PARLEY_UPLOADS_DIR: defaultDir });
});
after(async () => {
  limited?.kill('SIGKILL');
  await limited?.exited;
  await sql?.end({ timeout: 1 });
  await db?.drop();
});

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const files = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);

/** A deterministic, incompressible-enough chunk of the file, so both sides can hash it. */
function chunkOf(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let j = 0; j < size; j += 4) b.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j);
  return b;
}

/**
 * Streams a multipart upload of `total` bytes in 64 KiB chunks, honouring backpressure, sampling
 * the server's RSS as it goes; stops sending once the server answers.
 */
async function streamUpload(
  url: string,
  token: string,
  total: number,
  pid: number,
): Promise<{ status: number; body: string; sentWhenAnswered: number; peakMb: number; sha256: string }> {
  const boundary = 'parleyboundary7d3a';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const hash = createHash('sha256');
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 20);
  try {
    return await new Promise((resolve, reject) => {
      let sent = 0;
      let answered: number | undefined;
      const req = request(
        `${url}/api/v1/attachments`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': String(head.length + total + tail.length),
          },
        },
        (res) => {
          answered = sent;
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              body,
              sentWhenAnswered: answered!,
              peakMb: peak,
              sha256: hash.digest('hex'),
            }),
          );
        },
      );
      // Once refused, the server closes the connection: a write after that fails, as it should.
      req.on('error', (err) => {
        if (answered === undefined) reject(err);
      });
      const CHUNK = 64 * 1024;
      const slowAfter = 26 * MB;
      let i = 0;
      // Like a client on a real network, not a loopback burst: a pause after each MiB lets an early
      // answer be seen while the body is still going out.
      const pump = async () => {
        req.write(head);
        while (answered === undefined && sent < total) {
          const chunk = chunkOf(i++, Math.min(CHUNK, total - sent));
          hash.update(chunk);
          sent += chunk.length;
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
          if (sent % MB === 0) await new Promise((r) => setTimeout(r, 5));
          // Past the limit, the pace of a slow link, so that "answered before the end" does not
          // depend on how much the loopback's socket buffers happen to hold.
          if (sent > slowAfter) await new Promise((r) => setTimeout(r, 20));
        }
        if (answered === undefined) req.end(tail);
        else req.destroy();
      };
      pump().catch(reject);
    });
  } finally {
    clearInterval(sampler);
  }
}

test('a 30 MB upload past the 25 MiB default: 413 while streaming, nothing kept, memory bounded', async () => {
  const node = limited;
  const token = await node.token('big-uploader');
  await new Promise((r) => setTimeout(r, 300));
  const baseline = rssMb(node.child.pid!);
  const total = 30 * 1000 * 1000;
  const r = await streamUpload(node.url, token, total, node.child.pid!);
  console.log(
    `# upload 413: RSS ${baseline.toFixed(0)} MB → peak ${r.peakMb.toFixed(0)} MB; answered after ` +
      `${(r.sentWhenAnswered / MB).toFixed(1)} of ${(total / MB).toFixed(1)} MiB sent`,
  );
  assert.equal(r.status, 413, r.body);
  assert.equal(JSON.parse(r.body).error.code, 'payload_too_large');
  // Refused while streaming: the answer came before the whole body was sent.
  assert.ok(r.sentWhenAnswered < total, `answered only after all ${r.sentWhenAnswered} bytes`);
  assert.ok(r.peakMb - baseline < 60, `RSS grew by ${(r.peakMb - baseline).toFixed(0)} MB`);
  const [n] = await sql`SELECT count(*)::int AS n FROM attachments`;
  assert.equal(n!.n, 0);
  assert.deepEqual(files(defaultDir), []);
  // The node still serves.
  assert.equal((await fetch(`${node.url}/readyz`)).status, 200);
});

test('a 100 MB upload under a raised limit: stored whole, hashed right, memory grows far less than the file', async () => {
  // A node of its own (the same database), started only now: two processes starting at once on a
  // busy machine could miss spawnNode's deadline.
  const node = await spawnNode(db.url, 'upload-big', {
    PARLEY_UPLOADS_DIR: bigDir,
    PARLEY_MAX_UPLOAD_BYTES: String(120 * MB),
  });
  after(async () => {
    node.kill('SIGKILL');
    await node.exited;
  });
  const token = await node.token('big-uploader');
  await new Promise((r) => setTimeout(r, 300));
  const baseline = rssMb(node.child.pid!);
  const total = 100 * MB;
  const r = await streamUpload(node.url, token, total, node.child.pid!);
  console.log(`# upload 100 MB accepted: RSS ${baseline.toFixed(0)} MB → peak ${r.peakMb.toFixed(0)} MB`);
  assert.equal(r.status, 201, r.body);
  const a = JSON.parse(r.body);
  assert.equal(a.file_size, total);
  assert.equal(a.sha256, r.sha256);
  assert.ok(r.peakMb - baseline < 60, `RSS grew by ${(r.peakMb - baseline).toFixed(0)} MB`);
  const [row] = await sql`SELECT file_size FROM attachments WHERE id = ${a.id}`;
  assert.equal(Number(row!.file_size), total);
  // The stored file, read back through the API, is the one sent.
  const res = await fetch(`${node.url}${a.file_url}`, { headers: { authorization: `Bearer ${token}` } });
  const h = createHash('sha256');
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) h.update(c);
  assert.equal(h.digest('hex'), r.sha256);
});

test('a client that goes away mid-upload leaves nothing: no row, no staged file', async () => {
  const node = limited;
  const token = await node.token('gone-uploader');
  const boundary = 'parleyboundarygone';
  const req = request(`${node.url}/api/v1/attachments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(10 * MB),
    },
  });
  req.on('error', () => {});
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.bin"\r\n\r\n`);
  for (let i = 0; i < 32; i++) {
    req.write(chunkOf(i, 64 * 1024));
    await new Promise((r) => setTimeout(r, 5));
  }
  // The upload is under way: its staged file exists.
  const deadline = Date.now() + 10_000;
  while (files(defaultDir).length === 0) {
    if (Date.now() > deadline) assert.fail('no staged file appeared');
    await new Promise((r) => setTimeout(r, 20));
  }
  req.destroy();
  for (;;) {
    if (files(defaultDir).length === 0) break;
    if (Date.now() > deadline) assert.fail(`left behind: ${files(defaultDir).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const [n] = await sql`SELECT count(*)::int AS n FROM attachments WHERE uploader_id = 'gone-uploader'`;
  assert.equal(n!.n, 0);
  assert.equal((await fetch(`${node.url}/readyz`)).status, 200);
});
