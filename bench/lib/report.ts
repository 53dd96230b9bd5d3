/** The targets of the issue, judged only against baselines of the same run, and the printed table. */

export interface Target {
  name: string;
  parley: string;
  baseline: string;
  target: string;
  /** null: not measured (phase skipped or failed). */
  pass: boolean | null;
  ratio?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON tree of measurements, read defensively below
type M = Record<string, any>;

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const ms = (v: unknown) => (num(v) ? `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)} ms` : 'n/a');
const f = (v: unknown, d = 0) => (num(v) ? v.toFixed(d) : 'n/a');

export function targets(metrics: M): Target[] {
  const out: Target[] = [];
  const w = metrics.write_throughput;
  {
    const seed = w?.baselines?.seed_notify_trigger;
    const ok = num(w?.value) && num(seed);
    out.push({
      name: 'write throughput',
      parley: num(w?.value) ? `${f(w.value)} msg/s` : 'n/a',
      baseline: w ? `seed trigger ${f(seed)}, plain ${f(w.baselines?.plain_insert)} msg/s` : 'n/a',
      target: ok ? `≥ 3× seed (${f(3 * seed)})` : '≥ 3× seed',
      pass: ok ? w.value >= 3 * seed : null,
      ratio: ok ? w.value / seed : undefined,
    });
  }
  const e = metrics.e2e_latency;
  {
    const b = e?.baselines;
    const ok50 = num(e?.p50_ms) && num(b?.notify_rtt_p50_ms);
    out.push({
      name: 'e2e latency p50',
      parley: ms(e?.p50_ms),
      baseline: `NOTIFY rtt p50 ${ms(b?.notify_rtt_p50_ms)}`,
      target: ok50 ? `≤ rtt + 2 ms (${ms(b.notify_rtt_p50_ms + 2)})` : '≤ rtt p50 + 2 ms',
      pass: ok50 ? e.p50_ms <= b.notify_rtt_p50_ms + 2 : null,
    });
    out.push({
      name: 'e2e latency p99',
      parley: ms(e?.p99_ms),
      baseline: `NOTIFY rtt p99 ${ms(b?.notify_rtt_p99_ms)}`,
      target: '≤ 20 ms',
      pass: num(e?.p99_ms) ? e.p99_ms <= 20 : null,
    });
  }
  const fo = metrics.fanout_10k;
  {
    const raw = fo?.baselines?.raw_node_http;
    const sio = fo?.baselines?.socket_io;
    const okS = num(fo?.server_ms) && num(raw?.server_ms);
    out.push({
      name: 'fan-out 10k server time',
      parley: ms(fo?.server_ms),
      baseline: `raw node:http ${ms(raw?.server_ms)}`,
      target: okS ? `≤ 1.2× raw (${ms(1.2 * raw.server_ms)})` : '≤ 1.2× raw',
      pass: okS ? fo.server_ms <= 1.2 * raw.server_ms : null,
      ratio: okS ? fo.server_ms / raw.server_ms : undefined,
    });
    const okC = num(fo?.client_p99_ms) && num(sio?.client_p99_ms);
    out.push({
      name: 'fan-out 10k client p99',
      parley: `${ms(fo?.client_p99_ms)} (p50 ${ms(fo?.client_p50_ms)})`,
      baseline: `Socket.IO ${ms(sio?.client_p99_ms)} (p50 ${ms(sio?.client_p50_ms)}); raw ${ms(raw?.client_p99_ms)}`,
      target: '≤ Socket.IO p99',
      pass: okC ? fo.client_p99_ms <= sio.client_p99_ms : null,
    });
  }
  const mem = metrics.memory_per_connection;
  {
    const raw = mem?.baselines?.raw_node_http_kb;
    const ok = num(mem?.value_kb) && num(raw);
    out.push({
      name: 'memory per connection',
      parley: num(mem?.value_kb) ? `${f(mem.value_kb, 1)} kB` : 'n/a',
      baseline: `raw node:http ${num(raw) ? `${f(raw, 1)} kB` : 'n/a'}`,
      target: ok ? `≤ 1.3× raw (${f(1.3 * raw, 1)} kB)` : '≤ 1.3× raw',
      pass: ok ? mem.value_kb <= 1.3 * raw : null,
      ratio: ok ? mem.value_kb / raw : undefined,
    });
  }
  const st = metrics.reconnect_storm;
  {
    const measured = st !== undefined;
    out.push({
      name: 'reconnect storm 10k',
      parley: measured
        ? `${st.catch_up_ms === null ? 'not caught up' : `caught up ${ms(st.catch_up_ms)}`}, lost ${st.lost}`
        : 'n/a',
      baseline: '—',
      target: '< 5 s, 0 lost',
      pass: measured ? st.catch_up_ms !== null && st.catch_up_ms < 5000 && st.lost === 0 : null,
    });
  }
  const h = metrics.history_page;
  out.push({
    name: 'history page p99',
    parley: h ? `${ms(h.p99_ms)} (${h.rows} rows)` : 'n/a',
    baseline: h ? `same query on PostgreSQL p99 ${ms(h.db_only_latency_ms?.p99)}` : '—',
    target: '≤ 5 ms',
    pass: num(h?.p99_ms) ? h.p99_ms <= 5 : null,
  });
  const s = metrics.startup;
  out.push({
    name: 'warm start',
    parley: s ? `${ms(s.warm_ms)} (cold ${ms(s.cold_ms)})` : 'n/a',
    baseline: '—',
    target: '≤ 3 s',
    pass: num(s?.warm_ms) ? s.warm_ms <= 3000 : null,
  });
  return out;
}

export function table(rows: Target[]): string {
  const head = ['metric', 'Parley', 'baseline (same run)', 'target', 'result'];
  const body = rows.map((r) => [
    r.name,
    r.parley,
    r.baseline,
    r.target,
    r.pass === null ? 'n/a' : `${r.pass ? 'PASS' : 'MISS'}${r.ratio !== undefined ? ` (${r.ratio.toFixed(2)}×)` : ''}`,
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
  return [line(head), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** Rounds every number in a JSON tree: 2 decimals below 100, whole numbers above. */
export function roundDeep(v: unknown): unknown {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
  }
  if (Array.isArray(v)) return v.map(roundDeep);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = roundDeep(x);
    return out;
  }
  return v;
}
