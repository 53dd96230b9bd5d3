/**
 * The platform's safety settings: PARLEY_DIRECT_MESSAGES, PARLEY_MEMBER_ADDS and
 * PARLEY_CONTACT_POLICY (e-mail addresses, phone numbers, off-platform links; flag, redact, block).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createServerKey } from '../../src/db/server-keys.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertError, group, storesNothing } from './lib.ts';

function suite(overrides: Parameters<typeof startTestServer>[0]) {
  let s: TestServer | undefined;
  after(async () => {
    await s?.close();
  });
  return async () => {
    s ??= await startTestServer(overrides);
    return s;
  };
}

describe('PARLEY_DIRECT_MESSAGES', () => {
  const none = suite({ directMessages: 'none' });
  const shared = suite({ directMessages: 'shared_channel' });
  test('none: no user opens a direct channel; the server API still can', async () => {
    const s = await none();
    await storesNothing(s, async () => {
      assertError(await s.as('dm-a').post('/api/v1/direct-messages', { user_id: 'dm-b' }), 403, 'forbidden');
    }, ['dm-a']);
    const { key } = await createServerKey(s.sql, 'dm');
    const res = await s.raw('POST', '/api/v1/server/channels', {
      headers: { authorization: `Bearer ${key}` },
      body: { type: 'direct', members: [{ user_id: 'dm-a' }, { user_id: 'dm-b' }] },
    });
    assert.equal(res.status, 201);
  });
  test('shared_channel: only users who already share a channel', async () => {
    const s = await shared();
    assertError(await s.as('dm-c').post('/api/v1/direct-messages', { user_id: 'dm-d' }), 403, 'forbidden');
    await group(s, 'dm-c', ['dm-d']);
    assert.equal((await s.as('dm-c').post('/api/v1/direct-messages', { user_id: 'dm-d' })).status, 201);
  });
});

describe('PARLEY_MEMBER_ADDS', () => {
  const shared = suite({ memberAdds: 'shared_channel' });
  const serverOnly = suite({ memberAdds: 'server' });
  test('shared_channel: a stranger cannot be put in a channel (which would share presence with them)', async () => {
    const s = await shared();
    await s.as('ma-stranger').get('/api/v1/me');
    await storesNothing(s, async () => {
      assertError(
        await s.as('ma-a').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'ma-stranger' }] }),
        403,
        'forbidden',
      );
    }, ['ma-a']);
    const mine = (await s.as('ma-a').post('/api/v1/channels', { type: 'group' })).body.id;
    assertError(
      await s.as('ma-a').post(`/api/v1/channels/${mine}/members`, { user_id: 'ma-stranger' }),
      403,
      'forbidden',
    );
    // Someone they already share a channel with (here: a direct channel) can be added.
    await s.as('ma-a').post('/api/v1/direct-messages', { user_id: 'ma-friend' });
    assert.equal((await s.as('ma-a').post(`/api/v1/channels/${mine}/members`, { user_id: 'ma-friend' })).status, 201);
  });
  test('server: users create channels for themselves only; the host adds members', async () => {
    const s = await serverOnly();
    assertError(
      await s.as('mb-a').post('/api/v1/channels', { type: 'group', members: [{ user_id: 'mb-b' }] }),
      403,
      'forbidden',
    );
    const mine = await s.as('mb-a').post('/api/v1/channels', { type: 'group' });
    assert.equal(mine.status, 201);
    assertError(
      await s.as('mb-a').post(`/api/v1/channels/${mine.body.id}/members`, { user_id: 'mb-b' }),
      403,
      'forbidden',
    );
    const { key } = await createServerKey(s.sql, 'ma');
    const added = await s.raw('POST', `/api/v1/server/channels/${mine.body.id}/members`, {
      headers: { authorization: `Bearer ${key}` },
      body: { user_id: 'mb-b' },
    });
    assert.equal(added.status, 201);
  });
  test('the default is anyone (as before), and the setting refuses other values', async () => {
    const { loadConfig } = await import('../../src/config.ts');
    assert.equal(loadConfig({}).memberAdds, 'anyone');
    assert.equal(loadConfig({}).directMessages, 'anyone');
    assert.equal(loadConfig({}).contactPolicy, 'off');
    assert.throws(() => loadConfig({ PARLEY_MEMBER_ADDS: 'friends' }), /PARLEY_MEMBER_ADDS must be one of/);
    assert.throws(() => loadConfig({ PARLEY_CONTACT_POLICY: 'strict' }), /PARLEY_CONTACT_POLICY must be one of/);
  });
});

const CONTACTS: [string, string][] = [
  ['email', 'write to me at sam.tutor@example.com'],
  ['international phone', 'call +44 7911 123456 tonight'],
  ['local US phone', 'my cell is (415) 555-2671'],
  ['local GB phone', 'ring 07911 123456'],
  ['whatsapp', 'text me on wa.me/447911123456'],
  ['telegram', 'join https://t.me/samtutor'],
  ['instagram', 'follow instagram.com/sam.tutor'],
  ['video call', 'let us meet on https://zoom.us/j/123456789'],
];
const CLEAN = [
  'see the worksheet at https://www.khanacademy.org/math/algebra',
  'page 12, exercises 3 to 7, due 2026-12-08 at 16:00',
  'the answer is 12 × 34 = 408, and 7 + 5 = 12',
];

describe('PARLEY_CONTACT_POLICY', () => {
  const block = suite({ contactPolicy: 'block', contactPhoneRegions: ['US', 'GB'] });
  const redact = suite({ contactPolicy: 'redact', contactPhoneRegions: ['US', 'GB'] });
  const flag = suite({ contactPolicy: 'flag', contactPhoneRegions: ['US', 'GB'] });

  test('block: 400 content_blocked, nothing stored, for sends and edits; ordinary text passes', async () => {
    const s = await block();
    const ch = await group(s, 'cp-a', ['cp-b']);
    await storesNothing(s, async () => {
      for (const [what, text] of CONTACTS) {
        assertError(
          await s.as('cp-a').post(`/api/v1/channels/${ch}/messages`, { content: text }),
          400,
          'content_blocked',
        );
        void what;
      }
    });
    for (const text of CLEAN) {
      assert.equal((await s.as('cp-a').post(`/api/v1/channels/${ch}/messages`, { content: text })).status, 201, text);
    }
    const m = (await s.as('cp-a').post(`/api/v1/channels/${ch}/messages`, { content: 'fine' })).body;
    assertError(
      await s.as('cp-a').patch(`/api/v1/messages/${m.id}`, { content: 'mail me: a@b.co' }),
      400,
      'content_blocked',
    );
  });

  test('redact: the details are replaced by [removed] before storing, for everyone', async () => {
    const s = await redact();
    const ch = await group(s, 'cr-a', ['cr-b']);
    const b = await s.sse('cr-b');
    for (const [what, text] of CONTACTS) {
      const res = await s.as('cr-a').post(`/api/v1/channels/${ch}/messages`, { content: text });
      assert.equal(res.status, 201, what);
      assert.match(res.body.content, /\[removed\]/, `${what}: ${res.body.content}`);
      assert.doesNotMatch(res.body.content, /@example|7911|555-2671|wa\.me|t\.me|instagram|zoom/, what);
    }
    const stored = await s.sql`SELECT content FROM channel_messages WHERE channel_id = ${ch}`;
    assert.ok(
      stored.every((r) => String(r.content).includes('[removed]')),
      'stored redacted, not only shown so',
    );
    await b.waitFor((e) => e.filter((x) => x.type === 'new_message').length === CONTACTS.length, 5000, 'the events');
    assert.ok(
      b.events.filter((x) => x.type === 'new_message').every((x) => String(x.data.content).includes('[removed]')),
    );
    const m = (await s.as('cr-a').post(`/api/v1/channels/${ch}/messages`, { content: CLEAN[0]! })).body;
    assert.equal(m.content, CLEAN[0]);
    const edited = await s.as('cr-a').patch(`/api/v1/messages/${m.id}`, { content: 'or sam@example.org' });
    assert.equal(edited.body.content, 'or [removed]');
    b.close();
  });

  test('flag: the message goes through and a report is opened for review', async () => {
    const s = await flag();
    const ch = await group(s, 'cf-a', ['cf-b']);
    const m = await s.as('cf-a').post(`/api/v1/channels/${ch}/messages`, { content: CONTACTS[0]![1] });
    assert.equal(m.status, 201);
    assert.equal(m.body.content, CONTACTS[0]![1]);
    const [r] = await s.sql`SELECT kind, reporter, status, reason FROM reports WHERE message_id = ${m.body.id}`;
    assert.deepEqual(
      { ...r },
      { kind: 'contact_policy', reporter: null, status: 'open', reason: 'Contact details in the message (email).' },
    );
    await s.as('cf-a').post(`/api/v1/channels/${ch}/messages`, { content: CLEAN[1]! });
    const [n] = await s.sql`SELECT count(*)::int AS n FROM reports`;
    assert.equal(n!.n, 1, 'clean text opens no report');
    // Also for a member's message posted through the server API; never for the host's own.
    const { key } = await createServerKey(s.sql, 'cf');
    const headers = { authorization: `Bearer ${key}` };
    await s.raw('POST', `/api/v1/server/channels/${ch}/messages`, {
      headers,
      body: { content: 'call +44 7911 123456', user_id: 'cf-b' },
    });
    await s.raw('POST', `/api/v1/server/channels/${ch}/messages`, {
      headers,
      body: { content: 'Office: +44 20 7946 0000' },
    });
    const [after] = await s.sql`SELECT count(*)::int AS n FROM reports`;
    assert.equal(after!.n, 2);
  });
});
