-- Channel events, staged per statement (db/live/event-log.sql). channel_created is completed by
-- the flush at commit: its audience is the members the creating transaction leaves.
CREATE OR REPLACE FUNCTION parley_channel_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_batch bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
      RETURN NULL;
    END IF;
    v_batch := nextval('event_pending_batch_seq');
    INSERT INTO event_pending (batch, head, type, channel_id, data, object_id)
    SELECT v_batch, row_number() OVER w = 1, 'channel_created', n.id, '{}'::jsonb, n.id::text
      FROM new_rows n
    WINDOW w AS (ORDER BY n.created_at, n.id)
     ORDER BY n.created_at, n.id;
  ELSE
    IF NOT EXISTS (
        SELECT 1 FROM new_rows n JOIN old_rows o USING (id)
         WHERE n.name IS DISTINCT FROM o.name OR n.description IS DISTINCT FROM o.description
            OR n.is_archived IS DISTINCT FROM o.is_archived OR n.type IS DISTINCT FROM o.type
            OR n.is_frozen IS DISTINCT FROM o.is_frozen OR n.slow_mode_seconds IS DISTINCT FROM o.slow_mode_seconds) THEN
      RETURN NULL;
    END IF;
    v_batch := nextval('event_pending_batch_seq');
    INSERT INTO event_pending (batch, head, type, channel_id, data, object_id)
    SELECT v_batch, row_number() OVER w = 1, 'channel_updated', n.id, parley_channel_json(ROW(n.*)::channels), n.id::text
      FROM new_rows n JOIN old_rows o USING (id)
     WHERE n.name IS DISTINCT FROM o.name OR n.description IS DISTINCT FROM o.description
        OR n.is_archived IS DISTINCT FROM o.is_archived OR n.type IS DISTINCT FROM o.type
            OR n.is_frozen IS DISTINCT FROM o.is_frozen OR n.slow_mode_seconds IS DISTINCT FROM o.slow_mode_seconds
    WINDOW w AS (ORDER BY n.id)
     ORDER BY n.id;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION parley_channel_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.name IS DISTINCT FROM OLD.name OR NEW.description IS DISTINCT FROM OLD.description
     OR NEW.is_archived IS DISTINCT FROM OLD.is_archived OR NEW.is_frozen IS DISTINCT FROM OLD.is_frozen
     OR NEW.slow_mode_seconds IS DISTINCT FROM OLD.slow_mode_seconds THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END
$$;
