/**
 * A long backlog replayed to readers that take their time: the replay is paced by each socket, so
 * the server's memory stays bounded whatever the backlog, no reader is dropped for being slow while
 * it catches up, and each gets every event once, in order. Against a real `parley serve` process,
 * whose resident memory is read from /proc.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import WebSocket from 'ws';
import { eventually } from '../helpers/delivery.ts';
import { nodeForSuite } from '../helpers/node.ts';

const STREAMS = 20;
const BACKLOG = 5_000;
const EVENT_BYTES = 2_000;

const suite = nodeForSuite('replay-mem');

const rssMb = () => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${suite.node.child.pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
};

test(`${STREAMS} slow readers resuming from 0 over ${BACKLOG} events of ~2 KB: memory bounded, none dropped, all delivered`, async () => {
  const { node, sql } = suite;
  const token = await node.token('slow-reader');
  await sql`INSERT INTO users (id) VALUES ('slow-reader'), ('writer')`;
  const [c] = await sql`INSERT INTO channels (type) VALUES ('group') RETURNING id`;
  await sql`INSERT INTO channel_members (channel_id, user_id) VALUES (${c!.id}, 'slow-reader'), (${c!.id}, 'writer')`;
  await sql`
    INSERT INTO channel_messages (channel_id, user_id, content)
    SELECT ${c!.id}, 'writer', lpad(g::text, 8, '0') || repeat('x', ${EVENT_BYTES}) FROM generate_series(1, ${BACKLOG}) g`;
  await new Promise((r) => setTimeout(r, 500));
  const baseline = rssMb();

  const clients = await Promise.all(
    Array.from({ length: STREAMS }, async () => {
      const ws = new WebSocket(`${node.url.replace('http', 'ws')}/api/v1/ws?last_event_id=0`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const seen: number[] = [];
      let closed: number | undefined;
      ws.on('message', (d) => {
        const f = JSON.parse(d.toString()) as { type?: string; pos?: number };
        if (f.type === 'new_message') seen.push(f.pos!);
      });
      ws.on('close', (code) => {
        closed = code;
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      // The reader stops reading: TCP fills, then the server's buffer for this socket would grow.
      (ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
      return { ws, seen, closed: () => closed };
    }),
  );
  let peak = baseline;
  for (let i = 0; i < 40; i++) {
    peak = Math.max(peak, rssMb());
    await new Promise((r) => setTimeout(r, 100));
  }
  const backlogMb = (STREAMS * BACKLOG * EVENT_BYTES) / 1024 / 1024;
  console.log(
    `# replay memory: RSS ${baseline.toFixed(0)} → peak ${peak.toFixed(0)} MB while ${STREAMS} readers paused ` +
      `over a ${backlogMb.toFixed(0)} MB total backlog`,
  );
  assert.ok(peak - baseline < 60, `RSS grew by ${(peak - baseline).toFixed(0)} MB`);

  for (const cl of clients) (cl.ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
  await eventually(() => clients.every((cl) => cl.seen.length >= BACKLOG), 60_000, 'every reader caught up');
  for (const cl of clients) {
    assert.equal(cl.closed(), undefined, 'no reader was dropped');
    assert.equal(cl.seen.length, BACKLOG, 'each event once');
    assert.ok(
      cl.seen.every((p, i) => i === 0 || p > cl.seen[i - 1]!),
      'in pos order',
    );
    cl.ws.close();
  }
});
