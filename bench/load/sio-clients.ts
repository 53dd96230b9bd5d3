/**
 * Many Socket.IO 4 clients in one process, websocket transport only (no polling upgrade), spread over
 * 127.0.0.x source addresses like the SSE clients. Records the same markers as sse-clients.ts.
 */
import { io, type Socket } from 'socket.io-client';
import { nowNs, sleep } from '../lib/clock.ts';
import { findMark, Recorder } from '../lib/marker.ts';
import { summarize } from '../lib/stats.ts';
import { serveWorker } from '../lib/worker.ts';

let base = '';
let sources: string[] = [];
let n = 0;
const sockets: Socket[] = [];
const rec = new Recorder();
let connected = 0;
let errors = 0;
let lastError = '';

function counters() {
  return {
    clients: n,
    attached: connected,
    frames: rec.frames,
    errors,
    lastError,
    rssKb: Math.round(process.memoryUsage().rss / 1024),
  };
}

function onMessage(data: string): void {
  rec.frames++;
  const mark = findMark(data);
  if (mark) rec.record(mark, nowNs());
}

serveWorker({
  init(p: { base: string; clients: number; sources: string[] }) {
    base = p.base;
    n = p.clients;
    sources = p.sources;
    return { clients: n };
  },

  async connect(p: { concurrency: number; timeoutMs: number }) {
    const t0 = performance.now();
    let next = 0;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, p.timeoutMs);
      const pump = () => {
        while (next < n && next - connected < p.concurrency) {
          const i = next++;
          const s = io(base, {
            transports: ['websocket'],
            forceNew: true,
            reconnectionDelay: 250,
            reconnectionDelayMax: 1000,
            localAddress: sources.length ? sources[i % sources.length] : undefined,
          } as Parameters<typeof io>[1]);
          let counted = false;
          s.on('connect', () => {
            if (!counted) {
              counted = true;
              connected++;
            }
            if (connected >= n) {
              clearTimeout(timer);
              resolve();
            } else pump();
          });
          s.on('disconnect', () => {
            if (counted) {
              counted = false;
              connected--;
            }
          });
          s.on('connect_error', (err) => {
            errors++;
            lastError = err.message;
          });
          s.on('message', onMessage);
          sockets.push(s);
        }
      };
      pump();
    });
    return { ms: performance.now() - t0, ...counters() };
  },

  async quiesce(p: { quietMs: number; timeoutMs: number }) {
    const t0 = performance.now();
    let last = rec.frames;
    let lastChange = performance.now();
    while (performance.now() - t0 < p.timeoutMs) {
      await sleep(100);
      if (rec.frames !== last) {
        last = rec.frames;
        lastChange = performance.now();
      } else if (performance.now() - lastChange >= p.quietMs) break;
    }
    return { settled: performance.now() - lastChange >= p.quietMs, ms: lastChange - t0, ...counters() };
  },

  counters,

  async waitTag(p: { tag: string; total: number; timeoutMs: number }) {
    const deadline = performance.now() + p.timeoutMs;
    while (rec.count(p.tag) < p.total && performance.now() < deadline) await sleep(20);
    return { received: rec.count(p.tag), ...counters() };
  },

  stats(p: { tag: string; perSeq?: boolean }) {
    return { latency: summarize(rec.latencies(p.tag)), perSeq: p.perSeq ? rec.perSeq(p.tag) : undefined };
  },

  close() {
    for (const s of sockets) s.close();
    return counters();
  },
});
