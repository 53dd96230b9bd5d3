import type { Sql } from '../db/client.ts';
import type { EphemeralPublisher } from './ephemeral.ts';
import { ephemeral } from './event.ts';
import type { Hub } from './hub.ts';

export const TYPING_TTL_MS = 6_000;
/** A user still typing is re-announced at most this often; receivers expire after TYPING_TTL_MS. */
const REANNOUNCE_MS = 3_000;

/**
 * Typing indicators. The sending node throttles; every receiving node expires indicators itself, so
 * an `is_typing: false` arrives 6 s after the last keystroke even if the sender's node died.
 */
export class Typing {
  private readonly lastAnnounced = new Map<string, number>();
  private readonly expiries = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly sql: Sql,
    private readonly publisher: EphemeralPublisher,
    private readonly hub: Hub,
  ) {}

  async set(channelId: string, userId: string, isTyping: boolean): Promise<void> {
    const key = `${channelId}:${userId}`;
    const now = Date.now();
    const last = this.lastAnnounced.get(key);
    if (isTyping && last !== undefined && now - last < REANNOUNCE_MS) return;
    if (!isTyping && last === undefined) return;
    if (isTyping) this.lastAnnounced.set(key, now);
    else this.lastAnnounced.delete(key);
    await this.sql`
      INSERT INTO typing_indicators (channel_id, user_id, is_typing, updated_at, expires_at)
      VALUES (${channelId}, ${userId}, ${isTyping}, now(), now() + ${`${TYPING_TTL_MS} milliseconds`}::interval)
      ON CONFLICT (channel_id, user_id) DO UPDATE
        SET is_typing = EXCLUDED.is_typing, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at`;
    await this.publisher.publish({
      type: 'typing',
      channel_id: channelId,
      data: { user_id: userId, is_typing: isTyping },
    });
  }

  /** A typing event from any node (our own included), delivered to this node's members of the channel. */
  receive(channelId: string, userId: string, isTyping: boolean): void {
    const key = `${channelId}:${userId}`;
    clearTimeout(this.expiries.get(key));
    this.expiries.delete(key);
    this.hub.dispatchEphemeral(ephemeral('typing', channelId, { user_id: userId, is_typing: isTyping }));
    if (isTyping) {
      const timer = setTimeout(() => {
        this.expiries.delete(key);
        this.lastAnnounced.delete(key);
        this.hub.dispatchEphemeral(ephemeral('typing', channelId, { user_id: userId, is_typing: false }));
      }, TYPING_TTL_MS);
      timer.unref();
      this.expiries.set(key, timer);
    }
  }

  stop(): void {
    for (const t of this.expiries.values()) clearTimeout(t);
    this.expiries.clear();
  }
}
