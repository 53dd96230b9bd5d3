-- A report is news for the host's moderators, not for the channel: message_reported goes into the
-- log (so webhooks get it, in order, never lost) with an empty audience, so no user stream gets it.
CREATE OR REPLACE FUNCTION parley_report_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_batch bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  v_batch := nextval('event_pending_batch_seq');
  INSERT INTO event_pending (batch, head, type, channel_id, target_user_ids, data, object_id)
  SELECT v_batch, row_number() OVER w = 1, 'message_reported', r.channel_id, '{}'::text[],
         jsonb_build_object('report_id', r.id, 'message_id', r.message_id, 'channel_id', r.channel_id,
                            'kind', r.kind, 'reporter', r.reporter, 'reason', r.reason,
                            'created_at', parley_ts(r.created_at)),
         r.id::text
    FROM new_rows r
  WINDOW w AS (ORDER BY r.created_at, r.id)
   ORDER BY r.created_at, r.id;
  RETURN NULL;
END
$$;
