import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU accounting from /proc, to say where a phase's CPU went (server, PostgreSQL, load generators,
 * anything else on the machine) when reading why a target was missed.
 */

let tick: number | undefined;
function clkTck(): number {
  if (tick === undefined) {
    try {
      tick = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      tick = 100;
    }
  }
  return tick;
}

function stat(pid: number): { ppid: number; cpuMs: number; reapedMs: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return {
      ppid: Number(f[1]),
      cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / clkTck(),
      reapedMs: ((Number(f[13]) + Number(f[14])) * 1000) / clkTck(),
    };
  } catch {
    return undefined;
  }
}

/** User + system CPU of one process, in ms. */
export function cpuMs(pid: number | undefined): number {
  return pid ? (stat(pid)?.cpuMs ?? 0) : 0;
}

/**
 * CPU of a process and its direct children (the postmaster and its backends), in ms: the live
 * children's and, through cutime/cstime, that of children that have exited (backends of closed
 * connections).
 */
export function treeCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  const root = stat(pid);
  let total = (root?.cpuMs ?? 0) + (root?.reapedMs ?? 0);
  for (const name of readdirSync('/proc')) {
    const child = Number(name);
    if (!child) continue;
    const s = stat(child);
    if (s?.ppid === pid) total += s.cpuMs;
  }
  return total;
}

/** Busy CPU time of the whole machine (all cores), in ms. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return ((total - idle) * 1000) / clkTck();
}

export interface CpuSample {
  wallMs: number;
  machineMs: number;
  parts: Record<string, number>;
}

/** Snapshot now; call .end() later for cores used per part over the interval. */
export function cpuWindow(parts: Record<string, () => number>) {
  const t0 = performance.now();
  const m0 = machineBusyMs();
  const p0 = Object.fromEntries(Object.entries(parts).map(([k, f]) => [k, f()]));
  return {
    end(): Record<string, number> {
      const wall = performance.now() - t0;
      const out: Record<string, number> = { wall_s: Math.round(wall / 10) / 100 };
      let ours = 0;
      for (const [k, f] of Object.entries(parts)) {
        const used = f() - p0[k]!;
        ours += used;
        out[`${k}_cores`] = Math.round((used / wall) * 100) / 100;
      }
      const machine = machineBusyMs() - m0;
      out.machine_cores = Math.round((machine / wall) * 100) / 100;
      out.other_cores = Math.round((Math.max(0, machine - ours) / wall) * 100) / 100;
      return out;
    },
  };
}
