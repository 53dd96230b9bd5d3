/** The safety rules hold over WebSocket exactly as over REST: one domain layer serves both. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { createServerKey } from '../../src/db/server-keys.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ contactPolicy: 'block', contactPhoneRegions: ['US'] });
});
after(async () => {
  await s.close();
});

async function socket(user: string) {
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ws?last_event_id=0`, {
    headers: { authorization: `Bearer ${await s.token(user)}` },
  });
  const acks = new Map<string, { ok: boolean; error?: { code: string }; retry_after_ms?: number }>();
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString());
    if (f.op === 'ack') acks.set(f.ref, f);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let n = 0;
  const call = async (m: object) => {
    const ref = `r${++n}`;
    ws.send(JSON.stringify({ ...m, ref }));
    for (let i = 0; i < 250 && !acks.has(ref); i++) await new Promise((r) => setTimeout(r, 20));
    return acks.get(ref)!;
  };
  return { ws, call };
}

test('observers, frozen channels, slow mode, blocks and the contact policy, over WebSocket', async () => {
  const { key } = await createServerKey(s.sql, 'ws-safety');
  const made = await s.raw('POST', '/api/v1/server/channels', {
    headers: { authorization: `Bearer ${key}` },
    body: {
      type: 'tutor_student',
      members: [
        { user_id: 'sw-tutor', role: 'tutor' },
        { user_id: 'sw-student', role: 'student' },
        { user_id: 'sw-parent', role: 'observer' },
      ],
    },
  });
  const ch = made.body.id as string;
  const msg = (await s.as('sw-tutor').post(`/api/v1/channels/${ch}/messages`, { content: 'hello' })).body;
  const parent = await socket('sw-parent');
  for (const op of [
    { op: 'send', channel_id: ch, content: 'hi' },
    { op: 'react', message_id: msg.id, emoji: '👍' },
    { op: 'typing', channel_id: ch },
  ]) {
    const a = await parent.call(op);
    assert.equal(a.ok, false, op.op);
    assert.equal(a.error?.code, 'forbidden', op.op);
  }
  const student = await socket('sw-student');
  assert.equal(
    (await student.call({ op: 'send', channel_id: ch, content: 'call 415 555 2671' })).error?.code,
    'content_blocked',
  );
  await s.as('sw-tutor').patch(`/api/v1/channels/${ch}`, { is_frozen: true });
  assert.equal((await student.call({ op: 'send', channel_id: ch, content: 'frozen?' })).error?.code, 'forbidden');
  await s.as('sw-tutor').patch(`/api/v1/channels/${ch}`, { is_frozen: false, slow_mode_seconds: 30 });
  assert.equal((await student.call({ op: 'send', channel_id: ch, content: 'one' })).ok, true);
  const slow = await student.call({ op: 'send', channel_id: ch, content: 'two' });
  assert.equal(slow.error?.code, 'rate_limited');
  assert.ok(slow.retry_after_ms! > 25_000 && slow.retry_after_ms! <= 30_000, String(slow.retry_after_ms));
  // Blocks: a blocked user's send into the direct channel is refused.
  const dm = (await s.as('sw-a').post('/api/v1/direct-messages', { user_id: 'sw-b' })).body.id;
  await s.as('sw-a').put('/api/v1/me/blocks/sw-b');
  const b = await socket('sw-b');
  assert.equal((await b.call({ op: 'send', channel_id: dm, content: 'hey' })).error?.code, 'forbidden');
  for (const c of [parent, student, b]) c.ws.close();
});
