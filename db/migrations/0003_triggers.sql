-- Triggers: every change that is news becomes a row in event_log, whoever wrote it (API or SQL).

CREATE FUNCTION notify_message_change() RETURNS trigger
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
  IF v_type IN ('new_message', 'message_updated') THEN
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

CREATE CONSTRAINT TRIGGER channel_messages_notify
  AFTER INSERT OR UPDATE OR DELETE ON channel_messages
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION notify_message_change();

-- A reply must belong to a top-level message of the same channel (threads are one level deep).
CREATE FUNCTION parley_check_parent() RETURNS trigger
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

CREATE TRIGGER channel_messages_check_parent
  BEFORE INSERT OR UPDATE OF parent_message_id, channel_id ON channel_messages
  FOR EACH ROW EXECUTE FUNCTION parley_check_parent();

-- Thread counters are kept by the database, so SQL writers keep them right too.
CREATE FUNCTION parley_thread_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.parent_message_id IS NOT NULL THEN
    UPDATE channel_messages
       SET thread_reply_count = thread_reply_count + 1,
           last_reply_at = greatest(last_reply_at, NEW.created_at)
     WHERE id = NEW.parent_message_id;
  ELSIF TG_OP = 'DELETE' AND OLD.parent_message_id IS NOT NULL THEN
    UPDATE channel_messages
       SET thread_reply_count = greatest(thread_reply_count - 1, 0)
     WHERE id = OLD.parent_message_id;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER channel_messages_thread_counts
  AFTER INSERT OR DELETE ON channel_messages
  FOR EACH ROW EXECUTE FUNCTION parley_thread_counts();

CREATE FUNCTION notify_reaction_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_row message_reactions;
  v_type text;
  v_channel uuid;
  v_pos bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    v_row := NEW; v_type := 'message_reaction';
  ELSE
    v_row := OLD; v_type := 'reaction_removed';
  END IF;
  SELECT channel_id INTO v_channel FROM channel_messages WHERE id = v_row.message_id;
  IF v_channel IS NULL THEN
    RETURN NULL; -- the message itself was deleted; its message_deleted event says enough
  END IF;
  v_pos := parley_append_event(v_type, v_channel, NULL, NULL,
    jsonb_build_object('message_id', v_row.message_id, 'user_id', v_row.user_id, 'emoji', v_row.emoji),
    v_row.message_id::text);
  PERFORM pg_notify('message_reactions',
    json_build_object('type', v_type, 'id', v_row.message_id, 'channel_id', v_channel, 'pos', v_pos)::text);
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER message_reactions_notify
  AFTER INSERT OR DELETE ON message_reactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION notify_reaction_change();

-- Membership: joins, leaves and read receipts are durable events of the channel.
CREATE FUNCTION parley_member_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM parley_append_event('member_joined', NEW.channel_id, NEW.user_id, NULL,
      jsonb_build_object('user_id', NEW.user_id, 'role', NEW.role), NEW.user_id);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM parley_append_event('member_left', OLD.channel_id, OLD.user_id, NULL,
      jsonb_build_object('user_id', OLD.user_id, 'role', OLD.role), OLD.user_id);
  ELSIF NEW.last_read_message_id IS DISTINCT FROM OLD.last_read_message_id AND NEW.last_read_message_id IS NOT NULL THEN
    PERFORM parley_append_event('read_receipt', NEW.channel_id, NULL, NULL,
      jsonb_build_object('user_id', NEW.user_id, 'message_id', NEW.last_read_message_id,
                         'read_at', parley_ts(coalesce(NEW.last_read_at, now()))), NEW.user_id);
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER channel_members_notify
  AFTER INSERT OR UPDATE OR DELETE ON channel_members
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION parley_member_change();

CREATE FUNCTION parley_member_count() RETURNS trigger
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

CREATE TRIGGER channel_members_count
  AFTER INSERT OR DELETE ON channel_members
  FOR EACH ROW EXECUTE FUNCTION parley_member_count();

-- A read position written by SQL names a message; keep the seq used by unread counts in step.
CREATE FUNCTION parley_read_seq() RETURNS trigger
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

CREATE TRIGGER channel_members_read_seq
  BEFORE UPDATE OF last_read_message_id ON channel_members
  FOR EACH ROW EXECUTE FUNCTION parley_read_seq();

CREATE FUNCTION parley_channel_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_current channels;
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- Runs at commit, so the members added in the creating transaction are visible: they are the
    -- audience (their member_joined events follow this one).
    SELECT * INTO v_current FROM channels WHERE id = NEW.id;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    PERFORM parley_append_event('channel_created', NEW.id, NULL,
      coalesce((SELECT array_agg(user_id ORDER BY user_id) FROM channel_members WHERE channel_id = NEW.id), '{}'),
      parley_channel_json(v_current), NEW.id::text);
  ELSIF NEW.name IS DISTINCT FROM OLD.name OR NEW.description IS DISTINCT FROM OLD.description
     OR NEW.is_archived IS DISTINCT FROM OLD.is_archived OR NEW.type IS DISTINCT FROM OLD.type THEN
    PERFORM parley_append_event('channel_updated', NEW.id, NULL, NULL, parley_channel_json(NEW), NEW.id::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER channels_notify
  AFTER INSERT OR UPDATE ON channels
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION parley_channel_change();

CREATE FUNCTION parley_channel_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.name IS DISTINCT FROM OLD.name OR NEW.description IS DISTINCT FROM OLD.description
     OR NEW.is_archived IS DISTINCT FROM OLD.is_archived THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER channels_touch
  BEFORE UPDATE ON channels
  FOR EACH ROW EXECUTE FUNCTION parley_channel_touch();
