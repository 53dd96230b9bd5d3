import { createHmac, timingSafeEqual } from 'node:crypto';
import type { LogRow } from './event.ts';

/**
 * What a notification on parley_events says, judged with the key only Parley's role can read
 * (db/migrations/0010): PostgreSQL lets any login NOTIFY any channel, so content is believed only
 * when its HMAC verifies. Format in db/live/event-log.sql.
 * - `events`: a signed part, its events in consecutive pos order;
 * - `look`: the empty payload, "read the log" (it carries nothing to believe);
 * - `unverified`: anything else: a forgery, a corrupted payload, or the format of another release.
 */
export type Notification = { kind: 'events'; rows: LogRow[] } | { kind: 'look' } | { kind: 'unverified' };

const MAC_LENGTH = 44; // base64 of 32 bytes

export function mac(key: Uint8Array, body: string): string {
  return createHmac('sha256', key).update(body, 'utf8').digest('base64');
}

/** Whether `given` is the MAC of `body`, compared in constant time. */
export function verified(key: Uint8Array, body: string, given: string): boolean {
  const x = Buffer.from(given);
  const y = Buffer.from(mac(key, body));
  return x.length === y.length && timingSafeEqual(x, y);
}

export function parseNotification(payload: string, key: Uint8Array): Notification {
  if (payload === '') return { kind: 'look' };
  const nl = payload.indexOf('\n');
  if (!payload.startsWith('v2 ') || nl !== 3 + MAC_LENGTH) return { kind: 'unverified' };
  const body = payload.slice(nl + 1);
  if (!verified(key, body, payload.slice(3, nl))) return { kind: 'unverified' };
  const rows = parseBody(body);
  return rows ? { kind: 'events', rows } : { kind: 'unverified' };
}

/** The lines of a signed part; undefined unless every line is well-formed and pos is consecutive. */
function parseBody(body: string): LogRow[] | undefined {
  const rows: LogRow[] = [];
  for (const line of body.split('\n')) {
    const f = line.split('\t');
    if (f.length !== 7) return undefined;
    const pos = Number(f[0]);
    if (!Number.isSafeInteger(pos) || (rows.length && pos !== rows[rows.length - 1]!.pos + 1)) return undefined;
    const subject = f[3] ? json(f[3], (v): v is string => typeof v === 'string') : null;
    const targets = f[4] ? json(f[4], isStrings) : null;
    if (subject === undefined || targets === undefined) return undefined;
    rows.push({
      pos,
      type: f[1]!,
      channel_id: f[2]!,
      subject_user_id: subject,
      target_user_ids: targets,
      ts: f[5]!,
      data: f[6]!,
    });
  }
  return rows.length ? rows : undefined;
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function json<T>(text: string, ok: (v: unknown) => v is T): T | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return ok(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
