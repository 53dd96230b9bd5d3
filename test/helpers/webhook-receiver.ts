import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the receiver took, whatever it answered. */
export interface Hit {
  id: string;
  timestamp: number;
  /** The signature verified with the endpoint's secret (the receiver answers 401 otherwise). */
  verified: boolean;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: the event, read field by field by the tests
  event: any;
  status: number;
  at: number;
}

/**
 * A real HTTP receiver as a host application would write one, verifying the Standard Webhooks
 * signature on its own (not with Parley's code): the secret's bytes after `whsec_` are the key of an
 * HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>"; the header holds space-separated
 * "v1,<base64>" signatures, any of which may match. It answers `answer(hit number, id)` (default 200).
 */
export class Receiver {
  readonly hits: Hit[] = [];
  answer: (n: number, id: string) => number | Promise<number> = () => 200;
  secret = '';
  private server: Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(port = this.port): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const id = String(req.headers['webhook-id'] ?? '');
        const timestamp = Number(req.headers['webhook-timestamp']);
        const verified = verify(
          this.secret,
          id,
          String(req.headers['webhook-timestamp'] ?? ''),
          body,
          String(req.headers['webhook-signature'] ?? ''),
        );
        let event: unknown = null;
        try {
          event = JSON.parse(body);
        } catch {
          // recorded as null: the test sees it
        }
        const hit: Hit = { id, timestamp, verified, body, event, status: 0, at: Date.now() };
        hit.status = verified ? await this.answer(this.hits.length, id) : 401;
        this.hits.push(hit);
        res.writeHead(hit.status, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening and drops open connections: the next POST is refused. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Acknowledged hits, first acknowledgement of each id, in the order received. */
  acked(): Hit[] {
    const seen = new Set<string>();
    return this.hits.filter((h) => h.status >= 200 && h.status < 300 && !seen.has(h.id) && seen.add(h.id));
  }

  /** First arrival of each id (acknowledged or not), in the order received. */
  firsts(): Hit[] {
    const seen = new Set<string>();
    return this.hits.filter((h) => !seen.has(h.id) && seen.add(h.id));
  }
}

function verify(secret: string, id: string, ts: string, body: string, header: string): boolean {
  if (!secret.startsWith('whsec_') || !id || !ts) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest();
  for (const part of header.split(' ')) {
    const [version, sig] = part.split(',');
    if (version !== 'v1' || !sig) continue;
    const got = Buffer.from(sig, 'base64');
    if (got.length === expected.length && timingSafeEqual(got, expected)) return true;
  }
  return false;
}
