/**
 * The limits of event streams: a cap of streams per user (429 at open), nothing left behind by a
 * client that goes away while its stream starts, and streams that end when their token does.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { eventually } from '../helpers/delivery.ts';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/server.ts';
import { SseClient } from '../helpers/sse.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ maxStreamsPerUser: 5 });
});
after(async () => {
  await s.close();
});

const wsUrl = (query = '') => `${s.url.replace('http', 'ws')}/api/v1/ws${query}`;

/** Opens a WebSocket; resolves with the HTTP status if the upgrade was refused. */
function openWs(token: string, query = ''): Promise<{ ws?: WebSocket; status?: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(query), { headers: { authorization: `Bearer ${token}` } });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    ws.once('error', reject);
  });
}

/** Open streams of every kind on the node, as its own metrics and registries count them. */
async function openCounts(): Promise<{ hub: number; gauge: number }> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const gauge = [...text.matchAll(/^parley_open_streams\{transport="(?:sse|ws)"\} (\d+)/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
  return { hub: s.parley.hub.subscriberCount, gauge };
}

test('a user has at most PARLEY_MAX_STREAMS_PER_USER streams: the next SSE or WebSocket gets 429', async () => {
  const token = await s.token('cap-alice');
  const sse: SseClient[] = [];
  for (let i = 0; i < 3; i++) sse.push(await s.sse('cap-alice'));
  const ws: WebSocket[] = [];
  for (let i = 0; i < 2; i++) ws.push((await openWs(token, '?last_event_id=0')).ws!);

  const refusedSse = await SseClient.open(s.url, '/api/v1/events', { token });
  assert.equal(refusedSse.status, 429);
  assert.equal(JSON.parse(refusedSse.errorBody).error.code, 'rate_limited');
  const refusedWs = await openWs(token);
  assert.equal(refusedWs.status, 429);
  assert.equal(JSON.parse(refusedWs.body!).error.code, 'rate_limited');
  // Another user is not affected.
  const bob = await s.sse('cap-bob');
  assert.equal(bob.status, 200);

  // Closing one makes room again.
  sse[0]!.close();
  let again: SseClient | undefined;
  await eventually(
    async () => {
      again?.close();
      again = await SseClient.open(s.url, '/api/v1/events', { token });
      return again.status === 200;
    },
    5000,
    'room',
  );
  for (const c of [...sse, bob, again!]) c.close();
  for (const w of ws) w.close();
  await eventually(async () => (await openCounts()).hub === 0, 5000, 'all closed');
});

test('clients that go away while their stream starts leave nothing behind (SSE and WebSocket)', async () => {
  // A node of its own: 300 streams of one user, more than the cap of the other tests' node.
  const big = await startTestServer({ maxStreamsPerUser: 1000 });
  try {
    const bigToken = await big.token('leak-bob');
    const ch = (
      await big.as('leak-alice').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'leak-bob' }] })
    ).body.id;
    // A backlog, so that each start replays for a while.
    await big.sql`
      INSERT INTO channel_messages (channel_id, user_id, content)
      SELECT ${ch}, 'leak-alice', 'backlog ' || g || repeat('x', 500) FROM generate_series(1, 3000) g`;
    const url = new URL(big.url);
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 150; i++) {
      const delay = i % 15;
      // WebSocket: the upgrade completes, then the client vanishes during the replay.
      jobs.push(
        new Promise((resolve) => {
          const w = new WebSocket(`${big.url.replace('http', 'ws')}/api/v1/ws?last_event_id=0`, {
            headers: { authorization: `Bearer ${bigToken}` },
          });
          w.once('open', () => setTimeout(() => w.terminate(), delay));
          w.once('close', () => resolve());
          w.once('error', () => resolve());
        }),
      );
      // SSE: the request is made, then dropped before the stream has started.
      jobs.push(
        new Promise((resolve) => {
          const req = http.get(
            {
              host: url.hostname,
              port: url.port,
              path: '/api/v1/events?last_event_id=0',
              headers: { authorization: `Bearer ${bigToken}` },
            },
            (res) => res.resume(),
          );
          req.on('error', () => resolve());
          setTimeout(() => {
            req.destroy();
            resolve();
          }, delay + 2);
        }),
      );
    }
    await Promise.all(jobs);
    await eventually(
      async () => {
        const text = await (await fetch(`${big.url}/metrics`)).text();
        const gauge = [...text.matchAll(/^parley_open_streams\{transport="(?:sse|ws)"\} (\d+)/gm)].reduce(
          (n, m) => n + Number(m[1]),
          0,
        );
        return big.parley.hub.subscriberCount === 0 && gauge === 0;
      },
      20_000,
      'no stream left indexed or counted',
    );
    // And the user is not left "online" by a stream that never really was.
    await eventually(
      async () => (await big.as('leak-alice').get('/api/v1/user/leak-bob/status')).body.online === false,
      10_000,
      'bob offline',
    );
  } finally {
    await big.close();
  }
});

async function shortToken(user: string, seconds: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(new TextEncoder().encode(TEST_SECRET));
}

test('streams end when their token expires: SSE with a disconnect event, WebSocket with 4001', async () => {
  const token = await shortToken('exp-carol', 2);
  const sse = await SseClient.open(s.url, '/api/v1/events', { token });
  assert.equal(sse.status, 200);
  const { ws } = await openWs(token, '?last_event_id=0');
  const frames: { type?: string; data?: { reason?: string } }[] = [];
  ws!.on('message', (d) => frames.push(JSON.parse(d.toString())));
  const code = new Promise<number>((resolve) => ws!.once('close', (c) => resolve(c)));
  assert.equal(await code, 4001);
  assert.equal(frames.at(-1)?.type, 'disconnect');
  assert.equal(frames.at(-1)?.data?.reason, 'token_expired');
  await eventually(() => sse.closed, 5000, 'SSE stream ended');
  const last = sse.events.at(-1);
  assert.equal(last?.type, 'disconnect');
  assert.equal(last?.data.reason, 'token_expired');
  // Reconnecting with the expired token is refused; a fresh one works.
  const again = await SseClient.open(s.url, '/api/v1/events', { token });
  assert.equal(again.status, 401);
  const fresh = await s.sse('exp-carol');
  assert.equal(fresh.status, 200);
  fresh.close();
});
