/** The SSE parser and the stream's dedupe/resume logic, without a server (a scripted transport). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AnyParleyEvent,
  ParleyClient,
  SseParser,
  type TransportFactory,
  type TransportHandlers,
  type TransportOptions,
} from '../../sdk/index.ts';
import { waitFor } from './lib.ts';

function parse(chunks: string[]) {
  const out: { data: string; id: string }[] = [];
  const ids: string[] = [];
  const comments: string[] = [];
  const p = new SseParser({
    onMessage: (data, id) => out.push({ data, id }),
    onId: (id) => ids.push(id),
    onComment: (c) => comments.push(c),
  });
  for (const c of chunks) p.push(c);
  return { out, ids, comments, last: p.lastEventId };
}

test('SSE parsing follows the WHATWG rules', () => {
  const r = parse([
    '\uFEFFdata: a\n',
    'data:b\r',
    '\nid: 7\r\n\r\n',
    ': ping\n\n',
    'id: 9\n\n', // id-only block: moves the last id, dispatches nothing
    'data: after\n\n', // no id of its own: keeps the last one
    'event: custom\ndata: named\n\n', // not a message event
    'id: 1\u00002\ndata: x\n\n', // id with NUL is ignored
    'dat',
    'a: split\n',
    '\n',
    'data\n\n', // field with no colon: empty data line
    'data: trailing', // no blank line yet: not dispatched
  ]);
  assert.deepEqual(r.out, [
    { data: 'a\nb', id: '7' },
    { data: 'after', id: '9' },
    { data: 'x', id: '9' },
    { data: 'split', id: '9' },
    { data: '', id: '9' },
  ]);
  assert.deepEqual(r.ids, ['9']);
  assert.deepEqual(r.comments, [' ping']);
  assert.equal(r.last, '9');
});

/** A transport the test scripts: each connection runs `script(handlers, options)`. */
function scripted(script: (h: TransportHandlers, o: TransportOptions, n: number) => void) {
  const opened: TransportOptions[] = [];
  const factory: TransportFactory = (o, h) => {
    opened.push(o);
    const n = opened.length;
    queueMicrotask(() => script(h, o, n));
    return { close: () => {} };
  };
  return { factory, opened };
}

const ev = (type: string, pos?: number) =>
  JSON.stringify({ type, channel_id: 'c', data: { n: pos }, ts: '2025-01-01T00:00:00Z', pos });

test('the stream delivers each durable pos once, in order, and resumes from the highest id seen', async () => {
  const t = scripted((h, _o, n) => {
    h.onOpen();
    if (n === 1) {
      h.onMessage(ev('connection'), undefined);
      h.onId('2');
      for (const p of [3, 4, 4, 2]) h.onMessage(ev('new_message', p), String(p));
      h.onMessage(ev('typing'), '4');
      h.onId('10'); // events of other channels moved the resume point on
      h.onClose(new Error('dropped'));
    } else {
      h.onMessage(ev('connection'), undefined);
      // A replay that overlaps what was delivered: only 11 and 12 are new.
      for (const p of [4, 11, 11, 12]) h.onMessage(ev('message_updated', p), String(p));
    }
  });
  const c = new ParleyClient({
    baseUrl: 'http://127.0.0.1:1',
    token: 't',
    transport: t.factory,
    reconnect: { initialDelayMs: 1 },
  });
  const got: AnyParleyEvent[] = [];
  c.on('*', (e) => got.push(e));
  await c.connect();
  await waitFor(() => got.filter((e) => e.type === 'connection').length === 2 && got.length >= 7, 'both connections');
  await waitFor(() => c.lastEventId === 12, 'the last pos');
  c.disconnect();
  assert.equal(t.opened[0]!.lastEventId, undefined);
  assert.equal(t.opened[1]!.lastEventId, 10);
  assert.deepEqual(
    got.map((e) => `${e.type}${e.pos ?? ''}`),
    ['connection', 'new_message3', 'new_message4', 'typing', 'connection', 'message_updated11', 'message_updated12'],
  );
});

test('reconnect delays grow exponentially with jitter, and reset once a connection opens', async () => {
  let fail = 4;
  const t = scripted((h) => {
    if (fail-- > 0) return h.onClose(new Error('refused'));
    h.onOpen();
    h.onMessage(ev('connection'), undefined);
  });
  const c = new ParleyClient({
    baseUrl: 'http://127.0.0.1:1',
    token: 't',
    transport: t.factory,
    reconnect: { initialDelayMs: 8, maxDelayMs: 40 },
  });
  const delays: number[] = [];
  c.on('state', (s) => {
    if (s.state === 'reconnecting') delays.push(s.delayMs!);
  });
  await c.connect();
  c.disconnect();
  assert.equal(delays.length, 4);
  const ceilings = [8, 16, 32, 40];
  delays.forEach((d, i) => {
    assert.ok(
      d >= ceilings[i]! / 2 && d <= ceilings[i]!,
      `delay ${i} = ${d}, want within [${ceilings[i]! / 2}, ${ceilings[i]}]`,
    );
  });
});
