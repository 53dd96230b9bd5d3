-- Message events, staged per statement (db/live/event-log.sql moves them into the log at commit).
-- Built set-based from the statement's transition tables, outside the ordering lock: building a
-- message's JSON inside it, row by row, cost every writer of the database ~180 µs a message.

-- One function for the three statement triggers (the contract names it). Within a statement, events
-- follow seq; a message's mention events follow the message.
CREATE OR REPLACE FUNCTION notify_message_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_batch bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
      RETURN NULL;
    END IF;
    v_batch := nextval('event_pending_batch_seq');
    -- A new message has no reactions yet; attachments may be linked by the same statement.
    WITH n AS (
      SELECT r.*, parley_message_json_with(ROW(r.*)::channel_messages, att.j, NULL) AS j
        FROM new_rows r
        LEFT JOIN LATERAL (SELECT jsonb_agg(parley_attachment_json(a) ORDER BY a.created_at, a.id) AS j
                             FROM attachments a WHERE a.message_id = r.id) att ON true
    ), e AS (
      SELECT n.seq, NULL::text AS target, 'new_message' AS type, n.channel_id, n.j AS data, n.id,
             'channel_messages' AS notify
        FROM n
      UNION ALL
      SELECT n.seq, u.u, 'mention', n.channel_id, n.j, n.id, NULL
        FROM n
       CROSS JOIN LATERAL (
         SELECT DISTINCT x AS u FROM unnest(n.mentions) AS x
          WHERE x IS DISTINCT FROM n.user_id
            AND EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = n.channel_id AND cm.user_id = x
                        AND cm.role <> 'observer')) u
       WHERE cardinality(n.mentions) > 0
    )
    INSERT INTO event_pending (batch, head, type, channel_id, target_user_ids, data, object_id, notify_channel)
    SELECT v_batch, row_number() OVER (ORDER BY e.seq, e.target NULLS FIRST) = 1, e.type, e.channel_id,
           CASE WHEN e.target IS NULL THEN NULL ELSE ARRAY[e.target] END, e.data, e.id::text, e.notify
      FROM e ORDER BY e.seq, e.target NULLS FIRST;

  ELSIF TG_OP = 'UPDATE' THEN
    v_batch := nextval('event_pending_batch_seq');
    WITH c AS (
      SELECT n.*, o.mentions AS old_mentions,
             CASE
               WHEN n.deleted_at IS NOT NULL AND o.deleted_at IS NULL THEN 'message_deleted'
               WHEN n.deleted_at IS NOT NULL THEN NULL -- a deleted message changing further is not news
               WHEN n.content IS DISTINCT FROM o.content OR n.mentions IS DISTINCT FROM o.mentions
                 OR n.edited_at IS DISTINCT FROM o.edited_at OR o.deleted_at IS NOT NULL THEN 'message_updated'
               WHEN n.thread_reply_count IS DISTINCT FROM o.thread_reply_count
                 OR n.last_reply_at IS DISTINCT FROM o.last_reply_at THEN 'thread_updated'
             END AS type
        FROM new_rows n JOIN old_rows o ON o.id = n.id
    ), d AS (
      SELECT c.seq, c.type, c.channel_id, c.id, c.user_id, c.mentions, c.old_mentions,
             CASE c.type
               WHEN 'message_deleted' THEN jsonb_build_object('message_id', c.id)
               WHEN 'thread_updated' THEN jsonb_build_object('message_id', c.id, 'thread_reply_count',
                                            c.thread_reply_count, 'last_reply_at', parley_ts(c.last_reply_at))
               ELSE parley_message_json(m)
             END AS data
        FROM c JOIN channel_messages m ON m.id = c.id
       WHERE c.type IS NOT NULL
    ), e AS (
      SELECT d.seq, NULL::text AS target, d.type, d.channel_id, d.data, d.id, 'channel_messages' AS notify FROM d
      UNION ALL
      -- A mention event goes to each newly mentioned member (not the author, not non-members, not
      -- observers: they cannot be mentioned).
      SELECT d.seq, u.u, 'mention', d.channel_id, d.data, d.id, NULL
        FROM d
       CROSS JOIN LATERAL (
         SELECT DISTINCT x AS u FROM unnest(d.mentions) AS x
          WHERE x IS DISTINCT FROM d.user_id AND NOT (x = ANY (d.old_mentions))
            AND EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = d.channel_id AND cm.user_id = x
                        AND cm.role <> 'observer')) u
       WHERE d.type = 'message_updated' AND cardinality(d.mentions) > 0
    )
    INSERT INTO event_pending (batch, head, type, channel_id, target_user_ids, data, object_id, notify_channel)
    SELECT v_batch, row_number() OVER (ORDER BY e.seq, e.target NULLS FIRST) = 1, e.type, e.channel_id,
           CASE WHEN e.target IS NULL THEN NULL ELSE ARRAY[e.target] END, e.data, e.id::text, e.notify
      FROM e ORDER BY e.seq, e.target NULLS FIRST;

  ELSE -- DELETE
    -- Retention (src/chat/retention.ts) removes old messages without news: one message_deleted per
    -- row would put millions of events through the log's ordering lock; clients' history simply
    -- no longer has them (the README says so).
    IF current_setting('parley.retention', true) = 'on' THEN
      RETURN NULL;
    END IF;
    v_batch := nextval('event_pending_batch_seq');
    INSERT INTO event_pending (batch, head, type, channel_id, target_user_ids, data, object_id, notify_channel)
    SELECT v_batch, row_number() OVER (ORDER BY o.seq) = 1, 'message_deleted', o.channel_id, NULL,
           jsonb_build_object('message_id', o.id), o.id::text, 'channel_messages'
      FROM old_rows o ORDER BY o.seq;
  END IF;
  RETURN NULL;
END
$$;

-- Thread counters, per statement. Named to run after the notify trigger of the same statement, so a
-- reply's new_message comes before its parent's thread_updated.
CREATE OR REPLACE FUNCTION parley_thread_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM new_rows WHERE parent_message_id IS NOT NULL) THEN
      UPDATE channel_messages p
         SET thread_reply_count = p.thread_reply_count + r.n,
             last_reply_at = greatest(p.last_reply_at, r.last_at)
        FROM (SELECT parent_message_id AS id, count(*) AS n, max(created_at) AS last_at
                FROM new_rows WHERE parent_message_id IS NOT NULL GROUP BY parent_message_id) r
       WHERE p.id = r.id;
    END IF;
  ELSIF EXISTS (SELECT 1 FROM old_rows WHERE parent_message_id IS NOT NULL) THEN
    UPDATE channel_messages p
       SET thread_reply_count = greatest(p.thread_reply_count - r.n, 0)
      FROM (SELECT parent_message_id AS id, count(*) AS n
              FROM old_rows WHERE parent_message_id IS NOT NULL GROUP BY parent_message_id) r
     WHERE p.id = r.id;
  END IF;
  RETURN NULL;
END
$$;

-- A reply must belong to a top-level message of the same channel (threads are one level deep).
CREATE OR REPLACE FUNCTION parley_check_parent() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.parent_message_id IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM channel_messages p
       WHERE p.id = NEW.parent_message_id AND p.channel_id = NEW.channel_id AND p.parent_message_id IS NULL) THEN
    RAISE EXCEPTION 'parent message % is not a top-level message of channel %', NEW.parent_message_id, NEW.channel_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END
$$;
