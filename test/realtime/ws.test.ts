import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

interface Frame {
  type?: string;
  op?: string;
  ref?: unknown;
  ok?: boolean;
  pos?: number;
  // biome-ignore lint/suspicious/noExplicitAny: frames are read field by field and asserted on
  data?: any;
  error?: { code: string; message: string; field?: string };
  channel_id?: string | null;
}

/** A WebSocket client that keeps every frame and answers ops by ref. */
async function open(
  user: string,
  query = '',
): Promise<{ ws: WebSocket; frames: Frame[]; call: (m: object) => Promise<Frame> }> {
  const url = `${s.url.replace('http', 'ws')}/api/v1/ws${query}`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${await s.token(user)}` } });
  const frames: Frame[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let n = 0;
  const call = async (m: object) => {
    const ref = `r${++n}`;
    ws.send(JSON.stringify({ ...m, ref }));
    const deadline = Date.now() + 5000;
    for (;;) {
      const a = frames.find((f) => f.op === 'ack' && f.ref === ref);
      if (a) return a;
      if (Date.now() > deadline) throw new Error(`no ack for ${JSON.stringify(m)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { ws, frames, call };
}

async function until(pred: () => boolean, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('both ways: ops are acknowledged and their events arrive on the sockets of the members', async () => {
  const ch = (await s.as('ws-alice').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'ws-bob' }] })).body
    .id;
  const alice = await open('ws-alice');
  const bob = await open('ws-bob');
  await until(
    () => bob.frames.some((f) => f.type === 'connection') && alice.frames.some((f) => f.type === 'connection'),
    'connection',
  );
  assert.equal(bob.frames[0]!.type, 'connection');
  assert.equal(bob.frames[0]!.data.user_id, 'ws-bob');

  const sent = await alice.call({ op: 'send', channel_id: ch, content: 'over ws', client_id: 'c1' });
  assert.equal(sent.ok, true);
  assert.equal(sent.data.content, 'over ws');
  const again = await alice.call({ op: 'send', channel_id: ch, content: 'over ws', client_id: 'c1' });
  assert.equal(again.data.id, sent.data.id, 'client_id makes a retry idempotent');
  await until(() => bob.frames.some((f) => f.type === 'new_message'), 'bob gets the message');
  assert.equal(bob.frames.filter((f) => f.type === 'new_message').length, 1);
  assert.deepEqual(bob.frames.find((f) => f.type === 'new_message')!.data, sent.data);

  assert.equal((await bob.call({ op: 'typing', channel_id: ch })).ok, true);
  await until(() => alice.frames.some((f) => f.type === 'typing' && f.data.user_id === 'ws-bob'), 'typing');
  assert.equal((await bob.call({ op: 'react', message_id: sent.data.id, emoji: '👍' })).data.reactions[0].count, 1);
  assert.equal((await bob.call({ op: 'unreact', message_id: sent.data.id, emoji: '👍' })).data.reactions.length, 0);
  assert.equal((await bob.call({ op: 'read', channel_id: ch, message_id: sent.data.id })).ok, true);
  await until(
    () => ['message_reaction', 'reaction_removed', 'read_receipt'].every((t) => alice.frames.some((f) => f.type === t)),
    'reaction and receipt events',
  );
  const pong = await alice.call({ op: 'ping' });
  assert.equal(pong.ok, true);
  assert.equal(typeof pong.data.ts, 'string');

  const durable = bob.frames.filter((f) => f.pos !== undefined).map((f) => f.pos!);
  assert.deepEqual(
    durable,
    [...durable].sort((a, b) => a - b),
  );
  alice.ws.close();
  bob.ws.close();
});

test('bad ops get an error ack in the contract shape and change nothing', async () => {
  const ch = (await s.as('ws-carol').post('/api/v1/channels', { type: 'group' })).body.id;
  const other = (await s.as('ws-dave').post('/api/v1/channels', { type: 'group' })).body.id;
  const c = await open('ws-carol');
  const before = (await s.sql`SELECT count(*)::int AS n FROM channel_messages`)[0]!.n;
  const cases: [object, string, string?][] = [
    [{ op: 'fly' }, 'invalid_request', 'op'],
    [{ op: 'send', channel_id: ch }, 'invalid_request', 'content'],
    [{ op: 'send', channel_id: 'nope', content: 'x' }, 'invalid_request', 'channel_id'],
    [{ op: 'send', channel_id: ch, content: '   ' }, 'invalid_request', 'content'],
    [{ op: 'send', channel_id: other, content: 'not mine' }, 'forbidden'],
    [{ op: 'read', channel_id: ch, message_id: '00000000-0000-4000-8000-000000000000' }, 'invalid_request'],
  ];
  for (const [m, code, field] of cases) {
    const a = await c.call(m);
    assert.equal(a.ok, false, JSON.stringify(m));
    assert.equal(a.error!.code, code, JSON.stringify(m));
    if (field) assert.equal(a.error!.field, field, JSON.stringify(m));
    assert.equal(typeof a.error!.message, 'string');
  }
  c.ws.send('not json');
  await until(() => c.frames.some((f) => f.op === 'ack' && f.ok === false && f.ref === null), 'ack for non-JSON');
  assert.equal((await s.sql`SELECT count(*)::int AS n FROM channel_messages`)[0]!.n, before);
  c.ws.close();
});

test('resume: with ?last_event_id, or with a first {op: resume}; missed events come once, before newer ones', async () => {
  const ch = (await s.as('wr-alice').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'wr-bob' }] })).body
    .id;
  const first = await open('wr-bob');
  await s.as('wr-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'one' });
  await until(() => first.frames.some((f) => f.data?.content === 'one'), 'one');
  const from = first.frames.filter((f) => f.pos !== undefined).at(-1)!.pos!;
  first.ws.close();
  await s.as('wr-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'two' });
  await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'wr-alice', 'three')`;

  const viaQuery = await open('wr-bob', `?last_event_id=${from}`);
  await until(() => viaQuery.frames.filter((f) => f.type === 'new_message').length === 2, 'two missed via query');
  assert.equal(viaQuery.frames[0]!.data.resumed, true);

  const viaOp = await open('wr-bob');
  const ack = await viaOp.call({ op: 'resume', last_event_id: from });
  assert.equal(ack.ok, true);
  await s.as('wr-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'four' });
  await until(() => viaOp.frames.filter((f) => f.type === 'new_message').length === 3, 'two missed then the new one');
  assert.deepEqual(
    viaOp.frames.filter((f) => f.type === 'new_message').map((f) => f.data.content),
    ['two', 'three', 'four'],
  );
  const late = await viaOp.call({ op: 'resume', last_event_id: from });
  assert.equal(late.ok, false);
  assert.equal(late.error!.code, 'conflict');
  viaQuery.ws.close();
  viaOp.ws.close();
});

test('no token, a bad token: 401 before the upgrade', async () => {
  const url = `${s.url.replace('http', 'ws')}/api/v1/ws`;
  for (const headers of [{}, { authorization: 'Bearer garbage' }]) {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    assert.equal(status, 401);
  }
});
