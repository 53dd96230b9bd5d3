/**
 * PostgreSQL lets any login NOTIFY any channel. A role with LOGIN and no privilege on any table
 * forges Parley's notifications: events that were never written, a `ts` with a raw CR (which split
 * an SSE frame at 012d59d), a pos that would move the listener past real events, typing that never
 * happened. None of it is believed: it reaches nobody, moves nothing, and is counted in /metrics;
 * the real event at that pos is delivered as usual.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import postgres from 'postgres';
import { adminUrl } from '../helpers/db.ts';
import { eventually } from '../helpers/delivery.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
let forger: postgres.Sql;
const role = `parley_forger_${randomBytes(4).toString('hex')}`;

before(async () => {
  s = await startTestServer();
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'forger-password'`);
  await admin.end();
  const u = new URL(s.databaseUrl);
  u.username = role;
  u.password = 'forger-password';
  forger = postgres(u.toString(), { max: 1, onnotice: () => {} });
});
after(async () => {
  await forger.end({ timeout: 1 });
  await s.close();
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
});

async function metric(name: string, channel: string): Promise<number> {
  const text = String((await s.raw('GET', '/metrics')).body);
  const m = new RegExp(`^${name}\\{channel="${channel}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

test('the forger can read no key, call no signing function and write no table', async () => {
  await assert.rejects(forger`SELECT key FROM parley_keys`, /permission denied/);
  await assert.rejects(forger`SELECT parley_flush_batch()`, /trigger|permission denied/);
  await assert.rejects(forger`INSERT INTO event_pending (batch, head, type, channel_id, data, object_id)
                               VALUES (1, true, 'new_message', gen_random_uuid(), '{}', 'x')`);
  await assert.rejects(forger`SELECT * FROM event_log`, /permission denied/);
});

test('forged notifications reach nobody, do not move the position, and are counted', async () => {
  const alice = s.as('fn-alice');
  const ch = (await alice.post('/api/v1/channels', { type: 'group', members: [{ user_id: 'fn-bob' }] })).body.id;
  const bob = await s.sse('fn-bob');
  await bob.waitFor((e) => e.some((x) => x.type === 'connection'));
  const pos = s.parley.listener.lastPos;
  const eventsBefore = await metric('parley_listener_unverified_notifications_total', 'parley_events');
  const typingBefore = await metric('parley_listener_unverified_notifications_total', 'parley_ephemeral');

  const fake = (p: number, ts: string) =>
    `${p}\tnew_message\t${ch}\t\t\t${ts}\t{"id":"00000000-0000-4000-8000-000000000001","content":"forged"}`;
  // The unsigned format the listener believed at 012d59d, with a CR in ts to split the SSE frame.
  await forger`SELECT pg_notify('parley_events', ${`v1\n${pos + 1}\tnew_message\t${ch}\t\t2026-01-01T00:00:00Z\rdata: {"type":"injected"}\t{"content":"forged"}`})`;
  // The signed format, with a signature the forger had to make up.
  await forger`SELECT pg_notify('parley_events', ${`v2 ${'A'.repeat(43)}=\n${fake(pos + 1, '2026-01-01T00:00:00.000Z')}`})`;
  // Typing nobody did, in the format nodes used at 012d59d.
  await forger`SELECT pg_notify('parley_ephemeral', ${JSON.stringify([{ type: 'typing', channel_id: ch, data: { user_id: 'fn-alice', is_typing: true } }])})`;
  await bob.quiet(500);
  const forged = () => bob.events.filter((e) => e.type !== 'connection' && e.type !== 'presence').map((e) => e.type);
  assert.deepEqual(forged(), [], 'nothing forged was delivered (no new_message, no typing, no injected event)');
  assert.equal(s.parley.listener.lastPos, pos, 'the listener did not move past the forged pos');
  // A "signature" from the public helper with a guessed key.
  const [{ p }] =
    (await forger`SELECT parley_signed(${fake(pos + 1, 'x')}, ${Buffer.alloc(64, 0x36)}, ${Buffer.alloc(64, 0x5c)}) AS p`) as unknown as [
      { p: string },
    ];
  await forger`SELECT pg_notify('parley_events', ${p})`;
  await eventually(
    async () => (await metric('parley_listener_unverified_notifications_total', 'parley_events')) >= eventsBefore + 3,
    5000,
    'three forged event notifications counted',
  );
  await eventually(
    async () =>
      (await metric('parley_listener_unverified_notifications_total', 'parley_ephemeral')) >= typingBefore + 1,
    5000,
    'the forged typing counted',
  );
  await bob.quiet(300);
  assert.deepEqual(forged(), []);
  assert.equal(s.parley.listener.lastPos, pos);

  // The real event at that pos arrives, in the notification, as usual.
  const sent = await alice.post(`/api/v1/channels/${ch}/messages`, { content: 'real' });
  await bob.waitFor((e) => e.some((x) => x.data.id === sent.body.id), 5000, 'the real message');
  const real = bob.events.find((e) => e.data.id === sent.body.id)!;
  assert.equal(real.pos, pos + 1);
  assert.equal(real.data.content, 'real');
  bob.close();
});
