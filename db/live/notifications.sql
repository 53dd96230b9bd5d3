-- An offline notification is news for the host's backend (it sends the e-mail or push), not for any
-- stream: like message_reported it goes into the log (webhooks get it, in order, never lost) with an
-- empty audience, so no user stream and no replay sends it.
CREATE OR REPLACE FUNCTION parley_notification_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_batch bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  v_batch := nextval('event_pending_batch_seq');
  INSERT INTO event_pending (batch, head, type, channel_id, target_user_ids, data, object_id)
  SELECT v_batch, row_number() OVER w = 1, 'notification', n.channel_id, '{}'::text[],
         jsonb_build_object('user_id', n.user_id, 'channel_id', n.channel_id, 'message_id', n.message_id,
                            'reason', n.reason)
           || CASE WHEN n.with_content THEN jsonb_build_object('content', m.content) ELSE '{}'::jsonb END,
         n.message_id::text
    FROM new_rows n JOIN channel_messages m ON m.id = n.message_id
  WINDOW w AS (ORDER BY m.seq, n.user_id)
   ORDER BY m.seq, n.user_id;
  RETURN NULL;
END
$$;
