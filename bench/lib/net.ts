import { readFileSync } from 'node:fs';

/**
 * Machine-wide TCP counters (TcpExt in /proc/net/netstat): a listen queue that overflows drops the
 * handshake, and the client then waits out SYN retransmission timeouts (1, 3, 7, 15, 31, 63 s). The
 * counters are for the whole machine, so other programs' traffic is included (it is small next to a
 * 10,000-client wave).
 */
const KEYS = ['ListenOverflows', 'ListenDrops', 'TCPReqQFullDrop', 'TCPSynRetrans', 'TCPTimeouts', 'SyncookiesSent'];

export function tcpCounters(): Record<string, number> {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    if (names[0] !== 'TcpExt:') continue;
    names.forEach((n, j) => {
      if (KEYS.includes(n)) out[n] = Number(values[j]);
    });
  }
  return out;
}

export function tcpDelta(before: Record<string, number>): Record<string, number> {
  const now = tcpCounters();
  const out: Record<string, number> = {};
  for (const k of Object.keys(now)) out[k] = now[k]! - (before[k] ?? 0);
  return out;
}
