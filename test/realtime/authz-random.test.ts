import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually } from '../helpers/delivery.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { Received, SseClient } from '../helpers/sse.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

/** A small seeded PRNG so a failure can be replayed with the printed seed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * `count` group channels made through the API, each owned by a random user, with each other user a
 * member with chance `pJoin`; returns them with their members as the test tracks them.
 */
async function randomChannels(rand: () => number, users: string[], count: number, pJoin: number) {
  const channels: string[] = [];
  const members = new Map<string, Set<string>>();
  for (let i = 0; i < count; i++) {
    const owner = users[Math.floor(rand() * users.length)]!;
    const initial = users.filter((u) => u !== owner && rand() < pJoin);
    const r = await s.as(owner).post('/api/v1/channels', {
      type: 'group',
      members: initial.map((user_id) => ({ user_id })),
    });
    assert.equal(r.status, 201);
    channels.push(r.body.id);
    members.set(r.body.id, new Set([owner, ...initial]));
  }
  return { channels, members };
}

interface LogRow {
  pos: number;
  type: string;
  channel_id: string;
  subject_user_id: string | null;
  target_user_ids: string[] | null;
}

/**
 * The rule of the contract, computed from the log alone: a user is entitled to an event of a channel
 * they are a member of at that pos; their own join counts, their own leave is the last they see.
 */
function entitledPositions(log: LogRow[], user: string): number[] {
  const member = new Set<string>();
  const out: number[] = [];
  for (const e of log) {
    const mine = e.subject_user_id === user;
    if (mine && e.type === 'member_joined') member.add(e.channel_id);
    const isMember = member.has(e.channel_id);
    let ok: boolean;
    if (e.target_user_ids) ok = e.target_user_ids.includes(user) && (e.type === 'channel_created' || isMember);
    else ok = isMember;
    if (ok) out.push(e.pos);
    if (mine && e.type === 'member_left') member.delete(e.channel_id);
  }
  return out;
}

test('randomised membership churn: nobody receives an event of a channel they were not in, nobody misses one', async () => {
  const seed = Number(process.env.AUTHZ_SEED ?? Date.now() % 100000);
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const users = Array.from({ length: 8 }, (_, i) => `az-${i}`);
  const streams = new Map<string, SseClient>();
  const earlier = new Map<string, Received[]>();
  for (const u of users) streams.set(u, await s.sse(u));
  for (const c of streams.values()) await c.waitFor(() => c.lastEventId !== undefined, 5000, 'resume point');
  const start = Math.min(...[...streams.values()].map((c) => Number(c.lastEventId)));
  const startOf = new Map([...streams].map(([u, c]) => [u, Number(c.lastEventId)]));

  const { channels, members } = await randomChannels(rand, users, 5, 0.4);

  for (let step = 0; step < 250; step++) {
    const ch = pick(channels);
    const inChannel = [...members.get(ch)!];
    const outside = users.filter((u) => !members.get(ch)!.has(u));
    const roll = rand();
    const viaSql = rand() < 0.4;
    if (roll < 0.15 && outside.length) {
      const u = pick(outside);
      if (viaSql) await s.sql`INSERT INTO channel_members (channel_id, user_id) VALUES (${ch}, ${u})`;
      else {
        const owner = (await s.sql`SELECT user_id FROM channel_members WHERE channel_id = ${ch} AND role = 'owner'`)[0];
        if (!owner) continue;
        const r = await s.as(owner.user_id as string).post(`/api/v1/channels/${ch}/members`, { user_id: u });
        assert.equal(r.status, 201);
      }
      members.get(ch)!.add(u);
    } else if (roll < 0.3 && inChannel.length > 1) {
      const u = pick(inChannel);
      if (viaSql) await s.sql`DELETE FROM channel_members WHERE channel_id = ${ch} AND user_id = ${u}`;
      else assert.equal((await s.as(u).delete(`/api/v1/channels/${ch}/members/${u}`)).status, 204);
      members.get(ch)!.delete(u);
    } else if (inChannel.length) {
      const author = pick(inChannel);
      const mention = rand() < 0.3 ? [pick(inChannel)] : [];
      if (viaSql) {
        await s.sql`
          INSERT INTO channel_messages (channel_id, user_id, content, mentions)
          VALUES (${ch}, ${author}, ${`sql ${step}`}, ${mention}::text[])`;
      } else {
        const r = await s
          .as(author)
          .post(`/api/v1/channels/${ch}/messages`, { content: `api ${step}`, mentions: mention });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
    }
    // Now and then a user drops their stream and resumes from the last id they saw.
    if (step % 40 === 39) {
      const u = pick(users);
      const c = streams.get(u)!;
      c.close();
      earlier.set(u, [...(earlier.get(u) ?? []), ...c.events]);
      streams.set(u, await s.sse(u, { lastEventId: c.lastEventId }));
    }
  }

  const log = (await s.sql`
    SELECT pos::int AS pos, type, channel_id::text AS channel_id, subject_user_id, target_user_ids
      FROM event_log WHERE pos > ${start} ORDER BY pos`) as unknown as LogRow[];
  for (const u of users) {
    const want = entitledPositions(log, u).filter((p) => p > startOf.get(u)!);
    const c = streams.get(u)!;
    const last = want[want.length - 1];
    const got0 = () => [...(earlier.get(u) ?? []), ...c.events].filter((e) => e.pos !== undefined).map((e) => e.pos!);
    if (last !== undefined) {
      await eventually(() => got0().includes(last), 15000, `${u} reached ${last}`).catch((err) => {
        const g = new Set(got0());
        const detail = log
          .filter((e) => want.includes(e.pos) && !g.has(e.pos))
          .map((e) => `${e.pos}:${e.type}:${e.channel_id.slice(0, 4)}:${e.subject_user_id ?? ''}`);
        const uLog = log
          .filter((e) => e.subject_user_id === u)
          .map((e) => `${e.pos}:${e.type}:${e.channel_id.slice(0, 4)}`);
        throw new Error(
          `${(err as Error).message}; seed ${seed}; missing ${detail.join(' ')}; ${u} membership ${uLog.join(' ')}; got ${[...g].join(',')}`,
        );
      });
    }
    const got = [...(earlier.get(u) ?? []), ...c.events].filter((e) => e.pos !== undefined).map((e) => e.pos!);
    const wantSet = new Set(want);
    const gotSet = new Set(got);
    const unexpected = got.filter((p) => !wantSet.has(p));
    const lost = want.filter((p) => !gotSet.has(p));
    assert.deepEqual(unexpected, [], `seed ${seed}: ${u} received events it was not entitled to`);
    assert.deepEqual(lost, [], `seed ${seed}: ${u} missed events`);
    assert.equal(got.length, gotSet.size, `seed ${seed}: ${u} received a repeat`);
    c.close();
  }
  // The churn really exercised both directions.
  assert.ok(log.filter((e) => e.type === 'member_left').length >= 5);
  assert.ok(log.filter((e) => e.type === 'member_joined').length >= 10);
});

test('streams resuming together from different points each get exactly their due events, in order', async () => {
  const seed = Number(process.env.AUTHZ_SEED ?? Date.now() % 100000);
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const users = Array.from({ length: 8 }, (_, i) => `rt-${i}`);
  // The SQL churn below may add a user no API call has created yet.
  await s.sql`INSERT INTO users (id) SELECT unnest(${users}::text[]) ON CONFLICT (id) DO NOTHING`;
  const [h0] = await s.sql`SELECT coalesce(max(pos), 0)::int AS head FROM event_log`;
  const start = h0!.head as number;
  const { channels, members } = await randomChannels(rand, users, 4, 0.5);
  // Churn by SQL (any writer counts): joins and leaves between the messages.
  for (let step = 0; step < 150; step++) {
    const ch = pick(channels);
    const inside = [...members.get(ch)!];
    const outside = users.filter((u) => !members.get(ch)!.has(u));
    const roll = rand();
    if (roll < 0.15 && outside.length) {
      const u = pick(outside);
      await s.sql`INSERT INTO channel_members (channel_id, user_id) VALUES (${ch}, ${u})`;
      members.get(ch)!.add(u);
    } else if (roll < 0.3 && inside.length > 1) {
      const u = pick(inside);
      await s.sql`DELETE FROM channel_members WHERE channel_id = ${ch} AND user_id = ${u}`;
      members.get(ch)!.delete(u);
    } else if (inside.length) {
      await s.sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${ch}, ${pick(inside)}, ${`m ${step}`})`;
    }
  }
  const log = (await s.sql`
    SELECT pos::int AS pos, type, channel_id::text AS channel_id, subject_user_id, target_user_ids
      FROM event_log WHERE pos > ${start} ORDER BY pos`) as unknown as LogRow[];
  const head = log[log.length - 1]!.pos;
  // 24 streams (three per user) from random resume points, all opened at once.
  const plan = users.flatMap((u) => [0, 1, 2].map(() => ({ u, from: start + Math.floor(rand() * (head - start)) })));
  const streams = await Promise.all(plan.map((p) => s.sse(p.u, { lastEventId: String(p.from) })));
  try {
    await Promise.all(
      plan.map(async (p, i) => {
        const want = entitledPositions(log, p.u).filter((pos) => pos > p.from);
        const c = streams[i]!;
        const got = () => c.events.filter((e) => e.pos !== undefined).map((e) => e.pos!);
        await c.waitFor(() => Number(c.lastEventId) >= head, 10000, `${p.u} from ${p.from} to reach ${head}`);
        assert.deepEqual(got(), want, `seed ${seed}: ${p.u} resuming from ${p.from}`);
      }),
    );
  } finally {
    for (const c of streams) c.close();
  }
});
