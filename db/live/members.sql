-- Membership: joins, leaves and read receipts are durable events of the channel, staged per
-- statement (db/live/event-log.sql). Joins and leaves name their subject: replay rebuilds a
-- user's membership at any pos from them, and nodes apply them to their membership index.
CREATE OR REPLACE FUNCTION parley_member_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_batch bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
      RETURN NULL;
    END IF;
    v_batch := nextval('event_pending_batch_seq');
    INSERT INTO event_pending (batch, head, type, channel_id, subject_user_id, data, object_id)
    SELECT v_batch, row_number() OVER w = 1, 'member_joined', n.channel_id, n.user_id,
           jsonb_build_object('user_id', n.user_id, 'role', n.role), n.user_id
      FROM new_rows n
    WINDOW w AS (ORDER BY n.joined_at, n.channel_id, n.user_id)
     ORDER BY n.joined_at, n.channel_id, n.user_id;
  ELSIF TG_OP = 'DELETE' THEN
    IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
      RETURN NULL;
    END IF;
    v_batch := nextval('event_pending_batch_seq');
    INSERT INTO event_pending (batch, head, type, channel_id, subject_user_id, data, object_id)
    SELECT v_batch, row_number() OVER w = 1, 'member_left', o.channel_id, o.user_id,
           jsonb_build_object('user_id', o.user_id, 'role', o.role), o.user_id
      FROM old_rows o
    WINDOW w AS (ORDER BY o.joined_at, o.channel_id, o.user_id)
     ORDER BY o.joined_at, o.channel_id, o.user_id;
  ELSE
    IF NOT EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o USING (channel_id, user_id)
                    WHERE n.last_read_message_id IS DISTINCT FROM o.last_read_message_id
                      AND n.last_read_message_id IS NOT NULL) THEN
      RETURN NULL;
    END IF;
    v_batch := nextval('event_pending_batch_seq');
    -- An observer's read receipt is shown to nobody else: it goes to the observer alone.
    INSERT INTO event_pending (batch, head, type, channel_id, target_user_ids, data, object_id)
    SELECT v_batch, row_number() OVER w = 1, 'read_receipt', n.channel_id,
           CASE WHEN n.role = 'observer' THEN ARRAY[n.user_id] END,
           jsonb_build_object('user_id', n.user_id, 'message_id', n.last_read_message_id,
                              'read_at', parley_ts(coalesce(n.last_read_at, now()))), n.user_id
      FROM new_rows n JOIN old_rows o USING (channel_id, user_id)
     WHERE n.last_read_message_id IS DISTINCT FROM o.last_read_message_id AND n.last_read_message_id IS NOT NULL
    WINDOW w AS (ORDER BY n.channel_id, n.user_id)
     ORDER BY n.channel_id, n.user_id;
  END IF;
  RETURN NULL;
END
$$;

-- Kept by a trigger so that GET /channels needs no aggregate per channel.
CREATE OR REPLACE FUNCTION parley_member_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE channels SET member_count = member_count + 1 WHERE id = NEW.channel_id;
  ELSE
    UPDATE channels SET member_count = greatest(member_count - 1, 0) WHERE id = OLD.channel_id;
  END IF;
  RETURN NULL;
END
$$;

-- A read position written by SQL names a message; keep the seq used by unread counts in step.
CREATE OR REPLACE FUNCTION parley_read_seq() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.last_read_message_id IS DISTINCT FROM OLD.last_read_message_id THEN
    NEW.last_read_seq := coalesce(
      (SELECT seq FROM channel_messages WHERE id = NEW.last_read_message_id AND channel_id = NEW.channel_id), 0);
    NEW.last_read_at := coalesce(NEW.last_read_at, now());
  END IF;
  RETURN NEW;
END
$$;
