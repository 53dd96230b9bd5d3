/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): self and inclusive time per
 * function, top N. Usage: npx tsx bench/lib/cpuprofile.ts FILE|DIR [N] — given a directory (one
 * server's), it picks the thread that was busiest (the main thread, not tsx's loader worker).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export function summarizeProfile(file: string, top = 25): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Time per sample from timeDeltas (µs); hitCount × mean interval if deltas are missing.
  const selfUs = new Map<number, number>();
  if (p.samples && p.timeDeltas) {
    for (let i = 0; i < p.samples.length; i++) {
      const id = p.samples[i]!;
      selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0));
    }
  }
  const total = p.endTime - p.startTime;
  const key = (n: Node) => {
    const url = n.callFrame.url
      .replace(/^file:\/\//, '')
      .replace(/^.*\/node_modules\//, 'nm:')
      .replace(/^.*\/work\/[^/]+\//, '');
    return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    self.set(key(n), (self.get(key(n)) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + us);
    }
  }
  const fmt = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) => `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`,
      )
      .join('\n');
  return `profile ${file}: ${(total / 1e6).toFixed(1)} s\n-- self --\n${fmt(self)}\n-- inclusive --\n${fmt(incl)}`;
}

/** The profile in `dir` with the most non-idle samples. */
export function busiestProfile(dir: string): string {
  let best = '';
  let bestBusy = -1;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
    const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    const busy = (p.samples ?? []).filter((id) => !idle.has(id)).length;
    if (busy > bestBusy) {
      bestBusy = busy;
      best = join(dir, f);
    }
  }
  return best;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const arg = process.argv[2]!;
  const file = statSync(arg).isDirectory() ? busiestProfile(arg) : arg;
  console.log(summarizeProfile(file, Number(process.argv[3] ?? 25)));
}
