import type { LogRow } from './event.ts';

/**
 * The events of a "v1" notification (format in db/migrations/0007), or undefined for anything else,
 * including the empty payload that only says "look", or lines not in consecutive pos order.
 */
export function parsePayload(payload: string): LogRow[] | undefined {
  if (!payload.startsWith('v1\n')) return undefined;
  const rows: LogRow[] = [];
  for (const line of payload.slice(3).split('\n')) {
    const f = line.split('\t');
    if (f.length !== 6) return undefined;
    const pos = Number(f[0]);
    if (!Number.isSafeInteger(pos) || (rows.length && pos !== rows[rows.length - 1]!.pos + 1)) return undefined;
    const targetUserIds = f[3] ? targets(f[3]) : null;
    if (targetUserIds === undefined) return undefined;
    rows.push({
      pos,
      type: f[1]!,
      channel_id: f[2]!,
      subject_user_id: null,
      target_user_ids: targetUserIds,
      ts: f[4]!,
      data: f[5]!,
    });
  }
  return rows.length ? rows : undefined;
}

function targets(text: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}
