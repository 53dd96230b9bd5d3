-- One path for every durable event, and notifications PostgreSQL vouches for.
--
-- Until now reactions, memberships, read receipts and channels appended their events row by row at
-- commit (parley_append_event) and sent an empty notification that made every node read the log;
-- messages were staged per statement and flushed with their events in the notification. Now every
-- table stages its events per statement into event_pending and the one flush (db/live) moves them
-- into the log at commit: membership events carry their subject, so they travel inline too.
--
-- Notifications on parley_events are signed with a key only Parley's role can read: PostgreSQL
-- lets any login NOTIFY any channel, so a node believes a notification only if its HMAC verifies.
-- The key is 32 random bytes; the flush needs it padded for HMAC-SHA256 (block size 64), which SQL
-- cannot XOR cheaply at every commit, so the inner and outer padded keys are kept beside it.

ALTER TABLE event_pending ADD COLUMN subject_user_id text;

CREATE TABLE parley_keys (
  name       text PRIMARY KEY,
  key        bytea NOT NULL CHECK (octet_length(key) = 32),
  ipad       bytea NOT NULL,
  opad       bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON parley_keys FROM PUBLIC;

DO $$
DECLARE
  -- gen_random_uuid() is core PostgreSQL (13+) and cryptographically random: two of them give
  -- 244 random bits, without requiring pgcrypto.
  v_key bytea := decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex');
  v_block bytea := v_key || decode(repeat('00', 32), 'hex');
  v_ipad bytea := v_block;
  v_opad bytea := v_block;
BEGIN
  FOR i IN 0..63 LOOP
    v_ipad := set_byte(v_ipad, i, get_byte(v_block, i) # 54);  -- 0x36
    v_opad := set_byte(v_opad, i, get_byte(v_block, i) # 92);  -- 0x5c
  END LOOP;
  INSERT INTO parley_keys (name, key, ipad, opad) VALUES ('notify', v_key, v_ipad, v_opad);
END
$$;

-- The row triggers of the old path; their statement-level successors are in db/live/triggers.sql.
DROP TRIGGER message_reactions_notify ON message_reactions;
DROP TRIGGER channel_members_notify ON channel_members;
DROP TRIGGER channels_notify ON channels;
DROP FUNCTION parley_append_event(text, uuid, text, text[], jsonb, text);
DROP FUNCTION notify_reaction_change();
DROP FUNCTION parley_member_change();
DROP FUNCTION parley_channel_change();
