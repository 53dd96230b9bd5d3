-- What a platform where adults teach minors needs from its chat: observers, blocks, bans, reports,
-- frozen channels and slow mode. (Audit, retention and export come in 0017.)

-- Observers (a parent, a safeguarding lead) read everything of a channel and write nothing.
ALTER TABLE channel_members DROP CONSTRAINT channel_members_role_check;
ALTER TABLE channel_members ADD CONSTRAINT channel_members_role_check
  CHECK (role IN ('owner', 'admin', 'member', 'tutor', 'student', 'observer'));

-- A frozen channel takes messages from moderators only; slow mode lets each other member send one
-- message per N seconds.
ALTER TABLE channels
  ADD COLUMN is_frozen boolean NOT NULL DEFAULT false,
  ADD COLUMN slow_mode_seconds integer NOT NULL DEFAULT 0 CHECK (slow_mode_seconds BETWEEN 0 AND 86400);

-- When each member last sent in a slow-mode channel (only those channels pay for it).
CREATE TABLE slow_mode_sends (
  channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  user_id    text NOT NULL,
  sent_at    timestamptz NOT NULL,
  PRIMARY KEY (channel_id, user_id)
);

-- A blocked user cannot open or write in a direct channel with the blocker, and the blocker gets
-- none of their typing.
CREATE TABLE user_blocks (
  blocker    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  blocked    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (blocker, blocked),
  CHECK (blocker <> blocked)
);
CREATE INDEX user_blocks_blocked_idx ON user_blocks (blocked);

-- A ban removes a member and keeps them out until `until` (null: for good).
CREATE TABLE channel_bans (
  channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  until      timestamptz,
  reason     text CHECK (char_length(reason) <= 1000),
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel_id, user_id)
);

-- Reports of messages, by members or by the contact-detail policy (reporter null), for review.
CREATE TABLE reports (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  message_id  uuid NOT NULL REFERENCES channel_messages (id) ON DELETE CASCADE,
  channel_id  uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  reporter    text,
  kind        text NOT NULL DEFAULT 'member' CHECK (kind IN ('member', 'contact_policy')),
  reason      text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 2000),
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  resolution  text CHECK (resolution IN ('dismiss', 'delete_message', 'ban_user')),
  resolved_by text,
  resolved_at timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reports_status_idx ON reports (status, created_at);
CREATE UNIQUE INDEX reports_once_idx ON reports (message_id, reporter) WHERE reporter IS NOT NULL;
