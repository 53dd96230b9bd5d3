import http from 'node:http';

export interface Received {
  type: string;
  channel_id: string | null;
  data: Record<string, unknown>;
  pos?: number;
  ts: string;
  /** The SSE `id:` line of the frame, if any. */
  id?: string;
}

/**
 * A minimal SSE client over node:http, parsing frames the WHATWG way (data lines, id lines,
 * comments), so tests see exactly what a browser's EventSource would.
 */
export class SseClient {
  readonly events: Received[] = [];
  /** Last id seen (from events or id-only blocks), as EventSource keeps it. */
  lastEventId: string | undefined;
  comments = 0;
  status = 0;
  /** The response's headers. */
  headers: http.IncomingHttpHeaders = {};
  closed = false;
  private req: http.ClientRequest | undefined;
  private waiters: (() => void)[] = [];

  static async open(
    base: string,
    path: string,
    opts: { token?: string; lastEventId?: string; headers?: Record<string, string> } = {},
  ): Promise<SseClient> {
    const c = new SseClient();
    await c.connect(base, path, opts);
    return c;
  }

  private connect(
    base: string,
    path: string,
    opts: { token?: string; lastEventId?: string; headers?: Record<string, string> },
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
      const req = http.get(new URL(path, base), { headers }, (res) => {
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        if (this.status !== 200) {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => {
            this.closed = true;
            this.errorBody = body;
            resolve();
          });
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          buf += chunk;
          let idx = buf.indexOf('\n\n');
          while (idx >= 0) {
            this.block(buf.slice(0, idx));
            buf = buf.slice(idx + 2);
            idx = buf.indexOf('\n\n');
          }
        });
        const done = () => {
          this.closed = true;
          this.wake();
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
        resolve();
      });
      req.on('error', (err) => {
        this.closed = true;
        this.wake();
        reject(err);
      });
      this.req = req;
    });
  }

  errorBody = '';

  private block(text: string): void {
    let data = '';
    let id: string | undefined;
    let hasData = false;
    for (const line of text.split('\n')) {
      if (line.startsWith(':')) {
        this.comments++;
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') {
        data += (hasData ? '\n' : '') + value;
        hasData = true;
      } else if (field === 'id') id = value;
    }
    if (id !== undefined) this.lastEventId = id;
    if (!hasData) return;
    const ev = JSON.parse(data) as Received;
    if (id !== undefined) ev.id = id;
    this.events.push(ev);
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  of(type: string): Received[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Waits until `pred` holds over the received events, or fails after `ms`. */
  async waitFor(pred: (events: Received[]) => boolean, ms = 5000, what = 'events'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this.events)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${ms} ms waiting for ${what}; got ${JSON.stringify(this.events.map((e) => e.type))}`,
        );
      }
      if (this.closed && !pred(this.events)) {
        await new Promise((r) => setTimeout(r, 20));
        if (!pred(this.events)) throw new Error(`stream closed while waiting for ${what}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits a little and asserts-by-return that nothing matching arrived. */
  async quiet(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
  }

  close(): void {
    this.req?.destroy();
    this.closed = true;
  }
}
