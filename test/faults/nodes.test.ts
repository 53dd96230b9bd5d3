import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Auth } from '../../src/auth/tokens.ts';
import type { Sql } from '../../src/db/client.ts';
import { freshDatabase, sqlClient } from '../helpers/db.ts';
import { checkDelivery, eventually } from '../helpers/delivery.ts';
import { type NodeProcess, spawnNode } from '../helpers/node.ts';
import { request, TEST_SECRET } from '../helpers/server.ts';
import { type Received, SseClient } from '../helpers/sse.ts';

const auth = new Auth(new TextEncoder().encode(TEST_SECRET));
const tokens = new Map<string, string>();
async function token(user: string): Promise<string> {
  if (!tokens.has(user)) tokens.set(user, await auth.sign(user));
  return tokens.get(user)!;
}
async function call(node: NodeProcess, user: string, method: string, path: string, body?: unknown) {
  return request(node.url, method, path, { body, headers: { authorization: `Bearer ${await token(user)}` } });
}
async function stream(node: NodeProcess, user: string, lastEventId?: string): Promise<SseClient> {
  const c = await SseClient.open(node.url, '/api/v1/events', { token: await token(user), lastEventId });
  await c.waitFor(() => c.lastEventId !== undefined, 5000, `${user} resume point`);
  return c;
}

let db: { url: string; drop: () => Promise<void> };
let sql: Sql;
const nodes: NodeProcess[] = [];
let channel = '';
const env = { PARLEY_PRESENCE_TTL_MS: '3000', PARLEY_HEARTBEAT_MS: '500', PARLEY_PRESENCE_GRACE_MS: '1000' };

before(async () => {
  db = await freshDatabase();
  for (const id of ['n1', 'n2', 'n3']) nodes.push(await spawnNode(db.url, id, env));
  sql = sqlClient(db.url);
  const r = await call(nodes[1]!, 'owner', 'POST', '/api/v1/channels', {
    type: 'group',
    name: 'cluster',
    members: ['u1', 'u2', 'u3', 'u4', 'k1', 'k2', 'ghost', 'leaver'].map((user_id) => ({ user_id })),
  });
  assert.equal(r.status, 201);
  channel = r.body.id;
});

after(async () => {
  for (const n of nodes) n.kill('SIGKILL');
  await sql?.end({ timeout: 1 });
  await db?.drop();
});

describe('three nodes on one database', () => {
  test('an event written through any node, or by SQL, reaches clients on all nodes', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const clients = [await stream(n1, 'u1'), await stream(n2, 'u2'), await stream(n3, 'u3')];
    const viaN3 = await call(n3, 'owner', 'POST', `/api/v1/channels/${channel}/messages`, { content: 'through n3' });
    assert.equal(viaN3.status, 201);
    await sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channel}, 'owner', 'by SQL')`;
    for (const c of clients) {
      await c.waitFor((e) => e.filter((x) => x.type === 'new_message').length === 2, 5000, 'both messages');
      assert.deepEqual(
        c.of('new_message').map((e) => e.data.content),
        ['through n3', 'by SQL'],
      );
      assert.equal(c.of('new_message')[0]!.pos, clients[0]!.of('new_message')[0]!.pos);
    }
    assert.deepEqual(
      clients.map((c) => c.events[0]!.data.node_id),
      ['n1', 'n2', 'n3'],
    );
    for (const c of clients) c.close();
  });

  test('typing crosses nodes and expires with is_typing false', async () => {
    const [n1, , n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const watcher = await stream(n3, 'u3');
    const r = await call(n1, 'u1', 'POST', `/api/v1/channels/${channel}/typing`, {});
    assert.equal(r.status, 204);
    await watcher.waitFor((e) =>
      e.some((x) => x.type === 'typing' && x.data.user_id === 'u1' && x.data.is_typing === true),
    );
    await watcher.waitFor(
      (e) => e.some((x) => x.type === 'typing' && x.data.user_id === 'u1' && x.data.is_typing === false),
      10_000,
      'typing expiry',
    );
    const typing = watcher.of('typing')[0]!;
    assert.equal(typing.pos, undefined, 'typing is ephemeral');
    assert.equal(typing.channel_id, channel);
    watcher.close();
  });

  test('presence is the same from every node', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const u4 = await stream(n2, 'u4');
    for (const n of [n1, n2, n3]) {
      await eventually(
        async () => {
          const r = await call(n, 'u1', 'GET', '/api/v1/online-users');
          return r.body.users.some((u: { user_id: string }) => u.user_id === 'u4');
        },
        3000,
        `u4 online as seen from ${n.id}`,
      );
      const st = await call(n, 'u1', 'GET', '/api/v1/user/u4/status');
      assert.equal(st.body.online, true);
      const members = await call(n, 'u1', 'GET', `/api/v1/channel/${channel}/online-members`);
      assert.ok(members.body.user_ids.includes('u4'));
    }
    u4.close();
    for (const n of [n1, n2, n3]) {
      await eventually(
        async () => (await call(n, 'u1', 'GET', '/api/v1/user/u4/status')).body.online === false,
        3000,
        `u4 offline as seen from ${n.id}`,
      );
    }
  });
});

describe('a node dies', () => {
  test('SIGKILL: its clients resume on another node with nothing lost; its users expire after the TTL', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const peer = await stream(n2, 'u2');
    const k1 = await stream(n1, 'k1');
    const k2 = await stream(n1, 'k2');
    const ghost = await stream(n1, 'ghost');
    const from = { k1: Number(k1.lastEventId), k2: Number(k2.lastEventId) };
    await eventually(
      async () => (await call(n2, 'u2', 'GET', '/api/v1/user/ghost/status')).body.online === true,
      3000,
      'ghost online',
    );

    let writing = true;
    let written = 0;
    const writes: Promise<void>[] = [];
    for (const n of [n2, n3]) {
      writes.push(
        (async () => {
          for (let i = 0; writing && i < 2000; i++) {
            const r = await call(n, 'owner', 'POST', `/api/v1/channels/${channel}/messages`, {
              content: `${n.id} ${i}`,
            });
            assert.equal(r.status, 201);
            written++;
          }
        })(),
      );
    }
    writes.push(
      (async () => {
        for (let i = 0; writing && i < 2000; i++) {
          await sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channel}, 'owner', ${`sql ${i}`})`;
          written++;
        }
      })(),
    );
    // Counted, not timed: on a loaded machine the writers are slower, and the test must still have
    // traffic before the kill, across it, and after the resume.
    await eventually(() => written >= 80, 30_000, 'writes before the kill');
    n1.kill('SIGKILL');
    const killedAt = Date.now();
    await n1.exited;
    const received: Record<string, Received[]> = { k1: [...k1.events], k2: [...k2.events] };
    await eventually(() => k1.closed && k2.closed, 5000, 'streams of the dead node closed');
    const k1b = await stream(n2, 'k1', k1.lastEventId);
    const k2b = await stream(n3, 'k2', k2.lastEventId);
    const resumedAt = written;
    await eventually(() => written >= resumedAt + 80, 30_000, 'writes after the resume');
    writing = false;
    await Promise.all(writes);

    const [last] =
      await sql`SELECT max(pos)::int AS pos FROM event_log WHERE channel_id = ${channel} AND target_user_ids IS NULL`;
    for (const [name, c] of [
      ['k1', k1b],
      ['k2', k2b],
    ] as const) {
      await eventually(() => c.events.some((e) => e.pos === last!.pos), 20000, `${name} caught up`);
      const report = await checkDelivery(sql, name, from[name], [...received[name]!, ...c.events]);
      assert.deepEqual(
        { lost: report.lost.length, repeated: report.repeated.length, outOfOrder: report.outOfOrder },
        { lost: 0, repeated: 0, outOfOrder: 0 },
        `${name}: ${JSON.stringify(report).slice(0, 500)}`,
      );
      assert.ok(report.expected > 100);
    }

    // The dead node stopped heartbeating: the others mark its users offline after the TTL.
    await eventually(
      async () => (await call(n3, 'u2', 'GET', '/api/v1/user/ghost/status')).body.online === false,
      15_000,
      'ghost offline after TTL',
    );
    const expiredAfter = Date.now() - killedAt;
    assert.ok(expiredAfter >= 2500, `ghost expired after ${expiredAfter} ms, before the 3 s TTL`);
    await peer.waitFor(
      (e) => e.some((x) => x.type === 'presence' && x.data.user_id === 'ghost' && x.data.online === false),
      5000,
      'presence offline event',
    );
    const ev = peer.events.find((x) => x.type === 'presence' && x.data.user_id === 'ghost' && x.data.online === false)!;
    assert.equal(typeof ev.data.last_seen_at, 'string');
    ghost.close();
    for (const c of [peer, k1b, k2b]) c.close();
  });

  test('SIGTERM: streams are told to reconnect, presence is released at once, exit 0 within 10 s', async () => {
    const n3 = nodes[2]!;
    const n2 = nodes[1]!;
    const leaver = await stream(n3, 'leaver');
    await eventually(
      async () => (await call(n2, 'u2', 'GET', '/api/v1/user/leaver/status')).body.online === true,
      3000,
      'leaver online',
    );
    const t0 = Date.now();
    n3.kill('SIGTERM');
    const { code } = await n3.exited;
    const took = Date.now() - t0;
    assert.equal(code, 0, n3.output());
    assert.ok(took < 10_000, `exit took ${took} ms`);
    await eventually(() => leaver.closed, 2000, 'stream closed by the node');
    const [row] = await sql`SELECT count(*)::int AS n FROM presence_nodes WHERE node_id = 'n3'`;
    assert.equal(row!.n, 0, 'the node removed its own presence row instead of waiting for expiry');
    const st = await call(n2, 'u2', 'GET', '/api/v1/user/leaver/status');
    assert.equal(st.body.online, false);
  });
});
