/**
 * The README's nginx example, run for real: Debian's nginx with that very text (its upstream pointed
 * at a test node, its listen at a free port) in front of a Parley node. REST, SSE (an event arrives
 * while the stream stays open: nothing holds it back) and WebSocket (the upgrade gets through, ops are
 * answered, events arrive) all work through it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { freePort } from '../../src/db/embedded.ts';
import { request, startTestServer, type TestServer } from '../helpers/server.ts';
import { SseClient } from '../helpers/sse.ts';
import { ROOT, sleep } from './lib.ts';

function nginxBinary(): string | undefined {
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx']) {
    try {
      execFileSync(p, ['-v'], { stdio: 'ignore' });
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

const nginx = nginxBinary();
const skip = nginx ? false : 'nginx is not installed (apt-get install nginx-light; .ci/run installs it)';

/** The README's nginx block, as documented. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /Example with nginx[\s\S]*?```nginx\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'the README has an nginx example');
  return m[1]!;
}

let s: TestServer;
let proxy: ChildProcess | undefined;
let dir = '';
let base = '';
let log = '';

before(async () => {
  if (!nginx) return;
  s = await startTestServer({ nodeId: 'behind-nginx' });
  dir = mkdtempSync(join(tmpdir(), 'parley-nginx-'));
  mkdirSync(join(dir, 'tmp'));
  const port = await freePort();
  const example = readmeExample();
  const upstream = /upstream parley \{[^}]*\}/;
  assert.match(example, upstream);
  assert.match(example, /listen 80;/);
  const site = example
    .replace(upstream, `upstream parley { server 127.0.0.1:${new URL(s.url).port}; }`)
    .replace('listen 80;', `listen 127.0.0.1:${port};`);
  const t = join(dir, 'tmp');
  // Only what running unprivileged in a temporary directory needs around the README's text.
  const conf = `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${t}/body;
  proxy_temp_path ${t}/proxy;
  fastcgi_temp_path ${t}/fastcgi;
  uwsgi_temp_path ${t}/uwsgi;
  scgi_temp_path ${t}/scgi;
${site}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  proxy = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  proxy.stdout!.on('data', (d) => {
    log += d;
  });
  proxy.stderr!.on('data', (d) => {
    log += d;
  });
  base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proxy.exitCode !== null)
      throw new Error(`nginx exited: ${log}\n${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    try {
      if ((await fetch(`${base}/healthz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`nginx did not answer in 15 s: ${log}`);
    await sleep(50);
  }
});

after(async () => {
  if (proxy && proxy.exitCode === null) {
    proxy.kill('SIGTERM');
    await new Promise((r) => proxy!.once('exit', r));
  }
  await s?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the README's nginx example in front of a node", { skip }, () => {
  let channelId = '';

  test('REST: a channel is created and read back through the proxy', async () => {
    const auth = { authorization: `Bearer ${await s.token('alice')}` };
    const created = await request(base, 'POST', '/api/v1/channels', {
      headers: auth,
      body: { type: 'group', name: 'proxied', members: [{ user_id: 'bob' }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    channelId = created.body.id as string;
    const got = await request(base, 'GET', `/api/v1/channels/${channelId}`, { headers: auth });
    assert.equal(got.status, 200);
    assert.equal(got.body.name, 'proxied');
    const refused = await request(base, 'GET', `/api/v1/channels/${channelId}`);
    assert.equal(refused.status, 401, 'errors come through in the contract shape');
    assert.equal(refused.body.error.code, 'unauthorized');
  });

  test('SSE: an event sent after the stream opened arrives while the stream stays open', async () => {
    assert.ok(channelId, 'runs after the REST test');
    const stream = await SseClient.open(base, '/api/v1/events', { token: await s.token('bob') });
    assert.equal(stream.status, 200);
    await stream.waitFor(() => stream.lastEventId !== undefined, 15_000, 'the stream to start');
    const sent = await s.as('alice').post(`/api/v1/channels/${channelId}/messages`, { content: 'through nginx' });
    assert.equal(sent.status, 201);
    // A buffering proxy would sit on this small frame; it must come through on the open stream.
    await stream.waitFor(
      (e) => e.some((x) => x.type === 'new_message' && x.data.content === 'through nginx'),
      10_000,
      'the message event through nginx',
    );
    assert.equal(stream.closed, false, 'the stream is still open');
    stream.close();
  });

  test('WebSocket: the upgrade goes through, an op is acked and its event arrives', async () => {
    assert.ok(channelId, 'runs after the REST test');
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/ws`, {
      headers: { authorization: `Bearer ${await s.token('bob')}` },
    });
    // biome-ignore lint/suspicious/noExplicitAny: frames are read field by field and asserted on
    const frames: any[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    const until = async (pred: () => boolean, what: string) => {
      const deadline = Date.now() + 10_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}; frames: ${JSON.stringify(frames)}`);
        await sleep(20);
      }
    };
    await until(() => frames.some((f) => f.type === 'connection'), 'the connection event');
    ws.send(JSON.stringify({ op: 'send', ref: 'm1', channel_id: channelId, content: 'ws via nginx' }));
    await until(() => frames.some((f) => f.op === 'ack' && f.ref === 'm1'), 'the ack');
    const ack = frames.find((f) => f.op === 'ack' && f.ref === 'm1');
    assert.equal(ack.ok, true, JSON.stringify(ack));
    await until(
      () => frames.some((f) => f.type === 'new_message' && f.data?.content === 'ws via nginx'),
      'the new_message event over the socket',
    );
    ws.close();
  });
});
