/**
 * HTTP load generator (forked by bench/run.ts, driven over IPC).
 *   closed:  N concurrent posters, each sending its next message as soon as the last was answered.
 *   open:    a fixed schedule (rate, or a count at an interval); each message carries its scheduled
 *            send time and is sent at that time whether or not earlier ones were answered.
 *   history: sequential GETs of history pages at given cursors.
 *   gets:    sequential GETs of any paths, each as its user (search queries).
 * Targets are Parley (POST /api/v1/channels/{id}/messages as the channel's poster) or a baseline
 * server (POST /publish with an event shaped like Parley's new_message).
 */
import { randomUUID } from 'node:crypto';
import { nowMs, nowNs, sleep } from '../lib/clock.ts';
import { HttpClient } from '../lib/http.ts';
import { content } from '../lib/marker.ts';
import { summarize } from '../lib/stats.ts';
import { signTokens } from '../lib/tokens.ts';
import { serveWorker } from '../lib/worker.ts';

async function untilMs(due: number): Promise<void> {
  for (let w = due - nowMs(); w > 0; w = due - nowMs()) await sleep(w);
}

interface Target {
  user: string;
  channel: string;
}

let client: HttpClient;
let mode: 'parley' | 'publish' = 'parley';
const tokens = new Map<string, string>();
let publishPos = 0;

/** What Parley puts on the wire for a new message, for the baselines to send the same bytes. */
function fakeEvent(t: Target, text: string): string {
  const ts = new Date().toISOString();
  const data = {
    id: randomUUID(),
    user_id: t.user,
    content: text,
    mentions: [],
    reactions: [],
    channel_id: t.channel,
    created_at: ts,
    deleted_at: null,
    edited_at: null,
    attachments: [],
    last_reply_at: null,
    parent_message_id: null,
    thread_reply_count: 0,
  };
  return JSON.stringify({ type: 'new_message', channel_id: t.channel, data, pos: ++publishPos, ts });
}

function send(t: Target, text: string): Promise<{ status: number; body: string }> {
  if (mode === 'publish') {
    return client.request('/publish', 'POST', { 'content-type': 'application/json' }, fakeEvent(t, text));
  }
  return client.request(
    `/api/v1/channels/${t.channel}/messages`,
    'POST',
    { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(t.user)}` },
    JSON.stringify({ content: text }),
  );
}

const okStatus = (s: number) => s === 200 || s === 201;

serveWorker({
  async init(p: { base: string; secret?: string; users: string[]; sockets: number; mode?: 'parley' | 'publish' }) {
    client = new HttpClient(new URL(p.base), p.sockets);
    mode = p.mode ?? 'parley';
    if (p.secret) {
      const list = await signTokens(p.secret, p.users);
      for (const [i, u] of p.users.entries()) tokens.set(u, list[i]!);
    }
    return { users: tokens.size };
  },

  /** Closed loop: throughput = answers completed inside the measured window / its length. */
  async closed(p: { targets: Target[]; warmupMs: number; durationMs: number; contentBytes?: number }) {
    const t0 = nowMs();
    const winStart = t0 + p.warmupMs;
    const winEnd = winStart + p.durationMs;
    let ok = 0;
    let total = 0;
    let errors = 0;
    let firstError = '';
    const lat: number[] = [];
    let seq = 0;
    await Promise.all(
      p.targets.map(async (t) => {
        while (nowMs() < winEnd) {
          const s = nowMs();
          const i = seq++;
          let status = 0;
          try {
            const res = await send(t, content('wt', i, nowNs(), p.contentBytes));
            status = res.status;
            if (okStatus(status)) total++;
            else if (!firstError) firstError = `${status} ${res.body.slice(0, 200)}`;
          } catch (err) {
            if (!firstError) firstError = (err as Error).message;
          }
          const e = nowMs();
          if (e >= winStart && e <= winEnd) {
            if (okStatus(status)) {
              ok++;
              lat.push(e - s);
            } else errors++;
          }
        }
      }),
    );
    return {
      ok,
      total,
      errors,
      firstError,
      seconds: p.durationMs / 1000,
      rate: ok / (p.durationMs / 1000),
      latency: summarize(lat),
    };
  },

  /**
   * Open loop: message j is due at start + j × interval and carries that time. Sends are not held
   * back by slow answers; lateness (actual − scheduled send) is reported so a saturated generator shows.
   */
  async open(p: {
    targets: Target[];
    tag: string;
    intervalMs: number;
    count: number;
    warmupCount?: number;
    contentBytes?: number;
  }) {
    const start = nowMs() + 20;
    const pending: Promise<void>[] = [];
    const lat: number[] = [];
    let ok = 0;
    let errors = 0;
    let firstError = '';
    let maxLateMs = 0;
    const sendNs: number[] = [];
    const answerMs: number[] = [];
    for (let j = 0; j < p.count; j++) {
      const due = start + j * p.intervalMs;
      // Sleep, never spin: on 2 shared cores a spinning sender would take CPU from the system under
      // test. Timer lateness (≤ ~1 ms) is charged to the latency, which counts from the schedule.
      await untilMs(due);
      const late = nowMs() - due;
      if (late > maxLateMs) maxLateMs = late;
      const warm = j < (p.warmupCount ?? 0);
      const tag = warm ? `${p.tag}w` : p.tag;
      const t = p.targets[j % p.targets.length]!;
      const dueNs = due * 1e6;
      if (!warm) sendNs.push(dueNs);
      pending.push(
        send(t, content(tag, j, dueNs, p.contentBytes)).then(
          (res) => {
            if (okStatus(res.status)) {
              ok++;
              const ms = nowMs() - due;
              lat.push(ms);
              if (p.count <= 2000) answerMs[j] = ms;
            } else {
              errors++;
              if (!firstError) firstError = `${res.status} ${res.body.slice(0, 200)}`;
            }
          },
          (err: Error) => {
            errors++;
            if (!firstError) firstError = err.message;
          },
        ),
      );
    }
    await Promise.all(pending);
    return {
      sent: p.count,
      ok,
      errors,
      firstError,
      maxLateMs,
      postLatency: summarize(lat),
      sendNs: p.count <= 2000 ? sendNs : undefined,
      /** Per message (small runs only): scheduled send → answer read, ms. */
      answerMs: p.count <= 2000 ? answerMs : undefined,
    };
  },

  /** Sequential GETs of one page each, after `warmup` unmeasured ones. */
  async history(p: { channel: string; user: string; cursors: string[]; warmup: number; limit: number }) {
    const lat: number[] = [];
    let errors = 0;
    let firstError = '';
    let rows = 0;
    for (let i = 0; i < p.cursors.length; i++) {
      const path = `/api/v1/channels/${p.channel}/messages?before=${p.cursors[i]}&limit=${p.limit}`;
      const s = nowMs();
      const res = await client.request(path, 'GET', { authorization: `Bearer ${tokens.get(p.user)}` });
      const e = nowMs();
      if (res.status !== 200) {
        errors++;
        if (!firstError) firstError = `${res.status} ${res.body.slice(0, 200)}`;
        continue;
      }
      if (i >= p.warmup) {
        lat.push(e - s);
        rows += (JSON.parse(res.body) as { messages: unknown[] }).messages.length;
      }
    }
    return { latency: summarize(lat), errors, firstError, meanRows: rows / Math.max(1, lat.length) };
  },

  /** Sequential GETs of the given paths, each as its user, after `warmup` unmeasured ones: ms per request. */
  async gets(p: { requests: { path: string; user: string }[]; warmup: number }) {
    const ms: number[] = [];
    const counts: number[] = [];
    let errors = 0;
    let firstError = '';
    for (let i = 0; i < p.requests.length; i++) {
      const r = p.requests[i]!;
      const s = nowMs();
      const res = await client.request(r.path, 'GET', { authorization: `Bearer ${tokens.get(r.user)}` });
      const e = nowMs();
      if (res.status !== 200) {
        errors++;
        if (!firstError) firstError = `${res.status} ${res.body.slice(0, 200)}`;
      }
      if (i < p.warmup) continue;
      ms.push(res.status === 200 ? e - s : Number.NaN);
      counts.push(res.status === 200 ? (JSON.parse(res.body) as { messages: unknown[] }).messages.length : 0);
    }
    return { ms, counts, errors, firstError };
  },
});
