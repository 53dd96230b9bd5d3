-- The one way a durable event enters the log. Every table's statement triggers stage their events
-- in event_pending (UNLOGGED: its rows never outlive their transaction), the first row of each
-- statement's batch queues this flush, and at commit it runs under one advisory lock: that lock,
-- held from here to the end of the commit, is what makes pos follow commit order.
--
-- It announces the events twice:
-- * on the contract's channels, channel_<id> and the table's own (channel_messages,
--   message_reactions), the compact {type, id, channel_id, pos} other programs may LISTEN to;
-- * on parley_events, the events themselves for Parley's nodes, in parts of under 7,000 bytes
--   (NOTIFY's limit is 8,000), each signed:
--     "v2 " base64(HMAC-SHA256(key, body)) "\n" body
--   body: one line per event, tab-separated: pos, type, channel_id, subject (a JSON string, or ''),
--   targets (a JSON array, or ''), ts, data (jsonb text). JSON escapes tabs and line breaks, so no
--   value can run into the next field or line. A node dispatches a part only if its MAC verifies
--   and it continues exactly from the last pos the node dispatched; anything else is read from the
--   log, which stays the truth. An event too big for any part ends the parts with '' ("look").
--
-- HMAC-SHA256 (RFC 2104) from PostgreSQL's own sha256(), given the key XORed with ipad and opad:
-- a part of the notification as "v2 <base64 MAC>\n<body>". Holds no secret itself.
CREATE OR REPLACE FUNCTION parley_signed(p_body text, p_ipad bytea, p_opad bytea) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 'v2 ' || encode(sha256(p_opad || sha256(p_ipad || convert_to(p_body, 'UTF8'))), 'base64') || E'\n' || p_body
$$;

-- SECURITY DEFINER: the key is readable by Parley's role only (parley_keys), and a program with
-- table privileges writing as another role must still produce signed notifications.
CREATE OR REPLACE FUNCTION parley_flush_batch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  v_lines text[];
  v_line text;
  v_part text := '';
  v_ipad bytea;
  v_opad bytea;
BEGIN
  PERFORM pg_advisory_xact_lock(7238461509124);
  SELECT ipad, opad INTO v_ipad, v_opad FROM parley_keys WHERE name = 'notify';
  -- nextval and clock_timestamp in the select list are evaluated after WHERE and ORDER BY: pos
  -- follows ord, and an event that resolved to nothing draws no pos.
  WITH moved AS (
    DELETE FROM event_pending WHERE batch = NEW.batch RETURNING *
  ), resolved AS (
    -- channel_created is staged with the INSERT of the channel, but is about the channel as the
    -- transaction leaves it: its members (added by later statements) are its audience.
    SELECT m.ord, m.type, m.channel_id, m.subject_user_id, m.object_id, m.notify_channel,
           CASE WHEN m.type = 'channel_created' THEN
             (SELECT coalesce(array_agg(cm.user_id ORDER BY cm.user_id), '{}') FROM channel_members cm
               WHERE cm.channel_id = m.channel_id)
           ELSE m.target_user_ids END AS target_user_ids,
           CASE WHEN m.type = 'channel_created' THEN
             (SELECT parley_channel_json(c) FROM channels c WHERE c.id = m.channel_id)
           ELSE m.data END AS data
      FROM moved m
  ), numbered AS (
    SELECT r.*, nextval('event_log_pos_seq') AS pos, clock_timestamp() AS at
      FROM resolved r WHERE r.data IS NOT NULL ORDER BY r.ord
  ), logged AS (
    INSERT INTO event_log (pos, type, channel_id, subject_user_id, target_user_ids, data, created_at)
    SELECT pos, type, channel_id, subject_user_id, target_user_ids, data, at FROM numbered
  )
  SELECT array_agg(concat_ws(E'\t', sent.pos, sent.type, sent.channel_id,
                             coalesce(to_json(sent.subject_user_id)::text, ''),
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
    RETURN NULL;
  END IF;
  FOREACH v_line IN ARRAY v_lines LOOP
    IF octet_length(v_line) > 6900 THEN
      -- Too big for any notification: send what is packed, then "look" for this one and the rest.
      IF v_part <> '' THEN
        PERFORM pg_notify('parley_events', parley_signed(v_part, v_ipad, v_opad));
      END IF;
      PERFORM pg_notify('parley_events', '');
      RETURN NULL;
    END IF;
    IF v_part <> '' AND octet_length(v_part) + 1 + octet_length(v_line) > 6900 THEN
      PERFORM pg_notify('parley_events', parley_signed(v_part, v_ipad, v_opad));
      v_part := '';
    END IF;
    v_part := CASE WHEN v_part = '' THEN v_line ELSE v_part || E'\n' || v_line END;
  END LOOP;
  PERFORM pg_notify('parley_events', parley_signed(v_part, v_ipad, v_opad));
  RETURN NULL;
END
$$;

-- Runs as its owner; pin where it looks names up (its own schema, temporary objects last), and let
-- nobody call it but the trigger.
DO $$ BEGIN
  EXECUTE format('ALTER FUNCTION parley_flush_batch() SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION parley_flush_batch() FROM PUBLIC;
