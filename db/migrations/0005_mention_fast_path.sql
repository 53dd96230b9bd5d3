-- notify_message_change() runs at commit under the event-ordering lock, so each statement in it costs
-- every writer. Skip the mention lookup for the (common) message without mentions.

CREATE OR REPLACE FUNCTION notify_message_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_row channel_messages;
  v_type text;
  v_data jsonb;
  v_pos bigint;
  v_user text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    v_row := NEW; v_type := 'new_message';
  ELSIF TG_OP = 'DELETE' THEN
    v_row := OLD; v_type := 'message_deleted';
  ELSE
    v_row := NEW;
    IF NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN
      v_type := 'message_deleted';
    ELSIF NEW.deleted_at IS NOT NULL THEN
      RETURN NULL; -- a deleted message changing further is not news
    ELSIF NEW.content IS DISTINCT FROM OLD.content OR NEW.mentions IS DISTINCT FROM OLD.mentions
       OR NEW.edited_at IS DISTINCT FROM OLD.edited_at OR OLD.deleted_at IS NOT NULL THEN
      v_type := 'message_updated';
    ELSIF NEW.thread_reply_count IS DISTINCT FROM OLD.thread_reply_count
       OR NEW.last_reply_at IS DISTINCT FROM OLD.last_reply_at THEN
      v_type := 'thread_updated';
    ELSE
      RETURN NULL;
    END IF;
  END IF;

  IF v_type = 'message_deleted' THEN
    v_data := jsonb_build_object('message_id', v_row.id);
  ELSIF v_type = 'thread_updated' THEN
    v_data := jsonb_build_object('message_id', v_row.id, 'thread_reply_count', v_row.thread_reply_count,
                                 'last_reply_at', parley_ts(v_row.last_reply_at));
  ELSE
    v_data := parley_message_json(v_row);
  END IF;

  v_pos := parley_append_event(v_type, v_row.channel_id, NULL, NULL, v_data, v_row.id::text);
  PERFORM pg_notify('channel_messages',
    json_build_object('type', v_type, 'id', v_row.id, 'channel_id', v_row.channel_id, 'pos', v_pos)::text);

  -- A mention event goes to each newly mentioned member (not the author, not non-members).
  -- Most messages mention nobody: skip the query (this runs at commit, inside the ordering lock).
  IF v_type IN ('new_message', 'message_updated') AND cardinality(v_row.mentions) > 0 THEN
    FOR v_user IN
      SELECT DISTINCT u FROM unnest(v_row.mentions) AS u
       WHERE u <> v_row.user_id
         AND (TG_OP = 'INSERT' OR NOT (u = ANY (OLD.mentions)))
         AND EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = v_row.channel_id AND cm.user_id = u)
    LOOP
      PERFORM parley_append_event('mention', v_row.channel_id, NULL, ARRAY[v_user], v_data, v_row.id::text);
    END LOOP;
  END IF;
  RETURN NULL;
END
$$;
