-- JSON shapes of the contract, built in one place so the API and the event log agree byte for byte.

-- ISO 8601 in UTC with milliseconds, whatever the writer's TimeZone setting.
CREATE FUNCTION parley_ts(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE FUNCTION parley_message_json(m channel_messages) RETURNS jsonb
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
    'attachments', CASE WHEN m.deleted_at IS NOT NULL THEN '[]'::jsonb ELSE coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'id', a.id, 'file_url', '/api/v1/attachments/' || a.id, 'file_name', a.file_name,
               'file_type', a.file_type, 'file_size', a.file_size) ORDER BY a.created_at, a.id)
        FROM attachments a WHERE a.message_id = m.id), '[]'::jsonb) END,
    'reactions', CASE WHEN m.deleted_at IS NOT NULL THEN '[]'::jsonb ELSE coalesce((
      SELECT jsonb_agg(jsonb_build_object('emoji', r.emoji, 'count', r.n, 'user_ids', to_jsonb(r.users))
                       ORDER BY r.first_at, r.emoji)
        FROM (SELECT emoji, count(*) AS n, array_agg(user_id ORDER BY created_at, user_id) AS users,
                     min(created_at) AS first_at
                FROM message_reactions WHERE message_id = m.id GROUP BY emoji) r), '[]'::jsonb) END,
    'created_at', parley_ts(m.created_at),
    'edited_at', parley_ts(m.edited_at),
    'deleted_at', parley_ts(m.deleted_at))
$$;

CREATE FUNCTION parley_channel_json(c channels) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', c.id,
    'type', c.type,
    'name', c.name,
    'description', c.description,
    'created_by', c.created_by,
    'created_at', parley_ts(c.created_at),
    'updated_at', parley_ts(c.updated_at),
    -- Derived rather than stored: a per-message UPDATE of the channel row would serialise writers.
    'last_message_at', parley_ts((SELECT m.created_at FROM channel_messages m
                                   WHERE m.channel_id = c.id ORDER BY m.seq DESC LIMIT 1)),
    'member_count', c.member_count,
    'is_archived', c.is_archived)
$$;

-- Appends one durable event. Called only from DEFERRABLE INITIALLY DEFERRED triggers, i.e. at
-- commit time: the advisory lock is then held from here to the end of the commit, so pos values are
-- drawn in commit order. NOTIFY already takes a database-wide lock at commit, so this adds little.
CREATE FUNCTION parley_append_event(
  p_type text, p_channel uuid, p_subject text, p_targets text[], p_data jsonb, p_object_id text
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_pos bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(7238461509124);
  v_pos := nextval('event_log_pos_seq');
  INSERT INTO event_log (pos, type, channel_id, subject_user_id, target_user_ids, data, created_at)
  VALUES (v_pos, p_type, p_channel, p_subject, p_targets, p_data, clock_timestamp());
  -- Empty payload: PostgreSQL folds identical notifications of one transaction into one, so a
  -- transaction of many events wakes each node once. Nodes read the log; NOTIFY only says "look".
  PERFORM pg_notify('parley_events', '');
  PERFORM pg_notify('channel_' || p_channel::text,
    json_build_object('type', p_type, 'id', p_object_id, 'channel_id', p_channel, 'pos', v_pos)::text);
  RETURN v_pos;
END
$$;
