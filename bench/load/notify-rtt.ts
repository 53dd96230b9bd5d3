/**
 * The e2e latency baseline: PostgreSQL's own pg_notify → LISTEN round trip through postgres.js, at the
 * same open-loop rate as the e2e test. Each NOTIFY is its own autocommit statement from a small pool;
 * the payload carries the scheduled send time and the listener subtracts it on arrival.
 */
import postgres from 'postgres';
import { nowMs, nowNs, sleep } from '../lib/clock.ts';
import { summarize } from '../lib/stats.ts';
import { serveWorker } from '../lib/worker.ts';

async function untilMs(due: number): Promise<void> {
  for (let w = due - nowMs(); w > 0; w = due - nowMs()) await sleep(w);
}

serveWorker({
  async run(p: { url: string; rate: number; count: number; warmupCount: number; senders: number }) {
    const listener = postgres(p.url, { max: 1, onnotice: () => {} });
    const sql = postgres(p.url, { max: p.senders, onnotice: () => {} });
    const lat: number[] = [];
    let received = 0;
    await listener.listen('bench_rtt', (payload) => {
      const t = nowNs();
      const [j, sent] = payload.split('|');
      received++;
      if (Number(j) >= p.warmupCount) lat.push((t - Number(sent)) / 1e6);
    });
    await Promise.all(Array.from({ length: p.senders }, () => sql`SELECT 1`));
    const interval = 1000 / p.rate;
    const start = nowMs() + 20;
    const pending: Promise<unknown>[] = [];
    let errors = 0;
    for (let j = 0; j < p.count; j++) {
      const due = start + j * interval;
      // Sleep, never spin: on 2 shared cores a spinning sender would take CPU from the system under
      // test. Timer lateness (≤ ~1 ms) is charged to the latency, which counts from the schedule.
      await untilMs(due);
      pending.push(
        sql`SELECT pg_notify('bench_rtt', ${`${j}|${Math.round(due * 1e6)}`})`.catch(() => {
          errors++;
        }),
      );
    }
    await Promise.all(pending);
    const deadline = nowMs() + 5_000;
    while (received < p.count - errors && nowMs() < deadline) await sleep(10);
    await sql.end({ timeout: 1 });
    await listener.end({ timeout: 1 });
    return { sent: p.count, received, errors, latency: summarize(lat) };
  },
});
