/** Shared helpers of the SDK tests (not a test file). */
import { ParleyClient, type ParleyClientOptions } from '../../sdk/index.ts';
import type { TestServer } from '../helpers/server.ts';

/** Waits until `cond()` holds, polling; fails with `what` after `ms`. */
export async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A client for `userId` on the test server, over the fetch-based SSE reader (Node has no EventSource). */
export async function clientFor(
  s: TestServer,
  userId: string,
  opts: Partial<ParleyClientOptions> = {},
): Promise<ParleyClient> {
  return new ParleyClient({
    baseUrl: s.url,
    token: await s.token(userId),
    transport: 'fetch',
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    ...opts,
  });
}

/**
 * A fetch that passes everything through, but lets a test cut the event stream (as a dropped
 * network would) and hold the next stream request until `release()`: the stream is then "down"
 * for exactly as long as the test wants, with no timing involved.
 */
export function controllableFetch() {
  const streams: AbortController[] = [];
  const streamRequests: { lastEventId: string | null }[] = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const f: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!new URL(url).pathname.endsWith('/events')) return fetch(input, init);
    const headers = new Headers(init?.headers);
    streamRequests.push({ lastEventId: headers.get('last-event-id') });
    if (gate) await gate;
    const ours = new AbortController();
    init?.signal?.addEventListener('abort', () => ours.abort());
    streams.push(ours);
    return fetch(input, { ...init, signal: ours.signal });
  };
  return {
    fetch: f,
    streamRequests,
    /** Cuts the current stream and holds reconnects until `release()`. */
    cut(): void {
      gate = new Promise((r) => {
        open = r;
      });
      streams.at(-1)?.abort(new Error('network cut by the test'));
    },
    release(): void {
      gate = undefined;
      open?.();
    },
  };
}
