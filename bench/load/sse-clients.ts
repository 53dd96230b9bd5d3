/**
 * Many SSE clients in one process (a load generator: bench/run.ts forks it and drives it over IPC).
 * Each client is one node:http request on its own socket, bound to one of several 127.0.0.x source
 * addresses so that 10,000 of them never run short of ephemeral ports. The parser follows the
 * WHATWG rules that matter here: blocks end at a blank line, `id:` sets the last event id (also on a
 * block with no data, which Parley sends as the resume point once a stream is live), `data:` lines
 * are joined.
 */
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import postgres from 'postgres';
import { nowNs, sleep } from '../lib/clock.ts';
import { findMark, Recorder } from '../lib/marker.ts';
import { summarize } from '../lib/stats.ts';
import { signTokens } from '../lib/tokens.ts';
import { serveWorker } from '../lib/worker.ts';

interface Client {
  idx: number;
  group: number;
  token: string | undefined;
  gen: number;
  req: ClientRequest | undefined;
  buf: string;
  lastEventId: string | undefined;
  attached: boolean;
  /** The resume point of the first stream: every bench event after it is this client's due. */
  initialMark: number;
  /** When the stream opened after the storm's drop and sent its resume point. */
  resumeMarkNs: number;
  reconnectNs: number;
  pos: number[];
  posNs: number[];
  retryTimer: NodeJS.Timeout | undefined;
}

let base: URL;
let path = '/api/v1/events';
let sources: string[] = [];
let clients: Client[] = [];
const rec = new Recorder();
let bytes = 0;
let attachedCount = 0;
let errors = 0;
let non200 = 0;
let unexpectedCloses = 0;
let retries = 0;
let lastError = '';
let onAttach: (() => void) | undefined;
let tDropNs = 0;

function scheduleRetry(c: Client): void {
  if (c.retryTimer) return;
  retries++;
  c.retryTimer = setTimeout(
    () => {
      c.retryTimer = undefined;
      open(c, true);
    },
    200 + Math.random() * 300,
  );
}

function open(c: Client, resume: boolean): void {
  const gen = ++c.gen;
  c.buf = '';
  c.attached = false;
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  if (resume && c.lastEventId !== undefined) headers['last-event-id'] = c.lastEventId;
  const req = request({
    host: base.hostname,
    port: base.port,
    path,
    headers,
    agent: false,
    localAddress: sources.length ? sources[c.idx % sources.length] : undefined,
  });
  c.req = req;
  req.on('response', (res: IncomingMessage) => {
    if (gen !== c.gen) {
      res.destroy();
      return;
    }
    if (res.statusCode !== 200) {
      non200++;
      lastError = `HTTP ${res.statusCode}`;
      res.resume();
      scheduleRetry(c);
      return;
    }
    res.setEncoding('utf8');
    res.on('data', (s: string) => {
      if (gen === c.gen) onData(c, s);
    });
    res.on('close', () => {
      if (gen !== c.gen) return;
      unexpectedCloses++;
      if (c.attached) {
        c.attached = false;
        attachedCount--;
      }
      scheduleRetry(c);
    });
  });
  req.on('error', (err) => {
    if (gen !== c.gen) return;
    errors++;
    lastError = err.message;
    if (c.attached) {
      c.attached = false;
      attachedCount--;
    }
    scheduleRetry(c);
  });
  req.end();
}

function onData(c: Client, chunk: string): void {
  bytes += chunk.length;
  let buf = c.buf + chunk;
  let start = 0;
  for (;;) {
    const end = buf.indexOf('\n\n', start);
    if (end < 0) break;
    onBlock(c, buf.slice(start, end));
    start = end + 2;
  }
  buf = buf.slice(start);
  c.buf = buf;
}

function field(line: string, n: number): string {
  return line.charCodeAt(n) === 32 ? line.slice(n + 1) : line.slice(n);
}

function onBlock(c: Client, block: string): void {
  let id: string | undefined;
  let data: string | undefined;
  for (const line of block.split('\n')) {
    if (line.startsWith('data:')) data = data === undefined ? field(line, 5) : `${data}\n${field(line, 5)}`;
    else if (line.startsWith('id:')) id = field(line, 3);
  }
  if (id !== undefined) c.lastEventId = id;
  if (data === undefined) {
    if (id !== undefined) onMark(c, Number(id));
    return;
  }
  rec.frames++;
  if (!data.startsWith('{"type":"new_message"')) return;
  const mark = findMark(data);
  if (!mark) return;
  const t = nowNs();
  c.pos.push(Number(id));
  c.posNs.push(t);
  rec.record(mark, t);
}

function onMark(c: Client, pos: number): void {
  if (c.attached) return;
  c.attached = true;
  attachedCount++;
  if (c.initialMark < 0) c.initialMark = pos;
  if (tDropNs && c.reconnectNs >= tDropNs && !c.resumeMarkNs) c.resumeMarkNs = nowNs();
  onAttach?.();
}

function counters() {
  return {
    clients: clients.length,
    attached: attachedCount,
    frames: rec.frames,
    bytes,
    errors,
    non200,
    unexpectedCloses,
    retries,
    lastError,
    rssKb: Math.round(process.memoryUsage().rss / 1024),
  };
}

serveWorker({
  async init(p: {
    base: string;
    path?: string;
    secret?: string;
    users: string[];
    groups?: number[];
    sources: string[];
  }) {
    base = new URL(p.base);
    if (p.path) path = p.path;
    sources = p.sources;
    const tokens = p.secret ? await signTokens(p.secret, p.users) : [];
    clients = p.users.map((_, i) => ({
      idx: i,
      group: p.groups?.[i] ?? 0,
      token: tokens[i],
      gen: 0,
      req: undefined,
      buf: '',
      lastEventId: undefined,
      attached: false,
      initialMark: -1,
      resumeMarkNs: 0,
      reconnectNs: 0,
      pos: [],
      posNs: [],
      retryTimer: undefined,
    }));
    return { clients: clients.length };
  },

  /** Opens every stream, at most `concurrency` not yet live at a time; resolves when all are live. */
  async connect(p: { concurrency: number; timeoutMs: number }) {
    const t0 = performance.now();
    let next = 0;
    const pump = () => {
      while (next < clients.length && next - attachedCount < p.concurrency) open(clients[next++]!, false);
    };
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, p.timeoutMs);
      onAttach = () => {
        if (attachedCount >= clients.length) {
          clearTimeout(timer);
          resolve();
        } else pump();
      };
      pump();
    });
    onAttach = undefined;
    return { ms: performance.now() - t0, ...counters() };
  },

  /** Waits until no event has arrived for quietMs (e.g. the presence announcements of a connect wave). */
  async quiesce(p: { quietMs: number; timeoutMs: number }) {
    const t0 = performance.now();
    const frames0 = rec.frames;
    let last = rec.frames;
    let lastChange = performance.now();
    while (performance.now() - t0 < p.timeoutMs) {
      await sleep(100);
      if (rec.frames !== last) {
        last = rec.frames;
        lastChange = performance.now();
      } else if (performance.now() - lastChange >= p.quietMs) break;
    }
    return {
      settled: performance.now() - lastChange >= p.quietMs,
      ms: lastChange - t0,
      ...counters(),
      frames: rec.frames - frames0,
    };
  },

  counters,

  /** Waits until `total` receipts of bench messages tagged `tag` have arrived (or the timeout). */
  async waitTag(p: { tag: string; total: number; timeoutMs: number }) {
    const deadline = performance.now() + p.timeoutMs;
    while (rec.count(p.tag) < p.total && performance.now() < deadline) await sleep(20);
    return { received: rec.count(p.tag), ...counters() };
  },

  stats(p: { tag: string; perSeq?: boolean }) {
    return {
      latency: summarize(rec.latencies(p.tag)),
      perSeq: p.perSeq ? rec.perSeq(p.tag) : undefined,
    };
  },

  /**
   * The storm: every client's socket is destroyed at once and every client reconnects at once with
   * Last-Event-ID. The log head right after the drop is what each client must at least catch up to.
   */
  async drop(p: { dbUrl: string }) {
    const db = postgres(p.dbUrl, { max: 1, onnotice: () => {} });
    await db`SELECT 1`;
    tDropNs = nowNs();
    const lastIds = new Map<number, string | undefined>();
    for (const c of clients) {
      c.gen++;
      clearTimeout(c.retryTimer);
      c.retryTimer = undefined;
      c.req?.destroy();
      if (c.attached) attachedCount--;
      c.attached = false;
      lastIds.set(c.idx, c.lastEventId);
    }
    const head = db`SELECT coalesce(max(pos), 0)::text AS head FROM event_log`;
    for (const c of clients) {
      c.reconnectNs = nowNs();
      open(c, true);
    }
    const [row] = await head;
    await db.end({ timeout: 1 });
    const noId = [...lastIds.values()].filter((v) => v === undefined).length;
    return { tDropNs, headAtDrop: Number(row!.head), clientsWithoutLastEventId: noId };
  },

  /** Waits until every client has a live stream again (its resume point arrived after the drop). */
  async waitResumed(p: { timeoutMs: number }) {
    const deadline = performance.now() + p.timeoutMs;
    const done = () => clients.every((c) => c.resumeMarkNs > 0);
    while (!done() && performance.now() < deadline) await sleep(20);
    const resumed = clients.filter((c) => c.resumeMarkNs > 0);
    // How many streams went live again in each second after the drop: TCP retransmission waits
    // (1, 3, 7, 15, 31, 63 s) show up as clusters.
    const perSecond: number[] = [];
    for (const c of resumed) {
      const s = Math.floor((c.resumeMarkNs - tDropNs) / 1e9);
      perSecond[s] = (perSecond[s] ?? 0) + 1;
    }
    return {
      resumed: resumed.length,
      maxMs: resumed.length ? Math.max(...resumed.map((c) => c.resumeMarkNs - tDropNs)) / 1e6 : null,
      resumedPerSecond: Array.from(perSecond, (v) => v ?? 0),
      ...counters(),
    };
  },

  /**
   * Checks every client against the log: `expected[g]` are the positions of the bench messages of
   * group g's channel (from event_log). A client is due every one after its first resume point; it
   * must have each exactly once, in increasing order, and nothing else. Its catch-up time is when it
   * had both its stream back and every due event up to the head at the drop.
   */
  verify(p: { expected: Record<string, number[]>; headAtDrop?: number }) {
    let due = 0;
    let missing = 0;
    let duplicates = 0;
    let outOfOrder = 0;
    let foreign = 0;
    let clientsWithLoss = 0;
    const catchUp: number[] = [];
    let notCaughtUp = 0;
    let notResumed = 0;
    let dueNotResumed = 0;
    for (const c of clients) {
      const exp = (p.expected[String(c.group)] ?? []).filter((x) => x > c.initialMark);
      const expSet = new Set(exp);
      const got = new Map<number, number>();
      for (let i = 0; i < c.pos.length; i++) {
        const pos = c.pos[i]!;
        if (got.has(pos)) duplicates++;
        else got.set(pos, c.posNs[i]!);
        if (i > 0 && pos <= c.pos[i - 1]!) outOfOrder++;
        if (!expSet.has(pos)) foreign++;
      }
      let miss = 0;
      for (const x of exp) if (!got.has(x)) miss++;
      if (tDropNs && !c.resumeMarkNs) {
        // Still waiting to get its stream back: not (yet) a loss, but not caught up either.
        notResumed++;
        notCaughtUp++;
        dueNotResumed += miss;
        continue;
      }
      due += exp.length;
      missing += miss;
      if (miss) clientsWithLoss++;
      if (p.headAtDrop !== undefined && tDropNs) {
        if (miss || !c.resumeMarkNs) {
          notCaughtUp++;
          continue;
        }
        let t = c.resumeMarkNs;
        for (const x of exp) if (x <= p.headAtDrop) t = Math.max(t, got.get(x)!);
        catchUp.push((t - tDropNs) / 1e6);
      }
    }
    return {
      clients: clients.length,
      due,
      missing,
      duplicates,
      outOfOrder,
      foreign,
      clientsWithLoss,
      notCaughtUp,
      notResumed,
      dueNotResumed,
      catchUp: catchUp.length ? summarize(catchUp) : null,
    };
  },

  close() {
    for (const c of clients) {
      c.gen++;
      clearTimeout(c.retryTimer);
      c.req?.destroy();
    }
    attachedCount = 0;
    return counters();
  },
});
