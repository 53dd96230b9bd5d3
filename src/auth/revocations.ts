import type { Sql } from '../db/client.ts';
import { revocationsSince, revokeBefore } from '../db/revocations.ts';
import type { Logger } from '../log.ts';

/**
 * Token revocation: a user's tokens issued before a time are refused, on every node, and their open
 * streams are closed. The table is the truth; each node keeps it in memory (checked on every
 * request), learns of a revocation at once from the node that made it (a signed notification),
 * and reads what changed every few seconds besides, so a notification lost while its LISTEN
 * connection was down delays a revocation by seconds, never for good.
 */
export class Revocations {
  private readonly before = new Map<string, number>();
  private newestMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
    /** Tells other nodes (and this one) that a user's tokens were revoked. */
    private readonly announce: (userId: string, beforeMs: number) => Promise<void>,
    /** Called when a revocation becomes known here: close the user's streams. */
    private readonly onRevoked: (userId: string, beforeMs: number) => void,
    private readonly pollMs = 5_000,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err) => this.log.warn({ err: (err as Error).message }, 'revocations: refresh failed'));
    }, this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Whether a token of the user issued at `issuedAtMs` (undefined: it did not say) is revoked. */
  isRevoked(userId: string, issuedAtMs: number | undefined): boolean {
    const before = this.before.get(userId);
    return before !== undefined && (issuedAtMs ?? 0) < before;
  }

  /** Revokes the user's tokens issued before `before` (now by default), here and everywhere. */
  async revoke(userId: string, before = new Date()): Promise<number> {
    const beforeMs = await revokeBefore(this.sql, userId, before);
    this.apply(userId, beforeMs);
    await this.announce(userId, beforeMs);
    return beforeMs;
  }

  /** Another node says it revoked: believe the table, not the message, and apply what it says. */
  async heard(): Promise<void> {
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    const { changes, newestMs } = await revocationsSince(this.sql, this.newestMs);
    this.newestMs = newestMs;
    for (const [userId, beforeMs] of changes) this.apply(userId, beforeMs);
  }

  private apply(userId: string, beforeMs: number): void {
    if ((this.before.get(userId) ?? -1) >= beforeMs) return;
    this.before.set(userId, beforeMs);
    this.onRevoked(userId, beforeMs);
  }
}
