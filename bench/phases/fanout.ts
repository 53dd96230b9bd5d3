import { join } from 'node:path';
import { sleep } from '../lib/clock.ts';
import type { Ctx } from '../lib/context.ts';
import { cpuMs, cpuWindow, treeCpuMs } from '../lib/cpu.ts';
import { createGroup } from '../lib/fixtures.ts';
import { loopbackSources } from '../lib/http.ts';
import type { Proc } from '../lib/procs.ts';
import type { Server } from '../lib/servers.ts';
import { CLIENT_NOFILE } from '../lib/servers.ts';
import { type Summary, summarize } from '../lib/stats.ts';

interface ProbeRec {
  tag: string;
  seq: number;
  writes: number;
  firstNs: number;
  lastNs: number;
  bytes: number;
  written: number;
  writtenFirstNs: number;
  writtenLastNs: number;
}

interface PerSeq {
  seq: number;
  n: number;
  lastNs: number;
}

interface Sent {
  ok: number;
  errors: number;
  firstError: string;
  sendNs: number[];
  answerMs: number[];
}

type Kind = 'parley' | 'raw' | 'socketio';

/**
 * fanout_10k and memory_per_connection, for Parley, the raw node:http SSE server and Socket.IO.
 *
 * One channel, 10,000 subscribers in a separate process: 10,000 streams of `users` distinct members
 * (10,000 / users streams each, like people with several tabs and devices; the poster is one more
 * member with no stream). Distinct users would make the connect wave itself the bottleneck (see
 * presenceWave below, reported alongside). Steps for each system:
 *   1. start the server fresh; VmRSS before;
 *   2. open 10,000 streams (500 at a time), wait until no frame has arrived for 1.5 s (Parley
 *      announces each user's presence to the channel, so a connect wave is n² presence frames);
 *   3. VmRSS after (and after a forced GC): memory_per_connection = growth / 10,000;
 *   4. paced: 20 messages on a fixed schedule, one every intervalMs (open loop);
 *   5. burst: 20 more messages all sent at once.
 * Clocks, all CLOCK_MONOTONIC shared by the processes:
 *   server_ms  = scheduled POST time → the frame handed to the kernel on the last of the 10,000
 *                sockets (seen by bench/lib/probe.ts inside the server); median of the 20 messages.
 *                Not available for Socket.IO (it writes websocket frames, not ServerResponse).
 *   queued     = scheduled POST time → ServerResponse.write() returned for the last socket. Until
 *                2026-11-24 this was server_ms, but write() only queues on a corked socket: the
 *                system calls come after the loop, so it left out most of the work of writing.
 *   client_*   = scheduled POST time → a subscriber parsed the event; all 200,000 receipts.
 *   client_last_ms = scheduled POST time → the last subscriber's receipt, median of the 20 messages.
 */
export async function fanout(ctx: Ctx) {
  const { P } = ctx;
  const n = P.fanout.clients;
  const g = await createGroup(ctx.sql, 'fan', 1, P.fanout.users);
  const streams = Array.from({ length: n }, (_, i) => g.members[0]![i % P.fanout.users]!);
  const results: Partial<Record<Kind, Awaited<ReturnType<typeof runOne>>>> = {};
  for (const kind of ['parley', 'raw', 'socketio'] as Kind[]) {
    try {
      results[kind] = await runOne(ctx, kind, streams, g.posters[0]!, g.channels[0]!);
    } catch (err) {
      ctx.log(`  ${kind} failed: ${(err as Error).message}`);
      results[kind] = undefined;
      if (kind === 'parley') throw err;
    }
  }
  const presence = [];
  for (const k of P.fanout.presenceUsers) presence.push(await presenceWave(ctx, k));
  const p = results.parley!;
  const raw = results.raw;
  const sio = results.socketio;
  return {
    fanout_10k: {
      server_ms: p.server_ms,
      client_p50_ms: p.client.p50,
      client_p99_ms: p.client.p99,
      baselines: {
        raw_node_http: raw
          ? { server_ms: raw.server_ms, client_p50_ms: raw.client.p50, client_p99_ms: raw.client.p99 }
          : null,
        socket_io: sio ? { client_p50_ms: sio.client.p50, client_p99_ms: sio.client.p99 } : null,
      },
      subscribers: n,
      distinct_users: P.fanout.users,
      messages: P.fanout.messages,
      interval_ms: P.fanout.intervalMs,
      detail: results,
      presence_wave: presence,
    },
    memory_per_connection: {
      value_kb: p.memory.per_connection_kb,
      baselines: { raw_node_http_kb: raw?.memory.per_connection_kb ?? null },
      connections: n,
      after_gc_kb: p.memory.per_connection_after_gc_kb,
      baselines_after_gc: { raw_node_http_kb: raw?.memory.per_connection_after_gc_kb ?? null },
      socket_io_kb: sio?.memory.per_connection_kb ?? null,
      rss_kb: {
        parley: p.memory,
        raw_node_http: raw?.memory ?? null,
        socket_io: sio?.memory ?? null,
      },
    },
  };
}

async function runOne(ctx: Ctx, kind: Kind, members: string[], posterUser: string, channel: string) {
  const { P, db } = ctx;
  const n = members.length;
  const m = P.fanout.messages;
  ctx.log(`  ${kind}:`);
  let server: Server;
  if (kind === 'parley') server = await ctx.parley('parley-fanout');
  else if (kind === 'raw') server = await ctx.baseline('raw-sse', 'bench/baselines/raw-sse-server.ts', true);
  else server = await ctx.baseline('socketio', 'bench/baselines/socketio-server.ts', true);
  await sleep(1_000);
  const rssBefore = server.proc.rssKb();

  let clients: Proc;
  if (kind === 'socketio') {
    clients = ctx.node({ name: `clients-${kind}`, script: 'bench/load/sio-clients.ts', nofile: CLIENT_NOFILE });
    await clients.call('init', { base: server.url, clients: n, sources: loopbackSources(P.sources) });
  } else {
    clients = ctx.node({ name: `clients-${kind}`, script: 'bench/load/sse-clients.ts', nofile: CLIENT_NOFILE });
    await clients.call('init', {
      base: server.url,
      path: kind === 'raw' ? '/sse' : '/api/v1/events',
      secret: kind === 'parley' ? ctx.secret : undefined,
      users: members,
      sources: loopbackSources(P.sources),
    });
  }
  const connWin = cpuWindow({
    server: () => cpuMs(server.proc.pid),
    postgres: () => treeCpuMs(db.pid),
    clients: () => cpuMs(clients.pid),
  });
  const conn = await clients.call<{ ms: number; attached: number; lastError: string; errors: number }>(
    'connect',
    { concurrency: P.connectConcurrency, timeoutMs: 240_000 },
    250_000,
  );
  if (conn.attached < n) throw new Error(`${kind}: only ${conn.attached}/${n} connected: ${conn.lastError}`);
  const settle = await clients.call<{ ms: number; frames: number; settled: boolean }>(
    'quiesce',
    { quietMs: 1_500, timeoutMs: 240_000 },
    250_000,
  );
  const connectCpu = connWin.end();
  ctx.log(
    `    ${n} connected in ${Math.round(conn.ms)} ms; quiet after ${Math.round(settle.ms)} ms more (${settle.frames} frames while settling)`,
  );
  await sleep(2_000);
  const rssAfter = server.proc.rssKb();
  // Also after a full GC (servers run with --expose-gc; the probe calls gc()): retained memory only.
  let rssAfterGc: number | null = null;
  if (await server.proc.call<boolean>('probe.gc', undefined, 10_000).catch(() => false)) {
    await sleep(500);
    rssAfterGc = server.proc.rssKb();
  }
  const memory = {
    before_kb: rssBefore,
    after_kb: rssAfter,
    after_gc_kb: rssAfterGc,
    per_connection_kb: (rssAfter - rssBefore) / n,
    per_connection_after_gc_kb: rssAfterGc === null ? null : (rssAfterGc - rssBefore) / n,
  };
  ctx.log(`    RSS ${rssBefore} → ${rssAfter} kB: ${memory.per_connection_kb.toFixed(2)} kB/connection`);

  // Socket.IO writes websocket frames to net.Socket, not ServerResponse: no server-side clock there.
  const probed = kind !== 'socketio';
  const poster = ctx.node({ name: `poster-${kind}`, script: 'bench/load/poster.ts' });
  await poster.call('init', {
    base: server.url,
    secret: kind === 'parley' ? ctx.secret : undefined,
    users: [posterUser],
    sockets: 32,
    mode: kind === 'parley' ? 'parley' : 'publish',
  });
  const target = [{ user: posterUser, channel }];

  const round = async (tag: string, intervalMs: number) => {
    if (probed) await server.proc.call('probe.arm');
    // With --profile: a server CPU profile of just this round (the connect wave would drown it).
    const profileFile = ctx.profile && probed ? join(ctx.logDir, `fanout-${tag}.cpuprofile`) : undefined;
    if (profileFile) await server.proc.call('probe.profile.start');
    const win = cpuWindow({
      server: () => cpuMs(server.proc.pid),
      postgres: () => treeCpuMs(db.pid),
      clients: () => cpuMs(clients.pid),
    });
    const sent = await poster.call<Sent>('open', { targets: target, tag, intervalMs, count: m }, 120_000);
    if (sent.ok < m) throw new Error(`${kind}: ${sent.errors} of ${m} posts failed: ${sent.firstError}`);
    const got = await clients.call<{ received: number }>('waitTag', { tag, total: m * n, timeoutMs: 60_000 }, 70_000);
    const cpu = win.end();
    if (profileFile) await server.proc.call('probe.profile.stop', { file: profileFile }, 60_000);
    const st = await clients.call<{ latency: Summary; perSeq: PerSeq[] }>('stats', { tag, perSeq: true });
    const recs = probed ? await server.proc.call<ProbeRec[]>('probe.take', { tag }) : [];
    const t0 = sent.sendNs[0]!;
    const serverPer = recs.map((r) => (r.writtenLastNs - sent.sendNs[r.seq]!) / 1e6);
    const queuedPer = recs.map((r) => (r.lastNs - sent.sendNs[r.seq]!) / 1e6);
    const loopPer = recs.map((r) => (r.lastNs - r.firstNs) / 1e6);
    const writtenLoopPer = recs.map((r) => (r.writtenLastNs - r.firstNs) / 1e6);
    const firstPer = recs.map((r) => (r.firstNs - sent.sendNs[r.seq]!) / 1e6);
    const unwritten = recs.reduce((a, r) => a + (r.writes - r.written), 0);
    if (unwritten) ctx.warn(`${kind}: ${unwritten} frames queued but not seen handed to a socket`);
    const clientLastPer = st.perSeq.map((s) => (s.lastNs - sent.sendNs[s.seq]!) / 1e6);
    return {
      received: got.received,
      expected: m * n,
      client: st.latency,
      /** Scheduled POST → handed to the kernel on the last socket. */
      server_ms_per_message: serverPer.length ? summarize(serverPer) : null,
      /** Scheduled POST → ServerResponse.write() returned on the last socket (queued, not written). */
      server_queued_ms_per_message: queuedPer.length ? summarize(queuedPer) : null,
      /** First write() → last write() returned: the loop over the subscribers, queueing. */
      write_loop_ms_per_message: loopPer.length ? summarize(loopPer) : null,
      /** First write() → handed to the kernel on the last socket: the loop and the system calls. */
      written_loop_ms_per_message: writtenLoopPer.length ? summarize(writtenLoopPer) : null,
      first_write_ms_per_message: firstPer.length ? summarize(firstPer) : null,
      post_answer_ms_per_message: summarize(sent.answerMs),
      frames_written: recs.reduce((a, r) => a + r.writes, 0),
      frame_bytes: recs[0]?.bytes,
      client_last_ms_per_message: summarize(clientLastPer),
      all_written_ms: recs.length ? (Math.max(...recs.map((r) => r.writtenLastNs)) - t0) / 1e6 : null,
      all_received_ms: st.perSeq.length ? (Math.max(...st.perSeq.map((s) => s.lastNs)) - t0) / 1e6 : null,
      cpu,
    };
  };

  const paced = await round(`fan${kind.slice(0, 1)}`, P.fanout.intervalMs);
  ctx.log(
    `    paced: server ${paced.server_ms_per_message ? `${paced.server_ms_per_message.p50.toFixed(1)} ms (queued ${paced.server_queued_ms_per_message!.p50.toFixed(1)})` : 'n/a'}, ` +
      `client p50 ${paced.client.p50.toFixed(1)} / p99 ${paced.client.p99.toFixed(1)} ms, ` +
      `last ${paced.client_last_ms_per_message.p50.toFixed(1)} ms (${paced.received}/${paced.expected})`,
  );
  const burst = await round(`fanb${kind.slice(0, 1)}`, 0);
  ctx.log(
    `    burst of ${m}: all written ${burst.all_written_ms?.toFixed(0) ?? 'n/a'} ms, all received ${burst.all_received_ms?.toFixed(0)} ms`,
  );
  await clients.call('close');
  await Promise.all([clients.stop(), poster.stop(), server.proc.stop()]);
  return {
    server_ms: paced.server_ms_per_message?.p50 ?? null,
    client: paced.client,
    memory,
    connect: { ms: conn.ms, settle_ms: settle.ms, settle_frames: settle.frames, errors: conn.errors, cpu: connectCpu },
    paced,
    burst,
  };
}

/**
 * The connect wave of `k` distinct users in one channel on a fresh node: every user coming online is
 * announced to every member already online, so the wave costs about k²/2 presence frames and a
 * database query per announcement on every node. Reported to show how it grows with k.
 */
async function presenceWave(ctx: Ctx, k: number) {
  const { P, db } = ctx;
  const g = await createGroup(ctx.sql, `pw${k}`, 1, k);
  const server = await ctx.parley(`parley-presence-${k}`);
  const clients = ctx.node({
    name: `clients-presence-${k}`,
    script: 'bench/load/sse-clients.ts',
    nofile: CLIENT_NOFILE,
  });
  try {
    await clients.call('init', {
      base: server.url,
      secret: ctx.secret,
      users: g.members[0],
      sources: loopbackSources(P.sources),
    });
    const win = cpuWindow({
      server: () => cpuMs(server.proc.pid),
      postgres: () => treeCpuMs(db.pid),
      clients: () => cpuMs(clients.pid),
    });
    const t0 = performance.now();
    const conn = await clients.call<{ ms: number; attached: number }>(
      'connect',
      { concurrency: P.connectConcurrency, timeoutMs: 120_000 },
      130_000,
    );
    const settle = await clients.call<{ settled: boolean; frames: number }>(
      'quiesce',
      { quietMs: 1_500, timeoutMs: 120_000 },
      130_000,
    );
    const total = performance.now() - t0 - (settle.settled ? 1_500 : 0);
    const cpu = win.end();
    const c = await clients.call<{ frames: number }>('counters');
    ctx.log(
      `  presence wave, ${k} distinct users: all live ${Math.round(conn.ms)} ms, quiet ${Math.round(total)} ms, ${c.frames} frames`,
    );
    await clients.call('close');
    return { users: k, connected: conn.attached, all_live_ms: conn.ms, quiet_ms: total, frames: c.frames, cpu };
  } finally {
    await Promise.all([clients.stop(), server.proc.stop()]);
  }
}
