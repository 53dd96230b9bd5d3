-- Webhooks (Standard Webhooks) and offline notifications.

-- An endpoint reads the event log after its own durable cursor: the last pos it acknowledged (or
-- skipped: filtered out, or pruned before it could be delivered). The attempt state of the event
-- after the cursor is kept here too, so a node that takes over keeps the backoff where it was.
-- One node delivers to an endpoint at a time: it holds the lease (lease_owner until lease_until)
-- and every write of the cursor is fenced by it, so a node that lost the lease changes nothing.
CREATE TABLE webhook_endpoints (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url             text NOT NULL CHECK (char_length(url) <= 2048),
  -- null: every durable event.
  events          text[],
  -- whsec_<base64>; the receiver needs it to verify, so it is kept as is (like any API secret).
  secret          text NOT NULL,
  -- 'env': the one configured by PARLEY_WEBHOOK_URL (upserted at start); 'api': the server API's.
  source          text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'env')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  cursor_pos      bigint NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_attempt_at timestamptz,
  last_status     integer,
  last_error      text,
  last_success_at timestamptz,
  -- Set when events were pruned from the log before they could be delivered; cleared by the next
  -- acknowledged delivery. skipped_events counts the positions lost that way, ever.
  failing         boolean NOT NULL DEFAULT false,
  failing_since   timestamptz,
  skipped_events  bigint NOT NULL DEFAULT 0,
  lease_owner     text,
  lease_until     timestamptz
);
CREATE UNIQUE INDEX webhook_endpoints_env_idx ON webhook_endpoints (source) WHERE source = 'env';

-- One row per offline notification ever written: the primary key is what makes the job idempotent
-- across nodes and restarts (a user is told of a message once). The text itself is not copied here:
-- the trigger (db/live/notifications.sql) reads it from the message when with_content is set.
CREATE TABLE notifications (
  user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  message_id   uuid NOT NULL REFERENCES channel_messages (id) ON DELETE CASCADE,
  channel_id   uuid NOT NULL,
  reason       text NOT NULL CHECK (reason IN ('mention', 'direct', 'reply')),
  with_content boolean NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, message_id)
);
CREATE INDEX notifications_message_idx ON notifications (message_id);

-- The notification job reads the log after this pos (commit order, so nothing is passed over):
-- messages from before this migration are never notified.
INSERT INTO parley_state (key, value)
SELECT 'notified_through', coalesce(max(pos), 0) FROM event_log
ON CONFLICT (key) DO NOTHING;
