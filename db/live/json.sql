-- JSON shapes of the contract, built in one place so the API and the event log agree byte for byte.

-- ISO 8601 in UTC with milliseconds, whatever the writer's TimeZone setting. STABLE (to_char is), so
-- the planner inlines it instead of calling it for every timestamp of every message.
CREATE OR REPLACE FUNCTION parley_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- The Attachment (v1.1): width, height and thumbnail_url only when the file is an image that has
-- them (jsonb_strip_nulls drops them otherwise, as the contract's optional fields).
CREATE OR REPLACE FUNCTION parley_attachment_json(a attachments) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', a.id, 'file_url', '/api/v1/attachments/' || a.id, 'file_name', a.file_name,
                            'file_type', a.file_type, 'file_size', a.file_size, 'sha256', a.sha256)
         || jsonb_strip_nulls(jsonb_build_object(
              'width', a.width, 'height', a.height,
              'thumbnail_url', CASE WHEN a.thumbnail_key IS NOT NULL
                                    THEN '/api/v1/attachments/' || a.id || '?thumbnail=1' END))
$$;

-- The Message with its attachments and reactions given: inlinable (no subqueries), so a set-based
-- caller pays for no function call per row. A deleted message shows neither.
CREATE OR REPLACE FUNCTION parley_message_json_with(m channel_messages, p_attachments jsonb, p_reactions jsonb)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', m.id,
    'channel_id', m.channel_id,
    'user_id', m.user_id,
    -- A message with no author is the host application's (the server API's system messages).
    'system', m.user_id IS NULL,
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

-- The attachments and reactions of a page of messages: one scan per table over all their ids,
-- grouped by message (a SQL function with one SELECT, inlined where it is joined LATERAL).
-- Reactions: one entry per emoji, in the order each emoji was first used, its users in the order
-- they reacted.
CREATE OR REPLACE FUNCTION parley_page_extras(p_ids uuid[]) RETURNS TABLE (message_id uuid, attachments jsonb, reactions jsonb)
LANGUAGE sql STABLE ROWS 50 AS $$
  SELECT coalesce(a.message_id, r.message_id), a.j, r.j
    FROM (SELECT a.message_id, jsonb_agg(parley_attachment_json(a) ORDER BY a.created_at, a.id) AS j
            FROM attachments a WHERE a.message_id = ANY (p_ids) GROUP BY a.message_id) a
    FULL JOIN (
      SELECT g.message_id, jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n, 'user_ids', to_jsonb(g.users))
                                     ORDER BY g.first_at, g.emoji) AS j
        FROM (SELECT message_id, emoji, count(*) AS n, array_agg(user_id ORDER BY created_at, user_id) AS users,
                     min(created_at) AS first_at
                FROM message_reactions WHERE message_id = ANY (p_ids) GROUP BY message_id, emoji) g
       GROUP BY g.message_id) r ON r.message_id = a.message_id
$$;

-- One message's attachments and reactions: the same shapes as parley_page_extras, written for one
-- id so the single-message path (edits, reactions, the update trigger) stays an index probe. A
-- test holds a page equal to each of its messages alone.
CREATE OR REPLACE FUNCTION parley_message_extras(p_message uuid) RETURNS TABLE (attachments jsonb, reactions jsonb)
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

CREATE OR REPLACE FUNCTION parley_channel_json(c channels) RETURNS jsonb
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
    'is_archived', c.is_archived,
    'is_frozen', c.is_frozen,
    'slow_mode_seconds', c.slow_mode_seconds)
$$;
