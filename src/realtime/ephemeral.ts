import type { Sql } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { EPHEMERAL_CHANNEL } from './listener.ts';

/** An ephemeral event as it crosses nodes: small, never logged. */
export interface EphemeralMessage {
  type: 'typing' | 'presence';
  channel_id: string | null;
  data: Record<string, unknown>;
}

const FLUSH_MS = 50;
/** PostgreSQL caps a NOTIFY payload at 8000 bytes; stay clear of it. */
const MAX_PAYLOAD = 7000;

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
    try {
      // One statement, so one commit (one commit-lock acquisition) for the batch, and no BEGIN: under
      // load postgres.js can pipeline a BEGIN onto a shared connection (porsager/postgres#823).
      await this.sql`SELECT pg_notify(${EPHEMERAL_CHANNEL}, p) FROM unnest(${payloads}::text[]) AS p`;
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

export function parseEphemeral(payload: string): EphemeralMessage[] {
  try {
    const parsed = JSON.parse(payload) as unknown;
    return Array.isArray(parsed) ? (parsed as EphemeralMessage[]) : [];
  } catch {
    return [];
  }
}
