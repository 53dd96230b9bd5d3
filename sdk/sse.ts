import { ParleyError } from './errors.ts';
import type { TransportFactory } from './transport.ts';

/**
 * Server-Sent Events parsing as the WHATWG spec describes it (the rules EventSource follows):
 * lines end with CRLF, LF or CR; `:` starts a comment; `data` lines are joined with LF; `id`
 * (without NUL) sets the last event id, which a blank line commits even when there is no data; only
 * unnamed (`message`) events are dispatched.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private idBuffer: string | undefined;
  private eventType = '';
  private sawCr = false;
  private started = false;
  /** The stream's last event id, as EventSource keeps it. */
  lastEventId = '';

  constructor(
    private readonly handlers: {
      onMessage(data: string, lastEventId: string): void;
      onId?(id: string): void;
      onComment?(text: string): void;
      onRetry?(ms: number): void;
    },
  ) {}

  push(chunk: string): void {
    if (!this.started) {
      if (chunk.length === 0) return;
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    // A CR at the end of the previous chunk may be the first half of a CRLF.
    if (this.sawCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.sawCr = false;
    this.buffer += chunk;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(this.buffer.slice(start, i));
      if (c === 13) {
        if (i + 1 === this.buffer.length) this.sawCr = true;
        else if (this.buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.handlers.onComment?.(line.slice(1));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\u0000')) this.idBuffer = value;
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default:
      // unknown fields are ignored
    }
  }

  private dispatch(): void {
    const idChanged = this.idBuffer !== undefined;
    if (this.idBuffer !== undefined) this.lastEventId = this.idBuffer;
    this.idBuffer = undefined;
    const data = this.data;
    const type = this.eventType;
    this.data = [];
    this.eventType = '';
    if (data.length === 0) {
      if (idChanged) this.handlers.onId?.(this.lastEventId);
      return;
    }
    if (type !== '' && type !== 'message') return;
    this.handlers.onMessage(data.join('\n'), this.lastEventId);
  }
}

export interface FetchTransportOptions {
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Path of the stream (default `/api/v1/events`). */
  path?: string;
  /** With no bytes at all (not even the server's 15 s heartbeat comment) for this long, the stream is dropped. */
  idleTimeoutMs?: number;
}

/**
 * The event stream over `fetch` and a streamed response body: for Node (20+ has a global fetch)
 * and any runtime without EventSource. Sends the token and Last-Event-ID as headers.
 */
export function fetchTransport(options: FetchTransportOptions = {}): TransportFactory {
  return (opts, handlers) => {
    const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    const idleMs = options.idleTimeoutMs ?? 45_000;
    const controller = new AbortController();
    let closed = false;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const finish = (err?: Error) => {
      if (closed) return;
      closed = true;
      if (idle) clearTimeout(idle);
      controller.abort();
      handlers.onClose(err);
    };
    const touch = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(
        () => finish(new ParleyError('timeout', 0, `no data from the event stream for ${idleMs} ms`)),
        idleMs,
      );
    };
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      authorization: `Bearer ${opts.token}`,
      'cache-control': 'no-cache',
    };
    if (opts.lastEventId !== undefined) headers['last-event-id'] = String(opts.lastEventId);
    const url = new URL(options.path ?? '/api/v1/events', opts.baseUrl);

    (async () => {
      let res: Response;
      try {
        res = await doFetch(url, { headers, signal: controller.signal, cache: 'no-store' });
      } catch (err) {
        return finish(ParleyError.network(err));
      }
      if (closed) return;
      if (!res.ok || !res.body) return finish(await ParleyError.fromResponse(res));
      handlers.onOpen();
      touch();
      const parser = new SseParser({
        onMessage: (data, id) => {
          if (!closed) handlers.onMessage(data, id === '' ? undefined : id);
        },
        onId: (id) => {
          if (!closed) handlers.onId(id);
        },
      });
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (closed) return;
          if (done) return finish(new ParleyError('stream_ended', 0, 'the server ended the event stream'));
          touch();
          parser.push(decoder.decode(value, { stream: true }));
        }
      } catch (err) {
        finish(ParleyError.network(err));
      }
    })();

    return {
      close: () => {
        if (closed) return;
        closed = true;
        if (idle) clearTimeout(idle);
        controller.abort();
      },
    };
  };
}
