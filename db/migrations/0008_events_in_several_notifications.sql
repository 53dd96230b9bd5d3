-- A flush's events travel in as many "v1" notifications as they need (each under 7,000 bytes, cut
-- between lines), not in one that falls back to '' ("look") as soon as the batch passes 7,000 bytes.
-- A group-committed batch of ~30 ordinary messages is ~17 KB: with one notification every such batch
-- cost each node a read of event_log. Each part starts where the previous one ended, so a caught-up
-- node dispatches them in turn (format and rules in 0007). An event too big for any notification
-- ends the parts with '': nodes read the rest from the log, as before.

CREATE OR REPLACE FUNCTION parley_flush_batch() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_lines text[];
  v_line text;
  v_part text := '';
BEGIN
  PERFORM pg_advisory_xact_lock(7238461509124);
  -- nextval and clock_timestamp in the select list are evaluated after the ORDER BY: pos follows ord.
  WITH moved AS (
    DELETE FROM event_pending WHERE batch = NEW.batch RETURNING *
  ), numbered AS (
    SELECT m.*, nextval('event_log_pos_seq') AS pos, clock_timestamp() AS at FROM moved m ORDER BY m.ord
  ), logged AS (
    INSERT INTO event_log (pos, type, channel_id, target_user_ids, data, created_at)
    SELECT pos, type, channel_id, target_user_ids, data, at FROM numbered
  )
  SELECT array_agg(concat_ws(E'\t', sent.pos, sent.type, sent.channel_id,
                             coalesce(to_json(sent.target_user_ids)::text, ''), parley_ts(sent.at), sent.data::text)
                   ORDER BY sent.pos)
    INTO v_lines
    FROM (
      SELECT n.*, pg_notify('channel_' || n.channel_id::text, p.payload) AS a,
             CASE WHEN n.notify_channel IS NOT NULL THEN pg_notify(n.notify_channel, p.payload) END AS b
        FROM numbered n
       CROSS JOIN LATERAL (SELECT json_build_object('type', n.type, 'id', n.object_id, 'channel_id', n.channel_id,
                                                    'pos', n.pos)::text AS payload) p
       ORDER BY n.pos) sent;
  IF v_lines IS NULL THEN
    PERFORM pg_notify('parley_events', '');
    RETURN NULL;
  END IF;
  FOREACH v_line IN ARRAY v_lines LOOP
    IF octet_length(v_line) > 6990 THEN
      -- Too big for any notification: send what is packed, then "look" for this one and the rest.
      IF v_part <> '' THEN
        PERFORM pg_notify('parley_events', 'v1' || E'\n' || v_part);
      END IF;
      PERFORM pg_notify('parley_events', '');
      RETURN NULL;
    END IF;
    IF v_part <> '' AND octet_length(v_part) + 1 + octet_length(v_line) > 6990 THEN
      PERFORM pg_notify('parley_events', 'v1' || E'\n' || v_part);
      v_part := '';
    END IF;
    v_part := CASE WHEN v_part = '' THEN v_line ELSE v_part || E'\n' || v_line END;
  END LOOP;
  PERFORM pg_notify('parley_events', 'v1' || E'\n' || v_part);
  RETURN NULL;
END
$$;
