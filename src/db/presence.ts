import type { PendingQuery, Row } from 'postgres';
import type { Sql } from './client.ts';

/**
 * Those of the users `whose` selects (a condition on s.user_id) who are online now, with the earliest
 * time they came online: a session on a node whose heartbeat is younger than the TTL. The one
 * definition of "online", for the announcements and the endpoints. The condition sits inside the
 * grouping so only those users' sessions are read: grouping every session of the cluster per call
 * cost 18 ms at 10,000 streams, and a reconnect storm makes 10,000 such calls.
 */
export function liveUsers(sql: Sql, ttlMs: number, whose: PendingQuery<Row[]>) {
  return sql`
    SELECT s.user_id, min(s.since) AS since FROM presence_sessions s JOIN presence_nodes n USING (node_id)
     WHERE n.heartbeat_at > now() - ${`${ttlMs} milliseconds`}::interval AND ${whose} GROUP BY s.user_id`;
}

/** The user and everyone who shares a channel with them, who are online now. */
export async function onlinePeers(
  sql: Sql,
  ttlMs: number,
  userId: string,
): Promise<{ user_id: string; since: string }[]> {
  const rows = await sql`
    WITH peers AS (SELECT ${userId}::text AS user_id
                   UNION SELECT o.user_id FROM channel_members mine
                           JOIN channel_members o ON o.channel_id = mine.channel_id
                          WHERE mine.user_id = ${userId}),
         live AS (${liveUsers(sql, ttlMs, sql`s.user_id IN (SELECT user_id FROM peers)`)})
    SELECT live.user_id, parley_ts(live.since) AS since FROM live JOIN peers USING (user_id)
     ORDER BY live.user_id`;
  return rows.map((r) => ({ user_id: r.user_id as string, since: r.since as string }));
}

export async function onlineMembers(sql: Sql, ttlMs: number, channelId: string): Promise<string[]> {
  const rows = await sql`
    WITH live AS (${liveUsers(sql, ttlMs, sql`s.user_id IN (SELECT user_id FROM channel_members WHERE channel_id = ${channelId})`)})
    SELECT m.user_id FROM channel_members m JOIN live USING (user_id)
     WHERE m.channel_id = ${channelId} ORDER BY m.user_id`;
  return rows.map((r) => r.user_id as string);
}

/** A user's presence, and whether `viewer` may see it (they are the user, or share a channel). */
export async function statusOf(
  sql: Sql,
  ttlMs: number,
  viewer: string,
  target: string,
): Promise<{ online: boolean; lastSeenAt: string | null; visible: boolean }> {
  const [row] = await sql`
    SELECT EXISTS (${liveUsers(sql, ttlMs, sql`s.user_id = ${target}`)}) AS online,
           (SELECT parley_ts(last_seen_at) FROM users WHERE id = ${target}) AS last_seen_at,
           (${target} = ${viewer} OR EXISTS (
              SELECT 1 FROM channel_members a JOIN channel_members b ON a.channel_id = b.channel_id
               WHERE a.user_id = ${viewer} AND b.user_id = ${target})) AS visible`;
  return {
    online: Boolean(row?.online),
    lastSeenAt: (row?.last_seen_at as string | null) ?? null,
    visible: Boolean(row?.visible),
  };
}
