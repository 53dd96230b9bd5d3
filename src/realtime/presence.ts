import type { Sql } from '../db/client.ts';
import { liveUsers } from '../db/presence.ts';
import type { Logger } from '../log.ts';
import type { EphemeralPublisher } from './ephemeral.ts';
import { ephemeral } from './event.ts';
import type { Hub } from './hub.ts';

export interface PresenceOptions {
  nodeId: string;
  ttlMs: number;
  heartbeatMs: number;
  /** How long after a user's last stream here closes before they count as offline. */
  graceMs: number;
}

/**
 * Cluster-wide presence. Each node records the users it holds streams for in presence_sessions and
 * heartbeats presence_nodes; a user is online while any node with a fresh heartbeat holds a stream
 * of theirs. Nodes that stop heartbeating are swept by whichever node notices first.
 */
export class Presence {
  private readonly local = new Map<string, number>();
  /** Users whose last stream here closed a moment ago: offline only if they stay away past the grace. */
  private readonly leaving = new Map<string, NodeJS.Timeout>();
  private timer: NodeJS.Timeout | undefined;
  /** Set when a write failed (database away): the next heartbeat rewrites this node's sessions. */
  private dirty = false;

  constructor(
    private readonly sql: Sql,
    private readonly publisher: EphemeralPublisher,
    private readonly hub: Hub,
    private readonly log: Logger,
    private readonly opts: PresenceOptions,
  ) {}

  async start(): Promise<void> {
    await this.sql`
      INSERT INTO presence_nodes (node_id) VALUES (${this.opts.nodeId})
      ON CONFLICT (node_id) DO UPDATE SET started_at = now(), heartbeat_at = now()`;
    await this.sql`DELETE FROM presence_sessions WHERE node_id = ${this.opts.nodeId}`;
    this.timer = setInterval(() => void this.heartbeat(), this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Releases this node's users at once (graceful shutdown) instead of waiting for the TTL. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const t of this.leaving.values()) clearTimeout(t);
    const users = [...this.local.keys(), ...this.leaving.keys()];
    this.leaving.clear();
    this.local.clear();
    try {
      await this.sql`DELETE FROM presence_nodes WHERE node_id = ${this.opts.nodeId}`;
      await this.announceIfOffline(users);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'presence: could not release this node');
    }
  }

  async connected(userId: string): Promise<void> {
    const n = (this.local.get(userId) ?? 0) + 1;
    this.local.set(userId, n);
    const pending = this.leaving.get(userId);
    if (pending) {
      // Back within the grace: the session row is still there; nothing to write, nobody to tell.
      clearTimeout(pending);
      this.leaving.delete(userId);
      return;
    }
    if (n > 1) return;
    try {
      const [row] = await this.sql`
        WITH before AS (
          SELECT EXISTS (${liveUsers(this.sql, this.opts.ttlMs, this.sql`s.user_id = ${userId}`)}) AS online
        ), ins AS (
          INSERT INTO presence_sessions (node_id, user_id, connections) VALUES (${this.opts.nodeId}, ${userId}, 1)
          ON CONFLICT (node_id, user_id) DO UPDATE SET connections = 1
        )
        SELECT online FROM before`;
      if (!row?.online) await this.announce(userId, true, null);
    } catch (err) {
      this.dirty = true;
      this.log.warn({ err: (err as Error).message }, 'presence: could not record a connection');
    }
  }

  async disconnected(userId: string): Promise<void> {
    const n = (this.local.get(userId) ?? 1) - 1;
    if (n > 0) {
      this.local.set(userId, n);
      return;
    }
    this.local.delete(userId);
    // A stream that drops and resumes (network blip, a reconnect storm after a deploy) should not
    // flicker offline/online for everyone else, nor cost two writes: wait a moment first.
    clearTimeout(this.leaving.get(userId));
    const timer = setTimeout(() => {
      this.leaving.delete(userId);
      void this.goOffline(userId);
    }, this.opts.graceMs);
    timer.unref();
    this.leaving.set(userId, timer);
  }

  private async goOffline(userId: string): Promise<void> {
    if (this.local.has(userId)) return;
    try {
      // One transaction: a status read never sees the session gone but last_seen_at not yet set.
      const offline = await this.sql.begin(async (tx) => {
        await tx`DELETE FROM presence_sessions WHERE node_id = ${this.opts.nodeId} AND user_id = ${userId}`;
        return this.markOffline(tx as unknown as Sql, [userId]);
      });
      await this.publishOffline(offline);
    } catch (err) {
      this.dirty = true;
      this.log.warn({ err: (err as Error).message }, 'presence: could not record a disconnection');
    }
  }

  private async heartbeat(): Promise<void> {
    try {
      const beat = await this.sql`
        UPDATE presence_nodes SET heartbeat_at = now() WHERE node_id = ${this.opts.nodeId} RETURNING node_id`;
      if (beat.length === 0 || this.dirty) await this.rewrite();
      await this.sweep();
    } catch (err) {
      this.dirty = true;
      this.log.warn({ err: (err as Error).message }, 'presence: heartbeat failed');
    }
  }

  /** Re-records this node and all its users (after the database was away, or we were swept). */
  private async rewrite(): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`
        INSERT INTO presence_nodes (node_id) VALUES (${this.opts.nodeId})
        ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = now()`;
      await tx`DELETE FROM presence_sessions WHERE node_id = ${this.opts.nodeId}`;
      const users = [...this.local.keys()];
      if (users.length) {
        await tx`
          INSERT INTO presence_sessions (node_id, user_id, connections)
          SELECT ${this.opts.nodeId}, u, 1 FROM unnest(${users}::text[]) AS u
          ON CONFLICT DO NOTHING`;
      }
    });
    this.dirty = false;
  }

  /** Removes nodes whose heartbeat is older than the TTL and announces their users offline. */
  private async sweep(): Promise<void> {
    const ttl = `${this.opts.ttlMs} milliseconds`;
    const gone = await this.sql.begin(async (tx) => {
      const rows = await tx`
        DELETE FROM presence_sessions s USING presence_nodes n
         WHERE s.node_id = n.node_id AND n.heartbeat_at < now() - ${ttl}::interval
        RETURNING s.user_id`;
      await tx`DELETE FROM presence_nodes WHERE heartbeat_at < now() - ${ttl}::interval`;
      return rows.map((r) => r.user_id as string);
    });
    if (gone.length) await this.announceIfOffline([...new Set(gone)]);
  }

  private async announceIfOffline(users: string[]): Promise<void> {
    await this.publishOffline(await this.markOffline(this.sql, users));
  }

  /** Sets last_seen_at for those of `users` no live node holds any more; returns them. */
  private async markOffline(sql: Sql, users: string[]): Promise<{ id: string; last_seen_at: string }[]> {
    if (users.length === 0) return [];
    const rows = await sql`
      UPDATE users SET last_seen_at = now()
       WHERE id = ANY(${users}::text[])
         AND NOT EXISTS (${liveUsers(sql, this.opts.ttlMs, sql`s.user_id = users.id`)})
      RETURNING id, parley_ts(last_seen_at) AS last_seen_at`;
    return rows as unknown as { id: string; last_seen_at: string }[];
  }

  private async publishOffline(rows: { id: string; last_seen_at: string }[]): Promise<void> {
    for (const r of rows) await this.announce(r.id, false, r.last_seen_at);
  }

  private announce(userId: string, online: boolean, lastSeenAt: string | null): Promise<void> {
    return this.publisher
      .publish({ type: 'presence', channel_id: null, data: { user_id: userId, online, last_seen_at: lastSeenAt } })
      .catch(() => {});
  }

  /** A presence event from any node: to this node's users who share a channel with the user. */
  async receive(data: { user_id: string; online: boolean; last_seen_at: string | null }): Promise<void> {
    if (this.hub.subscriberCount === 0) return;
    const rows = await this.sql`SELECT channel_id::text AS id FROM channel_members WHERE user_id = ${data.user_id}`;
    this.hub.dispatchEphemeral(
      ephemeral('presence', null, data),
      rows.map((r) => r.id as string),
    );
  }
}
