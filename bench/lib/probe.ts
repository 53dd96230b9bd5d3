/**
 * Loaded with --import into the server under test (Parley, and the raw node:http baseline the same
 * way) to see when each SSE frame of a bench message has been handed to every socket. A frame buffer
 * that starts with "id:" and carries a bench marker gets a record, with two clocks (monotonic ns):
 *   queued:  ServerResponse.prototype.write returned, for the first and the last socket. write() on a
 *            ServerResponse only queues: it corks the socket and uncorks it on the next tick, so no
 *            byte has left the process when it returns.
 *   written: the socket handed the frame to the kernel (net.Socket's _writeGeneric returned; libuv
 *            tries the system call at once and queues only what the kernel's buffer cannot take),
 *            for the first and the last socket. This is when the server has written it.
 * Both servers encode each event once and write the same Buffer to every subscriber, so the Buffer's
 * identity is the event's identity.
 *
 * Commands come over the IPC channel: probe.arm, probe.take, probe.gc, probe.loop (event-loop delay
 * since the last probe.loop), probe.profile.start / probe.profile.stop {file} (a CPU profile of just
 * the window between them, e.g. a storm, unlike --cpu-prof's whole run). When the parent goes away the server is
 * sent SIGTERM, so nothing outlives an interrupted bench.
 */
import { writeFileSync } from 'node:fs';
import { ServerResponse } from 'node:http';
import { Session } from 'node:inspector/promises';
import { Server, Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

interface Rec {
  tag: string;
  seq: number;
  writes: number;
  firstNs: number;
  lastNs: number;
  bytes: number;
  /** Handed to the kernel: how many sockets, first and last time (0 until the first). */
  written: number;
  writtenFirstNs: number;
  writtenLastNs: number;
}

const MARK = /bench\|([a-z0-9]+)\|(\d+)\|/;
let armed = false;
const seen = new WeakMap<Buffer, Rec | null>();
let records: Rec[] = [];

const write = ServerResponse.prototype.write;
ServerResponse.prototype.write = function probeWrite(this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
  const ret = (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  if (
    armed &&
    Buffer.isBuffer(chunk) &&
    chunk.length > 8 &&
    chunk[0] === 0x69 &&
    chunk[1] === 0x64 &&
    chunk[2] === 0x3a
  ) {
    const t = Number(process.hrtime.bigint());
    let rec = seen.get(chunk);
    if (rec === undefined) {
      const m = MARK.exec(chunk.toString('utf8', 0, Math.min(chunk.length, 8192)));
      rec = m
        ? {
            tag: m[1]!,
            seq: Number(m[2]),
            writes: 0,
            firstNs: t,
            lastNs: t,
            bytes: chunk.length,
            written: 0,
            writtenFirstNs: 0,
            writtenLastNs: 0,
          }
        : null;
      seen.set(chunk, rec);
      if (rec) records.push(rec);
    }
    if (rec) {
      rec.writes++;
      rec.lastNs = t;
    }
  }
  return ret;
} as typeof ServerResponse.prototype.write;

/** The frame records among what one _writeGeneric call hands over (a Buffer, or writev's list). */
function framesIn(writev: boolean, data: unknown): Rec[] {
  const found: Rec[] = [];
  const look = (c: unknown) => {
    if (!Buffer.isBuffer(c)) return;
    const rec = seen.get(c);
    if (rec) found.push(rec);
  };
  if (!writev) look(data);
  else for (const e of data as unknown[]) look((e as { chunk?: unknown }).chunk ?? e);
  return found;
}

type WriteGeneric = (writev: boolean, data: unknown, encoding: string, cb: unknown) => unknown;
const socketProto = Socket.prototype as unknown as { _writeGeneric: WriteGeneric };
const writeGeneric = socketProto._writeGeneric;
// An internal of net.Socket (Node 20 to 24 have it): without it there is no written clock, and a
// bench that silently reported the queued one instead would mislead.
if (typeof writeGeneric !== 'function') {
  throw new Error("bench probe: this Node's net.Socket has no _writeGeneric; the fan-out clock cannot be taken");
}
socketProto._writeGeneric = function probeWriteGeneric(this: Socket, writev, data, encoding, cb) {
  // Looked up before the call: writev's list is rewritten in place while it is written.
  const recs = armed ? framesIn(writev, data) : [];
  const ret = writeGeneric.call(this, writev, data, encoding, cb);
  if (recs.length) {
    const t = Number(process.hrtime.bigint());
    for (const rec of recs) {
      rec.written++;
      if (!rec.writtenFirstNs) rec.writtenFirstNs = t;
      rec.writtenLastNs = t;
    }
  }
  return ret;
};

/**
 * Experiment switch (off unless BENCH_LISTEN_BACKLOG is set, e.g. by `npm run bench -- --backlog 4096`):
 * listen with that accept-queue length instead of Node's default 511, to show what a reconnect
 * storm looks like when the kernel does not drop handshakes. The server's own code is unchanged.
 */
const backlog = Number(process.env.BENCH_LISTEN_BACKLOG ?? 0);
if (backlog > 0) {
  const listen = Server.prototype.listen;
  Server.prototype.listen = function probeListen(this: Server, ...args: unknown[]) {
    const first = args[0];
    if (first && typeof first === 'object' && (first as { backlog?: number }).backlog === undefined) {
      args[0] = { ...first, backlog };
    }
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as typeof Server.prototype.listen;
}

// Event-loop delay of the server: tells a stall of the server's own thread from waiting on the database.
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

let profiler: Session | undefined;

async function profile(cmd: string, file: string | undefined): Promise<unknown> {
  if (cmd === 'probe.profile.start') {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return null;
  }
  if (!profiler) return null;
  const { profile: p } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  profiler = undefined;
  if (file) writeFileSync(file, JSON.stringify(p));
  return file ?? null;
}

if (process.send) {
  process.on('message', (m: { id?: number; cmd?: string; params?: { tag?: string; file?: string } }) => {
    if (typeof m?.id !== 'number') return;
    if (m.cmd === 'probe.profile.start' || m.cmd === 'probe.profile.stop') {
      const id = m.id;
      profile(m.cmd, m.params?.file).then(
        (result) => process.send?.({ id, ok: true, result }),
        (err: Error) => process.send?.({ id, ok: false, error: err.message }),
      );
    } else if (m.cmd === 'probe.arm') {
      armed = true;
      records = [];
      process.send?.({ id: m.id, ok: true, result: null });
    } else if (m.cmd === 'probe.loop') {
      // The histogram holds timer periods (resolution + delay): report the delay alone.
      const ms = (ns: number) => Math.max(0, Math.round((ns - 5e6) / 1e4) / 100);
      const result = { p50_ms: ms(loop.percentile(50)), p99_ms: ms(loop.percentile(99)), max_ms: ms(loop.max) };
      loop.reset();
      process.send?.({ id: m.id, ok: true, result });
    } else if (m.cmd === 'probe.gc') {
      // Needs --expose-gc (the bench starts servers with it): measure retained memory, not garbage.
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      process.send?.({ id: m.id, ok: true, result: gc !== undefined });
    } else if (m.cmd === 'probe.take') {
      const tag = m.params?.tag;
      const out = tag ? records.filter((r) => r.tag === tag) : records;
      records = tag ? records.filter((r) => r.tag !== tag) : [];
      process.send?.({ id: m.id, ok: true, result: out });
    }
  });
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
}
