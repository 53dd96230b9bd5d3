/**
 * Webhook delivery survives the death of the node delivering: real `parley serve` processes, killed
 * with SIGKILL mid-stream, and a real receiver verifying signatures. The endpoint is the one
 * PARLEY_WEBHOOK_URL configures (upserted at start by every node). Every event of the log is
 * acknowledged, first deliveries come in pos order; a repeat after a kill is allowed (at least once)
 * and counted, not failed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Sql } from '../../src/db/client.ts';
import { freshDatabase, sqlClient } from '../helpers/db.ts';
import { eventually } from '../helpers/delivery.ts';
import { type NodeProcess, spawnNode } from '../helpers/node.ts';
import { Receiver } from '../helpers/webhook-receiver.ts';

const SECRET = `whsec_${Buffer.from('fault-tests-secret-0123456789abcdef').toString('base64')}`;
const receivers: Receiver[] = [];
const nodes: NodeProcess[] = [];
const dbs: { url: string; drop: () => Promise<void> }[] = [];
const sqls: Sql[] = [];

after(async () => {
  for (const n of nodes) n.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
  for (const r of receivers) await r.stop();
  for (const s of sqls) await s.end({ timeout: 1 });
  for (const d of dbs) await d.drop();
});

async function setup(): Promise<{ sql: Sql; url: string; r: Receiver; env: Record<string, string> }> {
  const db = await freshDatabase();
  dbs.push(db);
  const sql = sqlClient(db.url);
  sqls.push(sql);
  const r = new Receiver();
  r.secret = SECRET;
  receivers.push(r);
  // A receiver that takes a moment per event, so a stream of events is still in flight when a node dies.
  r.answer = () => new Promise((resolve) => setTimeout(() => resolve(200), 5));
  await r.start();
  const env = {
    PARLEY_WEBHOOK_URL: r.url,
    PARLEY_WEBHOOK_SECRET: SECRET,
    PARLEY_WEBHOOK_RETRY_MIN: '100ms',
    PARLEY_WEBHOOK_LEASE: '2s',
    PARLEY_WEBHOOK_POLL: '500ms',
  };
  return { sql, url: db.url, r, env };
}

/** Messages written by "another program" with SQL, in `batches` transactions a little apart. */
async function write(sql: Sql, batches: number, perBatch: number): Promise<void> {
  await sql`INSERT INTO users (id) VALUES ('w-writer') ON CONFLICT DO NOTHING`;
  const [ch] = await sql`
    WITH c AS (INSERT INTO channels (type, name, created_by) VALUES ('group', 'hooks', 'w-writer') RETURNING id)
    INSERT INTO channel_members (channel_id, user_id, role) SELECT id, 'w-writer', 'owner' FROM c RETURNING channel_id`;
  for (let b = 0; b < batches; b++) {
    await sql`
      INSERT INTO channel_messages (channel_id, user_id, content)
      SELECT ${ch!.channel_id}, 'w-writer', 'm' || g FROM generate_series(1, ${perBatch}) g`;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function cursorStart(sql: Sql): Promise<number> {
  const [row] = await sql`SELECT cursor_pos FROM webhook_endpoints WHERE source = 'env'`;
  return Number(row!.cursor_pos);
}

function check(r: Receiver, expected: number[]): { duplicates: number } {
  const acked = new Set(r.acked().map((h) => Number(h.id.slice(4))));
  const missing = expected.filter((p) => !acked.has(p));
  assert.deepEqual(missing, [], 'every event acknowledged');
  const firsts = r.firsts().map((h) => Number(h.id.slice(4)));
  assert.deepEqual(firsts, expected, 'first deliveries in pos order, none unexpected');
  assert.ok(
    r.hits.every((h) => h.verified),
    'every POST signed with the secret',
  );
  return { duplicates: r.hits.length - firsts.length };
}

let killed: { sql: Sql; r: Receiver; env: Record<string, string>; url: string };
before(async () => {
  killed = await setup();
});

test('SIGKILL mid-stream, then a restart: delivery resumes from the durable cursor; every event arrives', async () => {
  const { sql, r, env, url } = killed;
  const a = await spawnNode(url, 'wh-a', env);
  nodes.push(a);
  const from = await cursorStart(sql);
  const writing = write(sql, 20, 20);
  await eventually(() => r.hits.length >= 60, 30_000, 'delivery under way');
  a.kill('SIGKILL');
  await a.exited;
  const seenAtKill = r.hits.length;
  await writing;
  // The same node id comes back (a restart): it renews its own lease at once.
  const again = await spawnNode(url, 'wh-a', env);
  nodes.push(again);
  const rows = await sql`SELECT pos FROM event_log WHERE pos > ${from} ORDER BY pos`;
  const expected = rows.map((x) => Number(x.pos));
  assert.ok(seenAtKill < expected.length, 'the kill was mid-stream');
  await eventually(() => new Set(r.acked().map((h) => h.id)).size >= expected.length, 60_000, 'every event');
  const { duplicates } = check(r, expected);
  console.log(`# SIGKILL and restart: ${expected.length} events, ${duplicates} delivered twice (allowed)`);
  const [ep] = await sql`SELECT cursor_pos, attempts FROM webhook_endpoints WHERE source = 'env'`;
  await eventually(
    async () =>
      Number((await sql`SELECT cursor_pos FROM webhook_endpoints WHERE source = 'env'`)[0]!.cursor_pos) ===
      expected.at(-1),
    10_000,
    'the cursor at the last event',
  );
  assert.equal(ep!.attempts, 0);
  again.kill('SIGKILL');
  await again.exited;
});

test('three nodes, the delivering one killed: another takes over within the lease; every event, in order', async () => {
  const { sql, r, env, url } = await setup();
  const three = [];
  for (const id of ['wh-1', 'wh-2', 'wh-3']) {
    const n = await spawnNode(url, id, env);
    nodes.push(n);
    three.push(n);
  }
  const from = await cursorStart(sql);
  const writing = write(sql, 20, 20);
  await eventually(() => r.hits.length >= 60, 30_000, 'delivery under way');
  const [held] = await sql`SELECT lease_owner FROM webhook_endpoints WHERE source = 'env'`;
  const owner = three.find((n) => n.id === held!.lease_owner);
  assert.ok(owner, `one of the three delivers (${held!.lease_owner})`);
  owner.kill('SIGKILL');
  await owner.exited;
  await writing;
  const rows = await sql`SELECT pos FROM event_log WHERE pos > ${from} ORDER BY pos`;
  const expected = rows.map((x) => Number(x.pos));
  assert.ok(r.hits.length < expected.length, 'the kill was mid-stream');
  await eventually(() => new Set(r.acked().map((h) => h.id)).size >= expected.length, 60_000, 'every event');
  const { duplicates } = check(r, expected);
  const [now] = await sql`SELECT lease_owner FROM webhook_endpoints WHERE source = 'env'`;
  assert.notEqual(now!.lease_owner, owner.id, 'a surviving node holds the endpoint');
  assert.ok(['wh-1', 'wh-2', 'wh-3'].includes(now!.lease_owner as string));
  console.log(`# delivering node killed: ${expected.length} events, ${duplicates} delivered twice (allowed)`);
});
