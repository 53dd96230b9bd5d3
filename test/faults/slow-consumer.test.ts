import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Auth } from '../../src/auth/tokens.ts';
import { freshDatabase } from '../helpers/db.ts';
import { eventually } from '../helpers/delivery.ts';
import { type NodeProcess, spawnNode } from '../helpers/node.ts';
import { request, TEST_SECRET } from '../helpers/server.ts';
import { SseClient } from '../helpers/sse.ts';

let db: { url: string; drop: () => Promise<void> };
let node: NodeProcess;
const sockets: net.Socket[] = [];

before(async () => {
  db = await freshDatabase();
  node = await spawnNode(db.url, 'slow', { PARLEY_MAX_BUFFERED_BYTES: String(1024 * 1024) });
});
after(async () => {
  for (const s of sockets) s.destroy();
  node?.kill('SIGKILL');
  await db?.drop();
});

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

test('100 streams that never read, while 1,000 large events flow: memory stays bounded, readers get everything', async () => {
  const auth = new Auth(new TextEncoder().encode(TEST_SECRET));
  const ownerToken = await auth.sign('slow-owner');
  const readerToken = await auth.sign('reader');
  const stuckToken = await auth.sign('stuck');
  const h = { authorization: `Bearer ${ownerToken}` };
  const ch = await request(node.url, 'POST', '/api/v1/channels', {
    headers: h,
    body: { type: 'group', members: [{ user_id: 'reader' }, { user_id: 'stuck' }] },
  });
  assert.equal(ch.status, 201);
  const reader = await SseClient.open(node.url, '/api/v1/events', { token: readerToken });
  await reader.waitFor(() => reader.lastEventId !== undefined);

  const port = Number(new URL(node.url).port);
  for (let i = 0; i < 100; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${stuckToken}\r\n\r\n`);
    s.pause(); // never read: the kernel buffers fill, then the server's
    sockets.push(s);
  }
  await eventually(
    async () => {
      const m = await request(node.url, 'GET', '/metrics');
      return /parley_open_streams\{transport="sse"\} 10[01]/.test(m.body as string);
    },
    10_000,
    '101 streams open',
  );
  const before = rssMb(node.child.pid!);

  const content = 'x'.repeat(20_000);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(node.child.pid!));
  }, 50);
  for (let i = 0; i < 1000; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, j) =>
        request(node.url, 'POST', `/api/v1/channels/${ch.body.id}/messages`, {
          headers: h,
          body: { content: `${i + j} ${content}` },
        }).then((r) => assert.equal(r.status, 201)),
      ),
    );
  }
  await reader.waitFor((e) => e.filter((x) => x.type === 'new_message').length === 1000, 60_000, '1000 messages');
  clearInterval(sampler);
  const metrics = (await request(node.url, 'GET', '/metrics')).body as string;
  const closed = Number(/parley_slow_consumer_closes_total (\d+)/.exec(metrics)?.[1] ?? 0);
  const growth = peak - before;
  console.log(`# RSS before ${before.toFixed(0)} MB, peak ${peak.toFixed(0)} MB; slow streams closed: ${closed}`);
  // Unbounded, each stuck stream would hold ~20 MB (1000 x 20 KB): 2 GB for 100 of them.
  assert.equal(closed, 100, 'every stream that never read was closed');
  assert.ok(growth < 400, `RSS grew ${growth.toFixed(0)} MB`);
  const contents = reader.of('new_message').map((e) => Number(String(e.data.content).split(' ')[0]));
  assert.equal(new Set(contents).size, 1000, 'the reading client got every message');
  reader.close();
});
