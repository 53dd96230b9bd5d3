/**
 * Load generator for reactions and read receipts (forked by bench/run.ts, driven over IPC).
 *   closed: N concurrent users, each doing its next operation as soon as the last was answered:
 *           `reaction` toggles an emoji on one of its channel's messages (PUT, then DELETE);
 *           `read` moves its read point one message forward (each a read_receipt event).
 */
import { nowMs } from '../lib/clock.ts';
import { HttpClient } from '../lib/http.ts';
import { summarize } from '../lib/stats.ts';
import { signTokens } from '../lib/tokens.ts';
import { serveWorker } from '../lib/worker.ts';

interface Target {
  user: string;
  channel: string;
  /** The channel's message ids, oldest first. */
  messages: string[];
}

let client: HttpClient;
const tokens = new Map<string, string>();
const EMOJI = ['👍', '🎉', '❤️', '😂'];

serveWorker({
  async init(p: { base: string; secret: string; users: string[]; sockets: number }) {
    client = new HttpClient(new URL(p.base), p.sockets);
    const signed = await signTokens(p.secret, p.users);
    for (const [i, u] of p.users.entries()) tokens.set(u, signed[i]!);
    return true;
  },

  async closed(p: { kind: 'reaction' | 'read'; targets: Target[]; warmupMs: number; durationMs: number }) {
    const start = nowMs();
    const warmEnd = start + p.warmupMs;
    const end = warmEnd + p.durationMs;
    const latencies: number[] = [];
    let ok = 0;
    let errors = 0;
    let firstError = '';
    await Promise.all(
      p.targets.map(async (t, w) => {
        const auth = { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(t.user)}` };
        let i = 0;
        while (nowMs() < end) {
          const t0 = nowMs();
          let res: { status: number; body: string };
          if (p.kind === 'reaction') {
            const msg = t.messages[(w + Math.floor(i / 2)) % t.messages.length]!;
            const emoji = encodeURIComponent(EMOJI[w % EMOJI.length]!);
            // No body, so no content-type: an empty JSON body is refused.
            res = await client.request(`/api/v1/messages/${msg}/reactions/${emoji}`, i % 2 ? 'DELETE' : 'PUT', {
              authorization: auth.authorization,
            });
          } else {
            const msg = t.messages[Math.min(i, t.messages.length - 1)]!;
            res = await client.request(
              `/api/v1/channels/${t.channel}/read`,
              'POST',
              auth,
              JSON.stringify({ message_id: msg }),
            );
          }
          i++;
          const t1 = nowMs();
          if (t0 < warmEnd || t1 > end) continue;
          if (res.status >= 200 && res.status < 300) {
            ok++;
            latencies.push(t1 - t0);
          } else {
            errors++;
            firstError ||= `${res.status} ${res.body.slice(0, 200)}`;
          }
        }
      }),
    );
    return { ok, errors, firstError, rate: ok / (p.durationMs / 1000), latency: summarize(latencies) };
  },
});
