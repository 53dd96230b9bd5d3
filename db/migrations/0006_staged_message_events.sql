-- Message events are built per statement, outside the ordering lock; at commit only pos is drawn.
--
-- Until now a deferred row trigger built each message's JSON, appended it to event_log and sent its
-- notifications at commit, inside the advisory lock that makes pos follow commit order: ~180 µs a
-- row that every writer of the database waited through. Now statement-level triggers build the
-- events of a whole statement in one set-based INSERT into event_pending (UNLOGGED: its rows never
-- outlive their transaction), and one deferred trigger per statement moves them into event_log at
-- commit: draw pos, insert, notify. Events keep statement order, because each statement's flush is
-- queued with the deferred triggers of the other tables, in the order the statements ran.

CREATE SEQUENCE event_pending_batch_seq;

CREATE UNLOGGED TABLE event_pending (
  batch           bigint NOT NULL,
  ord             bigint GENERATED ALWAYS AS IDENTITY,
  -- The first row of a batch queues its flush (see the trigger's WHEN); the rest ride along.
  head            boolean NOT NULL,
  type            text NOT NULL,
  channel_id      uuid NOT NULL,
  target_user_ids text[],
  data            jsonb NOT NULL,
  object_id       text NOT NULL,
  -- Besides channel_<id>, the contract's per-table channel (channel_messages), if any.
  notify_channel  text
) WITH (autovacuum_vacuum_threshold = 10000, autovacuum_vacuum_scale_factor = 0);
CREATE INDEX event_pending_batch_idx ON event_pending (batch, ord);

-- Moves one statement's staged events into the log, at commit, under the ordering lock.
CREATE FUNCTION parley_flush_batch() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_n bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(7238461509124);
  -- nextval in the select list is evaluated after the ORDER BY, so pos follows ord.
  WITH moved AS (
    DELETE FROM event_pending WHERE batch = NEW.batch RETURNING *
  ), numbered AS (
    SELECT m.*, nextval('event_log_pos_seq') AS pos FROM moved m ORDER BY m.ord
  ), logged AS (
    INSERT INTO event_log (pos, type, channel_id, target_user_ids, data, created_at)
    SELECT pos, type, channel_id, target_user_ids, data, clock_timestamp() FROM numbered
  )
  SELECT count(*) INTO v_n FROM (
    SELECT pg_notify('channel_' || n.channel_id::text, p.payload) AS a,
           CASE WHEN n.notify_channel IS NOT NULL THEN pg_notify(n.notify_channel, p.payload) END AS b
      FROM numbered n
     CROSS JOIN LATERAL (SELECT json_build_object('type', n.type, 'id', n.object_id, 'channel_id', n.channel_id,
                                                  'pos', n.pos)::text AS payload) p
     ORDER BY n.pos) sent;
  PERFORM pg_notify('parley_events', '');
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER event_pending_flush
  AFTER INSERT ON event_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.head) EXECUTE FUNCTION parley_flush_batch();

-- The message shape with its attachments and reactions given: inlinable (no subqueries), so a
-- set-based caller pays for no function call per row.
CREATE FUNCTION parley_message_json_with(m channel_messages, p_attachments jsonb, p_reactions jsonb)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', m.id,
    'channel_id', m.channel_id,
    'user_id', m.user_id,
    'content', m.content,
    'parent_message_id', m.parent_message_id,
    'thread_reply_count', m.thread_reply_count,
    'last_reply_at', parley_ts(m.last_reply_at),
    'mentions', to_jsonb(m.mentions),
    'attachments', CASE WHEN m.deleted_at IS NOT NULL THEN '[]'::jsonb ELSE coalesce(p_attachments, '[]'::jsonb) END,
    'reactions', CASE WHEN m.deleted_at IS NOT NULL THEN '[]'::jsonb ELSE coalesce(p_reactions, '[]'::jsonb) END,
    'created_at', parley_ts(m.created_at),
    'edited_at', parley_ts(m.edited_at),
    'deleted_at', parley_ts(m.deleted_at))
$$;

CREATE FUNCTION parley_attachment_json(a attachments) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', a.id, 'file_url', '/api/v1/attachments/' || a.id, 'file_name', a.file_name,
                            'file_type', a.file_type, 'file_size', a.file_size)
$$;

-- A message's attachments and reactions. A SQL table function in FROM is inlined, so a page of
-- history joins it LATERAL without a function call per row.
CREATE FUNCTION parley_message_extras(p_message uuid) RETURNS TABLE (attachments jsonb, reactions jsonb)
LANGUAGE sql STABLE ROWS 1 AS $$
  SELECT
    (SELECT jsonb_agg(parley_attachment_json(a) ORDER BY a.created_at, a.id)
       FROM attachments a WHERE a.message_id = p_message),
    (SELECT jsonb_agg(jsonb_build_object('emoji', r.emoji, 'count', r.n, 'user_ids', to_jsonb(r.users))
                      ORDER BY r.first_at, r.emoji)
       FROM (SELECT emoji, count(*) AS n, array_agg(user_id ORDER BY created_at, user_id) AS users,
                    min(created_at) AS first_at
               FROM message_reactions WHERE message_id = p_message GROUP BY emoji) r)
$$;

CREATE OR REPLACE FUNCTION parley_message_json(m channel_messages) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT parley_message_json_with(m, x.attachments, x.reactions) FROM parley_message_extras(m.id) x
$$;

-- parley_ts was declared IMMUTABLE around to_char (STABLE), which keeps the planner from inlining
-- it: every timestamp of every message cost a function call.
CREATE OR REPLACE FUNCTION parley_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

DROP TRIGGER channel_messages_notify ON channel_messages;
DROP TRIGGER channel_messages_thread_counts ON channel_messages;
DROP FUNCTION notify_message_change();
DROP FUNCTION parley_thread_counts();

-- One function for the three statement triggers (the contract names it). Within a statement, events
-- follow seq; a message's mention events follow the message.
CREATE FUNCTION notify_message_change() RETURNS trigger
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
          WHERE x <> n.user_id
            AND EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = n.channel_id AND cm.user_id = x)) u
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
      -- A mention event goes to each newly mentioned member (not the author, not non-members).
      SELECT d.seq, u.u, 'mention', d.channel_id, d.data, d.id, NULL
        FROM d
       CROSS JOIN LATERAL (
         SELECT DISTINCT x AS u FROM unnest(d.mentions) AS x
          WHERE x <> d.user_id AND NOT (x = ANY (d.old_mentions))
            AND EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = d.channel_id AND cm.user_id = x)) u
       WHERE d.type = 'message_updated' AND cardinality(d.mentions) > 0
    )
    INSERT INTO event_pending (batch, head, type, channel_id, target_user_ids, data, object_id, notify_channel)
    SELECT v_batch, row_number() OVER (ORDER BY e.seq, e.target NULLS FIRST) = 1, e.type, e.channel_id,
           CASE WHEN e.target IS NULL THEN NULL ELSE ARRAY[e.target] END, e.data, e.id::text, e.notify
      FROM e ORDER BY e.seq, e.target NULLS FIRST;

  ELSE -- DELETE
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
CREATE FUNCTION parley_thread_counts() RETURNS trigger
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

CREATE TRIGGER channel_messages_notify_insert
  AFTER INSERT ON channel_messages REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION notify_message_change();
CREATE TRIGGER channel_messages_notify_update
  AFTER UPDATE ON channel_messages REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION notify_message_change();
CREATE TRIGGER channel_messages_notify_delete
  AFTER DELETE ON channel_messages REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION notify_message_change();
CREATE TRIGGER channel_messages_thread_counts_insert
  AFTER INSERT ON channel_messages REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parley_thread_counts();
CREATE TRIGGER channel_messages_thread_counts_delete
  AFTER DELETE ON channel_messages REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parley_thread_counts();

-- Only a reply has a parent to check: skip the call for the rest.
DROP TRIGGER channel_messages_check_parent ON channel_messages;
CREATE TRIGGER channel_messages_check_parent
  BEFORE INSERT OR UPDATE OF parent_message_id, channel_id ON channel_messages
  FOR EACH ROW WHEN (NEW.parent_message_id IS NOT NULL) EXECUTE FUNCTION parley_check_parent();
