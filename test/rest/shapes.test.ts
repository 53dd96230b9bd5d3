/**
 * One Message (and Channel, Member) shape: what PostgreSQL builds (history, threads, events), what
 * the writer answers, and what REST and WebSocket send all validate against the contract's schemas
 * (src/contract/resources.ts, which the SDK's types are made of), with no field missing and none extra.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import WebSocket from 'ws';
import { Channel, Member, Message } from '../../src/contract/resources.ts';
import { strictAjv } from '../../src/contract/validation.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { group } from './lib.ts';

/** The schema with every object closed: an extra field is an error, not ignored. */
function closed(schema: TSchema): object {
  const copy = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const x of node) walk(x);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.type === 'object') o.additionalProperties = false;
    for (const v of Object.values(o)) walk(v);
  };
  walk(copy);
  return copy;
}
const isMessage = strictAjv.compile(closed(Message));
const isChannel = strictAjv.compile(closed(Channel));
const isMember = strictAjv.compile(closed(Member));

function valid(check: typeof isMessage, value: unknown, what: string) {
  assert.ok(check(value), `${what}: ${JSON.stringify(check.errors)}\n${JSON.stringify(value)}`);
}

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

test('every Message a client gets, from every path, is exactly the schema', async () => {
  const ch = await group(s, 'sh-alice', ['sh-bob']);
  const bob = await s.sse('sh-bob');
  const sent = await s
    .as('sh-alice')
    .post(`/api/v1/channels/${ch}/messages`, { content: 'hi @sh-bob', mentions: ['sh-bob'] });
  valid(isMessage, sent.body, 'POST answer (the writer with a lookup)');
  const plain = await s.as('sh-alice').post(`/api/v1/channels/${ch}/messages`, { content: 'plain' });
  valid(isMessage, plain.body, 'POST answer (group commit, built in Node)');
  const reply = await s
    .as('sh-bob')
    .post(`/api/v1/channels/${ch}/messages`, { content: 'r', parent_message_id: plain.body.id });
  valid(isMessage, reply.body, 'a reply');
  const reacted = await s.as('sh-bob').put(`/api/v1/messages/${plain.body.id}/reactions/${encodeURIComponent('👍')}`);
  valid(isMessage, reacted.body, 'PUT reaction answer');
  const edited = await s.as('sh-alice').patch(`/api/v1/messages/${plain.body.id}`, { content: 'edited' });
  valid(isMessage, edited.body, 'PATCH answer');
  await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, 'sh-alice', 'by sql')`;
  const page = await s.as('sh-bob').get(`/api/v1/channels/${ch}/messages?include_replies=1`);
  for (const m of page.body.messages) valid(isMessage, m, 'history');
  const thread = await s.as('sh-bob').get(`/api/v1/messages/${plain.body.id}/thread`);
  valid(isMessage, thread.body.parent, 'thread parent');
  for (const m of thread.body.replies) valid(isMessage, m, 'thread reply');
  await bob.waitFor((e) => e.filter((x) => x.type === 'new_message').length >= 4, 5000, 'the events');
  await bob.waitFor((e) => e.some((x) => x.type === 'message_updated'), 5000, 'the edit');
  for (const e of bob.events.filter((x) => ['new_message', 'message_updated', 'mention'].includes(x.type))) {
    valid(isMessage, e.data, `${e.type} event`);
  }
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ws?last_event_id=0`, {
    headers: { authorization: `Bearer ${await s.token('sh-alice')}` },
  });
  const ack = await new Promise<{ data: unknown }>((resolve, reject) => {
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      if (f.op === 'ack') resolve(f);
    });
    ws.once('open', () => ws.send(JSON.stringify({ op: 'send', ref: 1, channel_id: ch, content: 'over ws' })));
    ws.once('error', reject);
  });
  valid(isMessage, ack.data, 'WebSocket send ack');
  ws.close();
  bob.close();
});

test('every Channel and Member is exactly the schema', async () => {
  const created = await s
    .as('sh-carol')
    .post('/api/v1/channels', { type: 'group', name: 'n', members: [{ user_id: 'sh-dan' }] });
  valid(isChannel, created.body, 'POST /channels');
  valid(isChannel, (await s.as('sh-carol').get(`/api/v1/channels/${created.body.id}`)).body, 'GET channel');
  for (const c of (await s.as('sh-carol').get('/api/v1/channels')).body.channels) valid(isChannel, c, 'list');
  valid(isChannel, (await s.as('sh-carol').patch(`/api/v1/channels/${created.body.id}`, { name: 'm' })).body, 'PATCH');
  valid(isChannel, (await s.as('sh-carol').post('/api/v1/direct-messages', { user_id: 'sh-dan' })).body, 'direct');
  for (const m of (await s.as('sh-carol').get(`/api/v1/channels/${created.body.id}/members`)).body.members) {
    valid(isMember, m, 'member list');
  }
  valid(
    isMember,
    (await s.as('sh-carol').post(`/api/v1/channels/${created.body.id}/members`, { user_id: 'sh-eve' })).body,
    'added',
  );
  valid(
    isMember,
    (await s.as('sh-dan').patch(`/api/v1/channels/${created.body.id}/members/me`, { muted: true })).body,
    'prefs',
  );
});
