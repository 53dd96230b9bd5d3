/**
 * What a node does on an exception nothing caught (src/main.ts): it says so at level fatal with the
 * stack, tells its streams to reconnect (as a shutdown does), releases its presence and exits 1.
 * The fault is real: a preloaded module throws from a signal handler inside the serving process.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { freshDatabase, sqlClient } from '../helpers/db.ts';
import { eventually } from '../helpers/delivery.ts';
import { spawnNode } from '../helpers/node.ts';
import { SseClient } from '../helpers/sse.ts';

const FIXTURE = pathToFileURL(join(import.meta.dirname, '..', 'fixtures', 'throw-on-sigusr2.mjs')).href;

let db: { url: string; drop: () => Promise<void> };
let sql: ReturnType<typeof sqlClient>;
before(async () => {
  db = await freshDatabase();
  sql = sqlClient(db.url);
});
after(async () => {
  await sql.end({ timeout: 1 });
  await db.drop();
});

test('an uncaught exception: a fatal log line with the stack, streams told to reconnect, presence released, exit 1', async () => {
  const node = await spawnNode(db.url, 'crashy', { LOG_LEVEL: 'info' }, [FIXTURE]);
  try {
    const sse = await SseClient.open(node.url, '/api/v1/events', { token: await node.token('crash-a') });
    await sse.waitFor((evs) => evs.some((e) => e.type === 'connection'), 5000, 'the connection event');
    const ws = new WebSocket(`${node.url.replace('http', 'ws')}/api/v1/ws?last_event_id=0`, {
      headers: { authorization: `Bearer ${await node.token('crash-b')}` },
    });
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => {
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    await eventually(
      async () => (await sql`SELECT count(*)::int AS n FROM presence_sessions WHERE node_id = 'crashy'`)[0]!.n === 2,
      5000,
      'both users recorded online',
    );
    const commentsBefore = sse.comments;

    node.child.kill('SIGUSR2');
    const { code, signal } = await node.exited;
    assert.equal(signal, null, node.output());
    assert.equal(code, 1, node.output());

    const fatal = node
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string; stack: string } })
      .find((l) => l.level === 60);
    assert.ok(fatal, `a fatal line in:\n${node.output()}`);
    assert.match(fatal.msg, /uncaught exception/);
    assert.equal(fatal.err?.message, 'injected fault: an exception nothing catches');
    assert.match(fatal.err?.stack ?? '', /throw-on-sigusr2\.mjs/);

    assert.equal(await wsClosed, 1012, 'WebSocket: "service restart", reconnect');
    await eventually(() => sse.closed, 2000, 'the SSE stream ended');
    assert.ok(sse.comments > commentsBefore, 'SSE: the shutdown comment (with a short retry) came before the end');
    const [row] = await sql`SELECT count(*)::int AS n FROM presence_nodes WHERE node_id = 'crashy'`;
    assert.equal(row!.n, 0, 'presence released at once, not after the TTL');
  } finally {
    if (node.child.exitCode === null) node.kill('SIGKILL');
  }
});
