import { TYPING_TTL_MS } from '../contract/constants.ts';
import type { Sql } from '../db/client.ts';
import type { EphemeralPublisher } from './ephemeral.ts';
import { ephemeral } from './event.ts';
import type { Hub } from './hub.ts';
import type { Subscriber } from './subscriber.ts';

/** A user still typing is re-announced at most this often; receivers expire after TYPING_TTL_MS. */
const REANNOUNCE_MS = 3_000;
/**
 * Announcements per user and channel: one a second, in bursts of two (so "typing", then "stopped"
 * when the message is sent, both go at once), whatever the sequence of calls.
 */
const PER_SECOND = 1;
const BURST = 2;

interface Announced {
  state: boolean;
  /** When the state was last announced. */
  at: number;
  /** Announcement tokens, as of `at`. */
  tokens: number;
  /** The state asked for last, if it has not been announced yet (a trailing announcement is due). */
  wanted?: boolean;
  trailing?: NodeJS.Timeout;
  /** The announcements in flight, in order: each writes and publishes after the one before it. */
  sending?: Promise<void>;
}

/**
 * Typing indicators. The sending node throttles: one announcement per user and channel per second
 * at most, the last state asked for always announced in the end (so alternating true and false
 * cannot pass the throttle, and nobody is left shown as typing); a user still typing is
 * re-announced every 3 s. Every receiving node expires indicators itself, so an `is_typing: false`
 * arrives 6 s after the last keystroke even if the sender's node died.
 */
export class Typing {
  private readonly announced = new Map<string, Announced>();
  private readonly expiries = new Map<string, NodeJS.Timeout>();

  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly sql: Sql,
    private readonly publisher: EphemeralPublisher,
    private readonly hub: Hub,
  ) {
    // What nobody sees any more (stopped, or expired everywhere) and no change is due for.
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const [key, a] of this.announced) {
        if (!a.trailing && now - a.at > (a.state ? TYPING_TTL_MS : BURST * 1000)) this.announced.delete(key);
      }
    }, 10_000);
    this.sweeper.unref();
  }

  async set(channelId: string, userId: string, isTyping: boolean): Promise<void> {
    const key = `${channelId}:${userId}`;
    const now = Date.now();
    const a = this.announced.get(key);
    if (!a) {
      if (!isTyping) return; // not typing, and nobody was told otherwise
      this.announced.set(key, { state: true, at: now, tokens: BURST - 1 });
      return this.announce(channelId, userId, true);
    }
    if (isTyping === a.state && (!isTyping || now - a.at < REANNOUNCE_MS)) {
      a.wanted = undefined; // back to what everyone was told: nothing is due
      return;
    }
    if (!a.trailing && this.spend(a, now)) {
      a.state = isTyping;
      return this.announce(channelId, userId, isTyping);
    }
    // Over the rate: the last state asked for goes out when the next token is there.
    a.wanted = isTyping;
    if (!a.trailing) {
      a.trailing = setTimeout(
        () => this.trail(key, channelId, userId),
        Math.ceil(((1 - a.tokens) * 1000) / PER_SECOND),
      );
      a.trailing.unref();
    }
  }

  /** Takes an announcement token if there is one (refilled at PER_SECOND, up to BURST). */
  private spend(a: Announced, now: number): boolean {
    a.tokens = Math.min(BURST, a.tokens + ((now - a.at) / 1000) * PER_SECOND);
    a.at = now;
    if (a.tokens < 1) return false;
    a.tokens -= 1;
    return true;
  }

  private trail(key: string, channelId: string, userId: string): void {
    const a = this.announced.get(key);
    if (!a) return;
    a.trailing = undefined;
    const wanted = a.wanted;
    a.wanted = undefined;
    if (wanted === undefined || (wanted === a.state && !wanted)) return;
    this.spend(a, Date.now());
    a.state = wanted;
    void this.announce(channelId, userId, wanted).catch(() => {});
  }

  /**
   * One user's announcements in a channel go out in the order they were decided: each is an upsert
   * then a publish, and two in flight on different pool connections could otherwise finish the other
   * way round, leaving watchers with the state before the last.
   */
  private announce(channelId: string, userId: string, isTyping: boolean): Promise<void> {
    const a = this.announced.get(`${channelId}:${userId}`);
    const send = () => this.write(channelId, userId, isTyping);
    if (!a) return send();
    const next = (a.sending ?? Promise.resolve()).then(send, send);
    a.sending = next.catch(() => {});
    return next;
  }

  private async write(channelId: string, userId: string, isTyping: boolean): Promise<void> {
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
    // A user who blocks the typer sees none of their typing.
    const blocking = (s: Subscriber) => s.blocks.has(userId);
    this.hub.dispatchEphemeral(
      ephemeral('typing', channelId, { user_id: userId, is_typing: isTyping }),
      undefined,
      blocking,
    );
    if (isTyping) {
      const timer = setTimeout(() => {
        this.expiries.delete(key);
        this.forget(key);
        this.hub.dispatchEphemeral(
          ephemeral('typing', channelId, { user_id: userId, is_typing: false }),
          undefined,
          blocking,
        );
      }, TYPING_TTL_MS);
      timer.unref();
      this.expiries.set(key, timer);
    }
  }

  /** The indicator expired everywhere: this node's record of it can go, unless a change is due. */
  private forget(key: string): void {
    const a = this.announced.get(key);
    if (a && !a.trailing) this.announced.delete(key);
  }

  stop(): void {
    for (const t of this.expiries.values()) clearTimeout(t);
    clearInterval(this.sweeper);
    for (const a of this.announced.values()) clearTimeout(a.trailing);
    this.expiries.clear();
    this.announced.clear();
  }
}
