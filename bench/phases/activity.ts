import type { Ctx } from '../lib/context.ts';
import { cpuMs, cpuWindow, treeCpuMs } from '../lib/cpu.ts';
import { createGroup } from '../lib/fixtures.ts';

/**
 * activity: reactions and read receipts under load, 64 closed-loop users over 16 channels, one run
 * each. Both are durable events; what is measured is operations/s answered, their latency, and how
 * the node learned of the events: from its own notification (`inline`) or by reading the log. (Until
 * the one event path, db/live/event-log.sql, these events were appended row by row with an empty
 * notification, so every node read each back from the log.)
 */
export async function activity(ctx: Ctx) {
  const { P, db } = ctx;
  const a = P.write;
  const g = await createGroup(ctx.sql, 'act', a.channels, a.writers / a.channels);
  // Messages to react to and read: one statement, triggers and all (a few thousand events).
  const perChannel = 4000;
  const messages: string[][] = [];
  for (const [c, channel] of g.channels.entries()) {
    const rows = await ctx.sql`
      INSERT INTO channel_messages (channel_id, user_id, content)
      SELECT ${channel}, ${g.posters[c]!}, 'activity ' || s FROM generate_series(1, ${perChannel}) s
      RETURNING id, seq`;
    messages.push(rows.sort((x, y) => Number(x.seq) - Number(y.seq)).map((r) => r.id as string));
  }
  const server = await ctx.parley('parley-activity');
  const load = ctx.node({ name: 'activity-load', script: 'bench/load/activity.ts' });
  await load.call('init', { base: server.url, secret: ctx.secret, users: g.members.flat(), sockets: a.writers });
  const targets = g.members.flatMap((ms, c) =>
    ms.map((user) => ({ user, channel: g.channels[c]!, messages: messages[c]! })),
  );
  const inline = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(/^parley_listener_notified_events_total (\d+)/m.exec(text)?.[1] ?? 0);
  };
  const head = async () => Number((await ctx.sql`SELECT coalesce(max(pos), 0) AS p FROM event_log`)[0]!.p);
  const out: Record<string, unknown> = {};
  for (const kind of ['reaction', 'read'] as const) {
    const [i0, h0] = [await inline(), await head()];
    const win = cpuWindow({
      server: () => cpuMs(server.proc.pid),
      postgres: () => treeCpuMs(db.pid),
      loadgen: () => cpuMs(load.pid),
    });
    const r = await load.call<{
      ok: number;
      errors: number;
      firstError: string;
      rate: number;
      latency: { p50: number; p99: number };
    }>('closed', { kind, targets, warmupMs: a.warmupMs, durationMs: a.durationMs }, a.warmupMs + a.durationMs + 60_000);
    const cpu = win.end();
    await new Promise((res) => setTimeout(res, 500));
    const [i1, h1] = [await inline(), await head()];
    if (r.errors) ctx.warn(`activity ${kind}: ${r.errors} failed: ${r.firstError}`);
    const events = h1 - h0;
    ctx.log(
      `  ${kind}: ${Math.round(r.rate)} ops/s (p50 ${r.latency.p50.toFixed(1)} ms, p99 ${r.latency.p99.toFixed(1)} ms), ` +
        `${events} events, ${Math.round((100 * (i1 - i0)) / Math.max(1, events))}% from the notification`,
    );
    out[kind] = {
      ops_per_s: r.rate,
      latency_ms: r.latency,
      errors: r.errors,
      events,
      dispatched_from_notification: i1 - i0,
      cpu,
    };
  }
  await load.stop();
  await server.proc.stop();
  return out;
}
