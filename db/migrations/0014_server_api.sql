-- The host application's way in: server keys, token revocation, an audit of what keys do, system
-- messages, and the host's own data on channels.

-- Server keys: only a hash is kept (keys are 256-bit random, so a plain SHA-256 is enough).
CREATE TABLE server_keys (
  id           text PRIMARY KEY,
  name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  hash         bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
REVOKE ALL ON server_keys FROM PUBLIC;

-- Tokens of a user issued (iat) before `before` are refused; one row per user, the latest wins.
CREATE TABLE token_revocations (
  user_id    text PRIMARY KEY,
  before     timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX token_revocations_updated_idx ON token_revocations (updated_at);

-- Every server-key action (and, next, every moderation action), kept apart from the event log's
-- retention.
CREATE TABLE audit_log (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor      text NOT NULL,
  action     text NOT NULL,
  target     text,
  channel_id uuid,
  user_id    text,
  detail     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_channel_idx ON audit_log (channel_id, at) WHERE channel_id IS NOT NULL;
CREATE INDEX audit_log_user_idx ON audit_log (user_id, at) WHERE user_id IS NOT NULL;

ALTER TABLE channels ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'
  CHECK (jsonb_typeof(metadata) = 'object' AND pg_column_size(metadata) <= 16384);

-- A system message (the host's, "Lesson booked for Tuesday 16:00") has no author.
ALTER TABLE channel_messages ALTER COLUMN user_id DROP NOT NULL;

-- An erased user keeps a row (their messages still point at it), and nothing else.
ALTER TABLE users ADD COLUMN erased_at timestamptz;

-- A system message retried with the same client_id is one message, as a user's is.
CREATE UNIQUE INDEX channel_messages_system_client_id_idx ON channel_messages (channel_id, client_id)
  WHERE user_id IS NULL AND client_id IS NOT NULL;
