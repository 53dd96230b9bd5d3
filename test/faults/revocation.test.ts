/**
 * Revocation across a cluster: three `parley serve` processes on one database; a user's tokens are
 * revoked through one node, and the user's streams on every node close within a second (the
 * contract's bound), with the reason; requests with the old token are refused on every node.
 * The server key here comes from PARLEY_SERVER_KEY (bootstrapping, no key stored).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { freshDatabase, sqlClient } from '../helpers/db.ts';
import { eventually } from '../helpers/delivery.ts';
import { type NodeProcess, spawnNode } from '../helpers/node.ts';
import { SseClient } from '../helpers/sse.ts';

const KEY = `psk_env_${randomBytes(32).toString('base64url')}`;
let db: { url: string; drop: () => Promise<void> };
let sql: ReturnType<typeof sqlClient>;
const nodes: NodeProcess[] = [];

before(async () => {
  db = await freshDatabase();
  sql = sqlClient(db.url);
  for (const id of ['rv1', 'rv2', 'rv3']) nodes.push(await spawnNode(db.url, id, { PARLEY_SERVER_KEY: KEY }));
});
after(async () => {
  for (const n of nodes) n.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
  await sql.end({ timeout: 1 });
  await db.drop();
});

test("a revocation through one node closes the user's streams on all three within a second", async () => {
  const token = await nodes[0]!.token('rv-user');
  const streams = await Promise.all(nodes.map((n) => SseClient.open(n.url, '/api/v1/events', { token })));
  for (const c of streams) await c.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'connected');
  const bystander = await SseClient.open(nodes[1]!.url, '/api/v1/events', { token: await nodes[1]!.token('rv-other') });
  await bystander.waitFor((e) => e.some((x) => x.type === 'connection'), 5000, 'connected');

  const t0 = performance.now();
  const res = await fetch(`${nodes[0]!.url}/api/v1/server/users/rv-user/revoke-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(res.status, 200);
  const closedAt: number[] = [];
  await Promise.all(
    streams.map(async (c) => {
      await eventually(() => c.closed, 5000, 'a stream closed');
      closedAt.push(performance.now() - t0);
    }),
  );
  const slowest = Math.max(...closedAt);
  console.log(`# revocation: streams on 3 nodes closed after ${closedAt.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  assert.ok(slowest < 1000, `the last stream closed after ${slowest.toFixed(0)} ms`);
  for (const c of streams) {
    assert.equal(c.events.at(-1)?.type, 'disconnect');
    assert.equal(c.events.at(-1)?.data.reason, 'token_revoked');
  }
  for (const n of nodes) {
    const me = await fetch(`${n.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 401, `${n.id} refuses the revoked token`);
  }
  assert.equal(bystander.closed, false, "another user's stream stays open");
  bystander.close();
});
