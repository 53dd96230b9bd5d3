import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Ctx } from '../lib/context.ts';
import { summarize } from '../lib/stats.ts';

/**
 * webhook: delivery from the event log to a local receiver (in this process, verifying each
 * signature as a host would). Two runs on one node configured with PARLEY_WEBHOOK_URL:
 * - burst: N messages written with SQL in transactions of 100 as fast as PostgreSQL takes them;
 *   events/s delivered from the first commit to the last receipt (one POST at a time, in pos order);
 * - paced: messages one per transaction at a steady rate below that, for the delivery lag
 *   (event commit, the log's created_at, to receipt) p50/p99.
 * Beside them the baseline: the same receiver POSTed to in a loop from here, one at a time, signed,
 * with nothing read from a database: the floor that one-at-a-time delivery cannot beat.
 */
export async function webhookDelivery(ctx: Ctx) {
  const n = ctx.quick ? 2_000 : 10_000;
  const paced = { rate: 100, count: ctx.quick ? 300 : 1_000 };
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const key = Buffer.from(secret.slice(6), 'base64');
  let received: { pos: number; lagMs: number; at: number }[] = [];
  let bad = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id']);
      const ts = String(req.headers['webhook-timestamp']);
      const mac = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
      if (req.headers['webhook-signature'] !== `v1,${mac}`) bad++;
      const ev = JSON.parse(body) as { pos?: number; ts: string };
      if (ev.pos !== undefined) received.push({ pos: ev.pos, lagMs: at - Date.parse(ev.ts), at });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  try {
    const server = await ctx.parley('parley-webhook', {
      env: { PARLEY_WEBHOOK_URL: url, PARLEY_WEBHOOK_SECRET: secret },
    });
    const sql = ctx.sql;
    await sql`INSERT INTO users (id) VALUES ('wh-bench') ON CONFLICT DO NOTHING`;
    const [ch] = await sql`
      WITH c AS (INSERT INTO channels (type, name, created_by) VALUES ('group', 'webhook bench', 'wh-bench') RETURNING id)
      INSERT INTO channel_members (channel_id, user_id, role) SELECT id, 'wh-bench', 'owner' FROM c RETURNING channel_id`;
    const channel = ch!.channel_id as string;
    const head = async () => Number((await sql`SELECT coalesce(max(pos), 0) AS p FROM event_log`)[0]!.p);
    const waitFor = async (pos: number, ms: number) => {
      const deadline = Date.now() + ms;
      while (!received.some((r) => r.pos >= pos)) {
        if (Date.now() > deadline) throw new Error(`webhook: pos ${pos} not delivered within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // Warm up: the node's first POSTs open the connection and compile the paths.
    for (let i = 0; i < 50; i++) {
      await sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channel}, 'wh-bench', 'warm')`;
    }
    await waitFor(await head(), 30_000);

    received = [];
    const t0 = Date.now();
    for (let done = 0; done < n; done += 100) {
      await sql`
        INSERT INTO channel_messages (channel_id, user_id, content)
        SELECT ${channel}, 'wh-bench', 'burst ' || g FROM generate_series(1, 100) g`;
    }
    const writtenMs = Date.now() - t0;
    await waitFor(await head(), 300_000);
    const burst = received;
    const burstMs = burst.at(-1)!.at - t0;
    const burstRate = (burst.length / burstMs) * 1000;
    const burstLag = summarize(burst.map((r) => r.lagMs));
    ctx.log(
      `  burst: ${burst.length} events written in ${writtenMs} ms, delivered at ${Math.round(burstRate)} events/s ` +
        `(lag p50 ${burstLag.p50} ms, p99 ${burstLag.p99} ms: queueing behind the burst)`,
    );

    received = [];
    const start = Date.now();
    for (let i = 0; i < paced.count; i++) {
      const due = start + (i * 1000) / paced.rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await sql`INSERT INTO channel_messages (channel_id, user_id, content) VALUES (${channel}, 'wh-bench', 'paced')`;
    }
    await waitFor(await head(), 60_000);
    const lag = summarize(received.map((r) => r.lagMs));
    ctx.log(`  paced ${paced.rate}/s: delivery lag p50 ${lag.p50} ms, p99 ${lag.p99} ms (${received.length} events)`);
    const inOrder = received.every((r, i) => i === 0 || r.pos > received[i - 1]!.pos);
    if (!inOrder) ctx.warn('webhook: events arrived out of pos order');
    if (bad) ctx.warn(`webhook: ${bad} signatures did not verify`);
    await server.proc.stop();

    // Baseline: the same receiver, POSTed to one at a time from here with a signed body.
    received = [];
    const body = burst.length
      ? JSON.stringify({ type: 'new_message', data: {}, pos: 1, ts: new Date().toISOString() })
      : '';
    const count = ctx.quick ? 2_000 : 5_000;
    const b0 = performance.now();
    for (let i = 0; i < count; i++) {
      const ts = String(Math.floor(Date.now() / 1000));
      const id = `evt_${i}`;
      const mac = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': ts,
          'webhook-signature': `v1,${mac}`,
        },
        body,
      });
      await res.arrayBuffer();
    }
    const baseRate = (count / (performance.now() - b0)) * 1000;
    ctx.log(`  baseline: sequential signed POSTs to the same receiver, no database: ${Math.round(baseRate)}/s`);
    return {
      burst: { events: burst.length, write_ms: writtenMs, events_per_s: burstRate, lag_ms: burstLag },
      paced: { rate_per_s: paced.rate, events: received.length, lag_ms: lag },
      baseline_sequential_posts_per_s: baseRate,
      in_order: inOrder,
      bad_signatures: bad,
    };
  } finally {
    receiver.closeAllConnections();
    await new Promise<void>((r) => receiver.close(() => r()));
  }
}
