import type { Sql } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { EPHEMERAL_CHANNEL } from './listener.ts';
import { mac, verified } from './notification.ts';

/**
 * An ephemeral event as it crosses nodes: small, never logged. `revoke` tells the nodes a user's
 * tokens were revoked (they read which from the database, and close the user's streams).
 */
export interface EphemeralMessage {
  type: 'typing' | 'presence' | 'revoke' | 'blocks';
  channel_id: string | null;
  data: Record<string, unknown>;
}

const FLUSH_MS = 50;
/** PostgreSQL caps a NOTIFY payload at 8000 bytes; stay clear of it (the signature line included). */
const MAX_PAYLOAD = 6900;
/** A signed payload older (or newer) than this is refused: a replay by someone who LISTENs. */
const FRESH_MS = 60_000;

/** "e1 <ms> <base64 HMAC of "<ms>\n<json>">\n<json>": signed by the node with the notify key. */
function sign(key: Uint8Array, json: string): string {
  const ts = String(Date.now());
  return `e1 ${ts} ${mac(key, `${ts}\n${json}`)}\n${json}`;
}

/**
 * Batches a node's ephemeral events into at most one pg_notify per ~50 ms: every notifying commit
 * takes the same database-wide lock as message writes, so one NOTIFY per keystroke would cost
 * message throughput.
 */
export class EphemeralPublisher {
  private queue: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
    private readonly key: Uint8Array,
  ) {}

  /** Resolves once the event has been handed to PostgreSQL (rejects if it could not be). */
  publish(msg: EphemeralMessage): Promise<void> {
    this.queue.push(JSON.stringify(msg));
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async flush(): Promise<void> {
    this.timer = undefined;
    const items = this.queue;
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    if (items.length === 0) return;
    const payloads: string[] = [];
    let current: string[] = [];
    let size = 2;
    for (const item of items) {
      if (current.length > 0 && size + item.length + 1 > MAX_PAYLOAD) {
        payloads.push(`[${current.join(',')}]`);
        current = [];
        size = 2;
      }
      current.push(item);
      size += item.length + 1;
    }
    if (current.length) payloads.push(`[${current.join(',')}]`);
    const signed = payloads.map((p) => sign(this.key, p));
    try {
      // One statement, so one commit (one commit-lock acquisition) for the batch, and no BEGIN: under
      // load postgres.js can pipeline a BEGIN onto a shared connection (porsager/postgres#823).
      await this.sql`SELECT pg_notify(${EPHEMERAL_CHANNEL}, p) FROM unnest(${signed}::text[]) AS p`;
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'ephemeral events could not be published');
      for (const w of waiters) w.reject(err);
    }
  }

  stop(): Promise<void> {
    clearTimeout(this.timer);
    return this.flush();
  }
}

/**
 * Ephemeral events from any node (this one included), believed only when signed with the notify
 * key, fresh, not seen before, and of the shape a node sends. Returns undefined for anything else.
 */
export class EphemeralInbox {
  private readonly seen = new Map<string, number>();

  constructor(private readonly key: Uint8Array) {}

  open(payload: string, now = Date.now()): EphemeralMessage[] | undefined {
    const nl = payload.indexOf('\n');
    const head = nl > 0 ? payload.slice(0, nl).split(' ') : [];
    if (head.length !== 3 || head[0] !== 'e1') return undefined;
    const [, ts, signature] = head as [string, string, string];
    const json = payload.slice(nl + 1);
    if (!/^\d{1,15}$/.test(ts) || Math.abs(now - Number(ts)) > FRESH_MS) return undefined;
    if (this.seen.has(signature) || !verified(this.key, `${ts}\n${json}`, signature)) return undefined;
    this.remember(signature, now);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return undefined;
    }
    return Array.isArray(parsed) ? parsed.filter(wellFormed) : undefined;
  }

  private remember(signature: string, now: number): void {
    this.seen.set(signature, now);
    if (this.seen.size < 1000) return;
    for (const [s, at] of this.seen) if (now - at > 2 * FRESH_MS) this.seen.delete(s);
  }
}

function wellFormed(m: unknown): m is EphemeralMessage {
  const e = m as EphemeralMessage | null;
  if (!e || typeof e !== 'object' || typeof e.data !== 'object' || e.data === null) return false;
  if (typeof e.data.user_id !== 'string') return false;
  if (e.type === 'typing') return typeof e.channel_id === 'string' && typeof e.data.is_typing === 'boolean';
  if (e.type === 'revoke') return typeof e.data.before_ms === 'number';
  if (e.type === 'blocks') return true;
  return e.type === 'presence' && typeof e.data.online === 'boolean';
}
