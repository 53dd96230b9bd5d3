import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, MISSING_UUID, send, storesNothing } from './lib.ts';

/** Every endpoint of a channel: 403 for a non-member (also a former member), 404 for an unknown id. */
let s: TestServer;
let ch: string;
let msg: string;
before(async () => {
  s = await startTestServer();
  const res = await s.as('ac-owner').post('/api/v1/channels', {
    type: 'group',
    members: [{ user_id: 'ac-member' }, { user_id: 'ac-former' }],
  });
  ch = res.body.id;
  msg = (await send(s, 'ac-member', ch, 'members only')).id;
  await s.as('ac-owner').delete(`/api/v1/channels/${ch}/members/ac-former`);
});
after(async () => {
  await s.close();
});

type Call = [method: string, path: (channel: string, message: string) => string, body?: (message: string) => unknown];

const channelCalls: Call[] = [
  ['GET', (c) => `/api/v1/channels/${c}`],
  ['PATCH', (c) => `/api/v1/channels/${c}`, () => ({ name: 'mine' })],
  ['GET', (c) => `/api/v1/channels/${c}/members`],
  ['POST', (c) => `/api/v1/channels/${c}/members`, () => ({ user_id: 'ac-friend' })],
  ['DELETE', (c) => `/api/v1/channels/${c}/members/ac-member`],
  ['PATCH', (c) => `/api/v1/channels/${c}/members/me`, () => ({ muted: true })],
  ['GET', (c) => `/api/v1/channels/${c}/messages`],
  ['POST', (c) => `/api/v1/channels/${c}/messages`, () => ({ content: 'let me in' })],
  ['POST', (c) => `/api/v1/channels/${c}/typing`, () => ({})],
  ['POST', (c) => `/api/v1/channels/${c}/read`, (m) => ({ message_id: m })],
  ['GET', (c) => `/api/v1/channel/${c}/online-members`],
];
const messageCalls: Call[] = [
  ['PATCH', (_, m) => `/api/v1/messages/${m}`, () => ({ content: 'mine now' })],
  ['DELETE', (_, m) => `/api/v1/messages/${m}`],
  ['GET', (_, m) => `/api/v1/messages/${m}/thread`],
  ['PUT', (_, m) => `/api/v1/messages/${m}/reactions/${encodeURIComponent('👀')}`],
  ['DELETE', (_, m) => `/api/v1/messages/${m}/reactions/${encodeURIComponent('👀')}`],
];

async function call(user: string, [method, path, body]: Call, c: string, m: string) {
  return s.raw(method, path(c, m), {
    body: body?.(m),
    headers: { authorization: `Bearer ${await s.token(user)}` },
  });
}

test('a non-member, and a former member, get 403 on everything of the channel, and change nothing', async () => {
  await storesNothing(s, async () => {
    for (const user of ['ac-stranger', 'ac-former']) {
      for (const c of [...channelCalls, ...messageCalls]) {
        const res = await call(user, c, ch, msg);
        assertError(res, 403, 'forbidden');
      }
    }
  }, ['ac-stranger', 'ac-former']);
  // Nor do they see it listed, nor its member's presence.
  const list = await s.as('ac-former').get('/api/v1/channels');
  assert.deepEqual(list.body.channels, []);
  assertError(await s.as('ac-former').get('/api/v1/user/ac-member/status'), 403, 'forbidden');
});

test('an unknown channel is 404 on every channel endpoint; an unknown message 404 on every message one', async () => {
  await storesNothing(s, async () => {
    for (const c of channelCalls) {
      assertError(await call('ac-owner', c, MISSING_UUID, msg), 404, 'not_found');
    }
    for (const c of messageCalls) {
      assertError(await call('ac-owner', c, ch, MISSING_UUID), 404, 'not_found');
    }
  });
});

test('an unknown route is 404 in the error shape', async () => {
  assertError(await s.as('ac-owner').get('/api/v1/nothing-here'), 404, 'not_found');
  assertError(await s.as('ac-owner').delete(`/api/v1/channels/${ch}`), 404, 'not_found');
});
