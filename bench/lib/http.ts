import { Pool } from 'undici';

export interface HttpResponse {
  status: number;
  body: string;
}

/**
 * Keep-alive HTTP/1.1 connections to one server, for the load generators. undici rather than
 * node:http's client: on 2 cores shared with the server and PostgreSQL, every microsecond the load
 * generator spends per request is taken from the system under test, and node:http's client (agent,
 * per-request socket timers, IncomingMessage streams) cost ~75 µs a request here.
 */
export class HttpClient {
  private readonly pool: Pool;

  constructor(base: URL, connections: number, timeoutMs = 30_000) {
    this.pool = new Pool(base.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  /** One request; the body is read in full. */
  async request(
    path: string,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    headers: Record<string, string>,
    body?: string,
  ) {
    try {
      const res = await this.pool.request({ path, method, headers, body });
      return { status: res.statusCode, body: await res.body.text() } satisfies HttpResponse;
    } catch (err) {
      throw new Error(`${method} ${path}: ${(err as Error).message}`);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** 127.0.0.2 … 127.0.0.(n+1): source addresses that spread client sockets over several port ranges. */
export function loopbackSources(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `127.0.0.${i + 2}`);
}
