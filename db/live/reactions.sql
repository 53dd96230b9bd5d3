-- Reaction events, staged per statement like every durable event (db/live/event-log.sql). A
-- reaction whose message is gone (deleted with it) is not news: message_deleted says enough.
CREATE OR REPLACE FUNCTION notify_reaction_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_batch bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
      RETURN NULL;
    END IF;
    v_batch := nextval('event_pending_batch_seq');
    INSERT INTO event_pending (batch, head, type, channel_id, data, object_id, notify_channel)
    SELECT v_batch, row_number() OVER w = 1, 'message_reaction', m.channel_id,
           jsonb_build_object('message_id', r.message_id, 'user_id', r.user_id, 'emoji', r.emoji),
           r.message_id::text, 'message_reactions'
      FROM new_rows r JOIN channel_messages m ON m.id = r.message_id
    WINDOW w AS (ORDER BY r.created_at, r.message_id, r.emoji, r.user_id)
     ORDER BY r.created_at, r.message_id, r.emoji, r.user_id;
  ELSE
    IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
      RETURN NULL;
    END IF;
    v_batch := nextval('event_pending_batch_seq');
    INSERT INTO event_pending (batch, head, type, channel_id, data, object_id, notify_channel)
    SELECT v_batch, row_number() OVER w = 1, 'reaction_removed', m.channel_id,
           jsonb_build_object('message_id', r.message_id, 'user_id', r.user_id, 'emoji', r.emoji),
           r.message_id::text, 'message_reactions'
      FROM old_rows r JOIN channel_messages m ON m.id = r.message_id
    WINDOW w AS (ORDER BY r.created_at, r.message_id, r.emoji, r.user_id)
     ORDER BY r.created_at, r.message_id, r.emoji, r.user_id;
  END IF;
  RETURN NULL;
END
$$;
