/**
 * Connections that never complete a request cannot exhaust a node: past PARLEY_MAX_CONNECTIONS new
 * ones are closed at once, silent ones are closed after the header deadline, a peer that trickles
 * its headers too, and the node keeps answering. Against a real `parley serve` process.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { eventually } from '../helpers/delivery.ts';
import { nodeForSuite } from '../helpers/node.ts';

const suite = nodeForSuite('idle-conns', {
  PARLEY_MAX_CONNECTIONS: '100',
  PARLEY_HEADERS_TIMEOUT_MS: '1500',
  PARLEY_IDLE_TIMEOUT_MS: '1500',
});

function silent(): Promise<{ socket: Socket; closed: () => boolean; closedAt: () => number }> {
  const url = new URL(suite.node.url);
  return new Promise((resolve) => {
    let closedAt = 0;
    const socket = connect(Number(url.port), url.hostname, () =>
      resolve({ socket, closed: () => closedAt > 0, closedAt: () => closedAt }),
    );
    socket.on('close', () => {
      closedAt = Date.now();
    });
    socket.on('error', () => {});
  });
}

test('the defaults a public server needs', () => {
  const c = loadConfig({});
  assert.equal(c.maxConnections, 20_000);
  assert.equal(c.headersTimeoutMs, 20_000);
  assert.equal(c.idleTimeoutMs, 30_000);
  assert.equal(c.requestTimeoutMs, 120_000);
  assert.equal(c.maxStreamsPerUser, 100);
});

test('silent sockets past the cap are closed at once, the rest after the header deadline; the node answers', async () => {
  const t0 = Date.now();
  const sockets = await Promise.all(Array.from({ length: 150 }, () => silent()));
  await eventually(() => sockets.filter((s) => s.closed()).length >= 50, 2_000, 'those over the cap closed');
  const early = sockets.filter((s) => s.closed() && s.closedAt() - t0 < 1_000).length;
  assert.ok(early >= 50, `${early} closed at once`);
  // The deadline is 1.5 s; the margin is for a loaded machine, far below the never of 012d59d.
  await eventually(() => sockets.every((s) => s.closed()), 15_000, 'every silent socket closed');
  const last = Math.max(...sockets.map((s) => s.closedAt())) - t0;
  assert.ok(last < 15_000, `the last silent socket lived ${last} ms`);
  const res = await fetch(`${suite.node.url}/healthz`);
  assert.equal(res.status, 200);
});

test('a peer that trickles its headers (slowloris) is cut off at the header deadline', async () => {
  const s = await silent();
  s.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  const t0 = Date.now();
  const timer = setInterval(() => {
    if (!s.closed()) s.socket.write('X-A: b\r\n');
  }, 300);
  try {
    await eventually(() => s.closed(), 5_000, 'the trickling connection closed');
    assert.ok(Date.now() - t0 < 5_000);
  } finally {
    clearInterval(timer);
  }
  assert.equal((await fetch(`${suite.node.url}/healthz`)).status, 200);
});

test('a request whose body never comes is closed when the connection goes idle', async () => {
  const s = await silent();
  s.socket.write(
    'POST /api/v1/dev/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user_id":',
  );
  await eventually(() => s.closed(), 5_000, 'the stalled request closed');
});
