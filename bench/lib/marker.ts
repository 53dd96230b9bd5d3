/**
 * Every bench message carries `bench|<tag>|<seq>|<send time ns>|` in its content. The send time is
 * the *scheduled* send time on CLOCK_MONOTONIC (see clock.ts), so a receiver in another process
 * computes latency from it without any clock sync, and an open-loop sender that falls behind
 * schedule is charged for it (no coordinated omission).
 */
export function content(tag: string, seq: number, sendNs: number, bytes = 120): string {
  const head = `bench|${tag}|${seq}|${Math.round(sendNs)}|`;
  return head.length >= bytes ? head : head + 'x'.repeat(bytes - head.length);
}

export interface Mark {
  tag: string;
  seq: number;
  sendNs: number;
}

/** Finds the marker in an event's JSON text without parsing the JSON. */
export function findMark(text: string): Mark | undefined {
  const k = text.indexOf('bench|');
  if (k < 0) return undefined;
  const a = text.indexOf('|', k + 6);
  const b = text.indexOf('|', a + 1);
  const c = text.indexOf('|', b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  return { tag: text.slice(k + 6, a), seq: Number(text.slice(a + 1, b)), sendNs: Number(text.slice(b + 1, c)) };
}

/** Latency and per-message receipt bookkeeping for many clients of one load process. */
export class Recorder {
  frames = 0;
  private readonly tags = new Map<string, { lat: number[]; perSeq: Map<number, { n: number; lastNs: number }> }>();

  /** A bench message arrived at `nowNs`. */
  record(mark: Mark, nowNs: number): void {
    let t = this.tags.get(mark.tag);
    if (!t) {
      t = { lat: [], perSeq: new Map() };
      this.tags.set(mark.tag, t);
    }
    t.lat.push((nowNs - mark.sendNs) / 1e6);
    const s = t.perSeq.get(mark.seq);
    if (s) {
      s.n++;
      if (nowNs > s.lastNs) s.lastNs = nowNs;
    } else t.perSeq.set(mark.seq, { n: 1, lastNs: nowNs });
  }

  count(tag: string): number {
    return this.tags.get(tag)?.lat.length ?? 0;
  }

  latencies(tag: string): number[] {
    return this.tags.get(tag)?.lat ?? [];
  }

  perSeq(tag: string): { seq: number; n: number; lastNs: number }[] {
    return [...(this.tags.get(tag)?.perSeq ?? new Map()).entries()]
      .map(([seq, v]) => ({ seq, n: v.n, lastNs: v.lastNs }))
      .sort((a, b) => a.seq - b.seq);
  }
}
