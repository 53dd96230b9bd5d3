import { type Sql, limit as sqlLimit } from './client.ts';
import { LOCKS } from './locks.ts';
import { liveUsers } from './presence.ts';

export type NotificationReason = 'mention' | 'direct' | 'reply';

/**
 * One step of the offline-notification job: the new_message events after the job's watermark that
 * are at least `afterMs` old (the log's pos is commit order, its created_at the commit's clock, so
 * the window is a prefix of what is left), and for each the users it concerns: mentioned (1),
 * the other member of a direct channel (2), the parent's author and earlier repliers of a thread (3);
 * the first reason wins. A user is told when they are a member (not an observer), not muted, their
 * notification_level lets the reason through (`mentions` lets mentions and direct messages through),
 * they have not read up to the message, no live node holds a stream of theirs and none closed since
 * the message was committed (so for the whole delay: the job runs once the delay has passed). Judged
 * against the message's own time, not the job's, the answer does not change if the job runs late.
 * The notifications table's key makes a second attempt (another node, a restart, a replayed window)
 * write nothing. Returns null when another node holds the job.
 */
export async function notifyStep(
  sql: Sql,
  o: { afterMs: number; withContent: boolean; presenceTtlMs: number; batch: number },
): Promise<{ scanned: number; written: Record<NotificationReason, number> } | null> {
  return sql.begin(async (tx) => {
    const [got] = await tx`SELECT pg_try_advisory_xact_lock(${LOCKS.notifications}) AS ok`;
    if (!got?.ok) return null;
    const [state] = await tx`SELECT value FROM parley_state WHERE key = 'notified_through'`;
    const from = state ? Number(state.value) : 0;
    const after = `${o.afterMs} milliseconds`;
    const t = tx as unknown as Sql;
    const [row] = await tx`
      WITH win AS (
        SELECT pos, type, data, created_at FROM event_log
         WHERE pos > ${from} AND created_at <= now() - ${after}::interval
         ORDER BY pos ${sqlLimit(t, o.batch)}
      ), msgs AS (
        SELECT m.id, m.channel_id, m.user_id AS author, m.seq, m.mentions, m.parent_message_id, c.type AS ctype,
               win.created_at AS logged_at
          FROM win JOIN channel_messages m ON m.id = (win.data->>'id')::uuid JOIN channels c ON c.id = m.channel_id
         WHERE win.type = 'new_message' AND m.deleted_at IS NULL
      ), cand AS (
        SELECT msgs.id, u.u AS user_id, 'mention' AS reason, 1 AS rank FROM msgs CROSS JOIN LATERAL unnest(msgs.mentions) AS u(u)
        UNION ALL
        SELECT msgs.id, cm.user_id, 'direct', 2 FROM msgs JOIN channel_members cm ON cm.channel_id = msgs.channel_id
         WHERE msgs.ctype = 'direct'
        UNION ALL
        SELECT msgs.id, p.user_id, 'reply', 3 FROM msgs JOIN channel_messages p ON p.id = msgs.parent_message_id
        UNION ALL
        SELECT msgs.id, r.user_id, 'reply', 3 FROM msgs
          JOIN channel_messages r ON r.parent_message_id = msgs.parent_message_id AND r.seq < msgs.seq
      ), best AS (
        SELECT DISTINCT ON (id, user_id) id, user_id, reason FROM cand WHERE user_id IS NOT NULL
         ORDER BY id, user_id, rank
      ), ins AS (
        INSERT INTO notifications (user_id, message_id, channel_id, reason, with_content)
        SELECT b.user_id, b.id, msgs.channel_id, b.reason, ${o.withContent}
          FROM best b JOIN msgs ON msgs.id = b.id
          JOIN channel_members cm ON cm.channel_id = msgs.channel_id AND cm.user_id = b.user_id
          JOIN users u ON u.id = b.user_id
         WHERE b.user_id IS DISTINCT FROM msgs.author
           AND cm.role <> 'observer' AND NOT cm.muted
           AND (cm.notification_level = 'all' OR (cm.notification_level = 'mentions' AND b.reason IN ('mention', 'direct')))
           AND cm.last_read_seq < msgs.seq
           AND (u.last_seen_at IS NULL OR u.last_seen_at <= msgs.logged_at)
           AND NOT EXISTS (${liveUsers(t, o.presenceTtlMs, tx`s.user_id = b.user_id`)})
         ORDER BY msgs.seq, b.user_id
        ON CONFLICT DO NOTHING
        RETURNING reason
      )
      SELECT (SELECT max(pos) FROM win) AS through, (SELECT count(*) FROM win) AS scanned,
             (SELECT coalesce(json_agg(reason), '[]') FROM ins) AS reasons`;
    const written: Record<NotificationReason, number> = { mention: 0, direct: 0, reply: 0 };
    for (const r of row!.reasons as NotificationReason[]) written[r]++;
    if (row!.through !== null) {
      await tx`
        INSERT INTO parley_state (key, value) VALUES ('notified_through', ${Number(row!.through)})
        ON CONFLICT (key) DO UPDATE SET value = greatest(parley_state.value, EXCLUDED.value)`;
    }
    return { scanned: Number(row!.scanned), written };
  });
}
