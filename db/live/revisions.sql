-- Revisions: the text a message had before an edit, a delete or an erasure, kept for moderators and
-- exports (never shown to users). Row triggers with a WHEN clause, so only edits and deletes pay for
-- them; a send never does. Any SQL writer's change is recorded, like the event log's.
-- The event log keeps, for its resume window, the message as it was sent: a client resuming from
-- before an edit or a delete would be replayed the old text. Its earlier events are rewritten to the
-- message as it is now (a deleted one: empty), so the old text is left only in message_revisions.
-- Bounded by the message's age on the channel's events; only edits and deletes pay for it.
CREATE OR REPLACE FUNCTION parley_scrub_logged(p_channel uuid, p_message uuid, p_since timestamptz, p_now jsonb)
RETURNS void
LANGUAGE sql AS $$
  UPDATE event_log e SET data = p_now
   WHERE e.channel_id = p_channel AND e.created_at >= p_since
     AND e.type IN ('new_message', 'message_updated', 'mention')
     AND e.data->>'id' = p_message::text;
  -- An offline notification that carries the text (PARLEY_NOTIFICATION_CONTENT) and is not yet
  -- delivered must not carry the text the author changed or took back either.
  UPDATE event_log e SET data = jsonb_set(e.data, '{content}', to_jsonb(coalesce(p_now->>'content', '')))
   WHERE e.channel_id = p_channel AND e.created_at >= p_since
     AND e.type = 'notification' AND e.data->>'message_id' = p_message::text AND e.data ? 'content';
$$;

CREATE OR REPLACE FUNCTION parley_message_revision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    INSERT INTO message_revisions (message_id, channel_id, user_id, kind, content, mentions, message_created_at)
    VALUES (OLD.id, OLD.channel_id, OLD.user_id,
            CASE
              -- Set by the erasure of a user (src/db/users.ts) for its own transaction.
              WHEN current_setting('parley.erasing', true) = 'on' THEN 'erase'
              WHEN NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN 'delete'
              ELSE 'edit'
            END,
            OLD.content, OLD.mentions, OLD.created_at);
    PERFORM parley_scrub_logged(OLD.channel_id, OLD.id, OLD.created_at, parley_message_json(NEW));
    RETURN NULL;
  END IF;
  -- A row DELETE by some SQL writer: the text is kept as a delete revision, unless the whole channel
  -- is going (its revisions go with it: the foreign key would refuse them anyway).
  IF NOT EXISTS (SELECT 1 FROM channels WHERE id = OLD.channel_id) THEN
    RETURN NULL;
  END IF;
  INSERT INTO message_revisions (message_id, channel_id, user_id, kind, content, mentions, message_created_at)
  VALUES (OLD.id, OLD.channel_id, OLD.user_id, 'delete', OLD.content, OLD.mentions, OLD.created_at);
  PERFORM parley_scrub_logged(OLD.channel_id, OLD.id, OLD.created_at,
    parley_message_json_with(OLD, NULL, NULL)
      || jsonb_build_object('content', '', 'mentions', '[]'::jsonb, 'deleted_at', parley_ts(now())));
  RETURN NULL;
END
$$;
