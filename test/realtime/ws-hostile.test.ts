/**
 * Hostile frames over /api/v1/ws, against a real `parley serve` process (so a frame that crashes the
 * server shows up as a dead process, not as a failure of this test runner): every op with names of
 * inherited properties, wrong types, huge arrays, unknown fields, non-objects. Each gets an error ack
 * in the contract's shape, nothing is stored and the process keeps serving.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { nodeForSuite } from '../helpers/node.ts';

const suite = nodeForSuite('ws-hostile');
const token = (user: string) => suite.node.token(user);

async function api(user: string, method: string, path: string, body?: unknown) {
  const r = await fetch(`${suite.node.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${await token(user)}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

interface Ack {
  op: string;
  ref: unknown;
  ok: boolean;
  error?: { code: string; message: string; field?: string };
}

async function socket(user: string) {
  const ws = new WebSocket(`${suite.node.url.replace('http', 'ws')}/api/v1/ws`, {
    headers: { authorization: `Bearer ${await token(user)}` },
  });
  const acks: Ack[] = [];
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString()) as Ack;
    if (f.op === 'ack') acks.push(f);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  /** Sends a raw frame and waits for the next ack. */
  const send = async (frame: string): Promise<Ack> => {
    const n = acks.length;
    ws.send(frame);
    const deadline = Date.now() + 5_000;
    while (acks.length === n) {
      if (ws.readyState !== WebSocket.OPEN) throw new Error(`socket closed after ${frame.slice(0, 80)}`);
      if (Date.now() > deadline) throw new Error(`no ack for ${frame.slice(0, 80)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return acks[n]!;
  };
  return { ws, send };
}

const INHERITED = [
  ...new Set([
    '__proto__',
    'constructor',
    'prototype',
    ...Object.getOwnPropertyNames(Object.prototype),
    ...Object.getOwnPropertyNames(Function.prototype),
  ]),
];

async function counts() {
  const [r] = await suite.sql`
    SELECT (SELECT count(*) FROM channel_messages)::int AS messages,
           (SELECT count(*) FROM message_reactions)::int AS reactions,
           (SELECT count(*) FROM channel_members)::int AS members,
           (SELECT count(*) FROM event_log)::int AS events`;
  return r;
}

test('ops named after inherited properties get an error ack naming op, and the process lives', async () => {
  const c = await socket('hostile-a');
  for (const name of INHERITED) {
    const a = await c.send(JSON.stringify({ op: name, ref: name }));
    assert.equal(a.ok, false, name);
    assert.equal(a.error?.code, 'invalid_request', name);
    assert.equal(a.error?.field, 'op', name);
    assert.equal(a.ref, name);
  }
  // The frame that killed the process at 012d59d, in its raw spelling too.
  const raw = await c.send('{"op":"__proto__","ref":1}');
  assert.equal(raw.error?.field, 'op');
  assert.equal(suite.node.child.exitCode, null, 'the server is still running');
  assert.equal((await fetch(`${suite.node.url}/healthz`)).status, 200);
  c.ws.close();
});

test('wrong types, huge arrays, unknown fields and non-objects: error acks, nothing stored', async () => {
  const ch = (await api('hostile-b', 'POST', '/channels', { type: 'group' })).body.id as string;
  const sent = await api('hostile-b', 'POST', `/channels/${ch}/messages`, { content: 'target' });
  const msg = sent.body.id as string;
  const before = await counts();
  const c = await socket('hostile-b');
  const bad: unknown[] = [
    null,
    [],
    5,
    'send',
    true,
    {},
    { op: null },
    { op: 5 },
    { op: ['send'] },
    { op: { toString: 'send' } },
    { op: 'send', channel_id: 5, content: 'x' },
    { op: 'send', channel_id: {}, content: 'x' },
    { op: 'send', channel_id: [ch], content: 'x' },
    { op: 'send', channel_id: ch, content: ['x'] },
    { op: 'send', channel_id: ch, content: { length: 1 } },
    { op: 'send', channel_id: ch, content: 'x'.repeat(40_001) },
    { op: 'send', channel_id: ch, content: 'x', mentions: Array.from({ length: 20_000 }, (_, i) => `u${i}`) },
    { op: 'send', channel_id: ch, content: 'x', mentions: 'hostile-b' },
    { op: 'send', channel_id: ch, content: 'x', parent_message_id: 7 },
    { op: 'send', channel_id: ch, content: 'x', client_id: {} },
    { op: 'send', channel_id: ch, content: 'x', channelId: ch },
    // As JSON text: in an object literal `__proto__:` would set the prototype, not a field.
    `{"op":"send","channel_id":"${ch}","content":"x","__proto__":{"admin":true}}`,
    { op: 'send', channel_id: ch, content: 'x', constructor: { prototype: { polluted: true } } },
    { op: 'typing', channel_id: ch, is_typing: 'yes' },
    { op: 'typing', channel_id: ch, extra: 1 },
    { op: 'read', channel_id: ch, message_id: [msg] },
    { op: 'react', message_id: msg, emoji: 5 },
    { op: 'react', message_id: msg, emoji: '' },
    { op: 'react', message_id: msg, emoji: ['👍'] },
    { op: 'unreact', message_id: {}, emoji: '👍' },
    { op: 'resume', last_event_id: -1 },
    { op: 'resume', last_event_id: '5' },
    { op: 'resume', last_event_id: 1.5 },
    { op: 'ping', ref: { nested: true } },
    { op: 'ping', payload: 'x'.repeat(200_000) },
  ];
  for (const frame of bad) {
    const text = typeof frame === 'string' && frame.startsWith('{') ? frame : JSON.stringify(frame);
    const a = await c.send(text);
    assert.equal(a.ok, false, text.slice(0, 120));
    assert.equal(a.error?.code, 'invalid_request', text.slice(0, 120));
    assert.equal(typeof a.error?.message, 'string');
    assert.ok(a.error?.field, `a field is named for ${text.slice(0, 120)}`);
  }
  // An object ref is not echoed back as an object.
  const objRef = await c.send(JSON.stringify({ op: 'ping', ref: { nested: true } }));
  assert.equal(objRef.ref, null);
  // Polluting payloads did not reach Object.prototype of the server: ping still acks normally.
  const ping = await c.send(JSON.stringify({ op: 'ping', ref: 'p' }));
  assert.equal(ping.ok, true);
  for (const frame of ['not json', '{"op":', '[[[[[[[[[[', `${'['.repeat(100_000)}${']'.repeat(100_000)}`]) {
    const a = await c.send(frame);
    assert.equal(a.ok, false);
    assert.equal(a.error?.code, 'invalid_request');
  }
  const binary = acksAfter(c, () => c.ws.send(Buffer.from([0xff, 0x00, 0x7b])));
  assert.equal((await binary).error?.code, 'invalid_request');
  assert.deepEqual(await counts(), before, 'nothing was stored');
  assert.equal(suite.node.child.exitCode, null);
  c.ws.close();
});

test('a frame over the size limit closes that socket only, with one warning line and no stack', async () => {
  const c = await socket('hostile-c');
  const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
  c.ws.send('x'.repeat(300 * 1024));
  assert.equal(await closed, 1009);
  const other = await socket('hostile-d');
  assert.equal((await other.send(JSON.stringify({ op: 'ping', ref: 1 }))).ok, true);
  other.ws.close();
  await new Promise((r) => setTimeout(r, 200));
  const lines = suite.node
    .output()
    .split('\n')
    .filter((l) => /payload|max.*size|1009/i.test(l));
  assert.equal(lines.length, 1, `one line about the oversized frame:\n${lines.join('\n')}`);
  const line = JSON.parse(lines[0]!) as { level: number; err?: { stack?: string } };
  assert.equal(line.level, 40, 'a warning');
  assert.equal(line.err?.stack, undefined, 'without a stack');
});

async function acksAfter(c: Awaited<ReturnType<typeof socket>>, act: () => void): Promise<Ack> {
  const first = await new Promise<Ack>((resolve) => {
    const onMessage = (d: WebSocket.RawData) => {
      const f = JSON.parse(d.toString()) as Ack;
      if (f.op !== 'ack') return;
      c.ws.off('message', onMessage);
      resolve(f);
    };
    c.ws.on('message', onMessage);
    act();
  });
  return first;
}
