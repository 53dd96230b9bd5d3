import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { group } from '../rest/lib.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ maxBufferedBytes: 256 * 1024 });
});
after(async () => {
  await s.close();
});

interface Ack {
  op: string;
  ref: number;
  ok: boolean;
  error?: { code: string };
  retry_after_ms?: number;
}

async function socket(user: string): Promise<{ ws: WebSocket; acks: Ack[] }> {
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ws?last_event_id=0`, {
    headers: { authorization: `Bearer ${await s.token(user)}` },
  });
  const acks: Ack[] = [];
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString());
    if (f.op === 'ack') acks.push(f);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, acks };
}

async function until(pred: () => boolean, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("a socket's ops run in the order sent: 200 sends in one burst are written and acked in that order", async () => {
  const ch = await group(s, 'order-a', []);
  const { ws, acks } = await socket('order-a');
  const n = 200;
  for (let i = 0; i < n; i++) ws.send(JSON.stringify({ op: 'send', ref: i, channel_id: ch, content: `m${i}` }));
  await until(() => acks.length === n, 'every ack');
  ws.close();
  assert.deepEqual(
    acks.map((a) => a.ref),
    [...Array(n).keys()],
    'acks in op order',
  );
  assert.ok(acks.every((a) => a.ok));
  const rows = await s.sql`SELECT content FROM channel_messages WHERE channel_id = ${ch} ORDER BY seq`;
  assert.deepEqual(
    rows.map((r) => r.content),
    [...Array(n).keys()].map((i) => `m${i}`),
    'written in op order',
  );
});

test('the ops waiting on a socket are bounded in bytes: past PARLEY_MAX_BUFFERED_BYTES an op is refused at once, the socket lives', async () => {
  const ch = await group(s, 'order-b', []);
  const { ws, acks } = await socket('order-b');
  // 40 sends of ~39 KB (1.5 MB) in one burst against a 256 KB bound: the first few wait their turn,
  // the rest are refused with rate_limited, and each accepted one is written.
  const big = 'x'.repeat(39_000);
  for (let i = 0; i < 40; i++) ws.send(JSON.stringify({ op: 'send', ref: i, channel_id: ch, content: `${i} ${big}` }));
  await until(() => acks.length === 40, 'every ack');
  const refused = acks.filter((a) => !a.ok && a.error?.code === 'rate_limited');
  assert.ok(refused.length > 0, 'some refused');
  assert.ok(
    refused.every((a) => a.retry_after_ms === 1000),
    'with retry_after_ms',
  );
  const accepted = acks.filter((a) => a.ok).length;
  const [row] = await s.sql`SELECT count(*)::int AS n FROM channel_messages WHERE channel_id = ${ch}`;
  assert.equal(row!.n, accepted, 'every accepted op written, no refused one');
  // A refused op is told so at once; after the queue drains, the socket takes ops again.
  ws.send(JSON.stringify({ op: 'ping', ref: 99 }));
  await until(() => acks.some((a) => a.ref === 99), 'the ping');
  assert.equal(acks.find((a) => a.ref === 99)!.ok, true);
  ws.close();
});
