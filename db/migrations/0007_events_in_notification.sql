-- A flush's events travel in the server's own notification when they fit, so a node that is caught
-- up dispatches them without reading them back from event_log (one round trip less per batch).
--
-- Payload: "v1" then one line per event, tab-separated: pos, type, channel_id, target_user_ids as a
-- JSON array ('' for none), ts, data (jsonb text: JSON escapes tabs and newlines, so neither occurs
-- inside a field). Too big for NOTIFY (8,000 bytes; we stop well short) → '' as before, and nodes
-- read the log. A node uses a payload only if it continues exactly from the last pos it dispatched;
-- anything else (a gap, a node catching up) falls back to reading the log, which stays the truth.

CREATE OR REPLACE FUNCTION parley_flush_batch() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_lines text;
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
  SELECT string_agg(concat_ws(E'\t', sent.pos, sent.type, sent.channel_id,
                              coalesce(to_json(sent.target_user_ids)::text, ''), parley_ts(sent.at), sent.data::text),
                    E'\n' ORDER BY sent.pos)
    INTO v_lines
    FROM (
      SELECT n.*, pg_notify('channel_' || n.channel_id::text, p.payload) AS a,
             CASE WHEN n.notify_channel IS NOT NULL THEN pg_notify(n.notify_channel, p.payload) END AS b
        FROM numbered n
       CROSS JOIN LATERAL (SELECT json_build_object('type', n.type, 'id', n.object_id, 'channel_id', n.channel_id,
                                                    'pos', n.pos)::text AS payload) p
       ORDER BY n.pos) sent;
  PERFORM pg_notify('parley_events',
    CASE WHEN v_lines IS NOT NULL AND octet_length(v_lines) <= 7000 THEN 'v1' || E'\n' || v_lines ELSE '' END);
  RETURN NULL;
END
$$;
