-- Retention, legal hold, and the revisions of messages that moderators and exports see (never users).

-- The text a message had before an edit, a delete or an erasure, written by triggers
-- (db/live/revisions.sql) whoever changes the row. No foreign key to the message: a revision must
-- outlive a DELETE of its message row by any SQL writer; retention removes it with its message.
CREATE TABLE message_revisions (
  id                 bigserial PRIMARY KEY,
  message_id         uuid NOT NULL,
  channel_id         uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  user_id            text,
  kind               text NOT NULL CHECK (kind IN ('edit', 'delete', 'erase')),
  content            text NOT NULL,
  mentions           text[] NOT NULL DEFAULT '{}',
  message_created_at timestamptz NOT NULL,
  recorded_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX message_revisions_message_idx ON message_revisions (message_id, id);
CREATE INDEX message_revisions_channel_idx ON message_revisions (channel_id, id);
CREATE INDEX message_revisions_user_idx ON message_revisions (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX message_revisions_age_idx ON message_revisions USING brin (message_created_at);

-- A channel under legal hold is kept whatever the retention, and an erasure keeps the original
-- text of its messages (in revisions). Who placed it, when and why.
CREATE TABLE channel_holds (
  channel_id uuid PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
  reason     text CHECK (char_length(reason) <= 1000),
  held_by    text NOT NULL,
  held_at    timestamptz NOT NULL DEFAULT now()
);

-- Retention finds old messages by age. BRIN, not a B-tree: messages arrive in time order, so the
-- index is a few pages and costs an insert almost nothing.
CREATE INDEX channel_messages_created_brin ON channel_messages USING brin (created_at);

-- Deleting a message (retention, a channel's deletion) cascades to its reports: without an index on
-- message_id each deleted message scanned the whole reports table.
CREATE INDEX reports_message_idx ON reports (message_id);
