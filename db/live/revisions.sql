-- Revisions: the text a message had before an edit, a delete or an erasure, kept for moderators and
-- exports (never shown to users). Row triggers with a WHEN clause, so only edits and deletes pay for
-- them; a send never does. Any SQL writer's change is recorded, like the event log's.
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
    RETURN NULL;
  END IF;
  -- A row DELETE by some SQL writer: the text is kept as a delete revision, unless the whole channel
  -- is going (its revisions go with it: the foreign key would refuse them anyway).
  IF NOT EXISTS (SELECT 1 FROM channels WHERE id = OLD.channel_id) THEN
    RETURN NULL;
  END IF;
  INSERT INTO message_revisions (message_id, channel_id, user_id, kind, content, mentions, message_created_at)
  VALUES (OLD.id, OLD.channel_id, OLD.user_id, 'delete', OLD.content, OLD.mentions, OLD.created_at);
  RETURN NULL;
END
$$;
