-- Attachments, v1.1: what an upload is (its hash, an image's size and thumbnail), when it was
-- attached, and a place for the bytes when PARLEY_STORAGE=postgres.
--
-- The table itself is 0001's: uploader, message (ON DELETE SET NULL), name, sniffed type, size and
-- storage key. attached_at tells apart an upload never attached (deleted after PARLEY_UPLOAD_TTL)
-- from one whose message row is gone (retention's hard delete set message_id to null): both have
-- message_id null, and the sweeper removes the bytes of both. An upload is attached once: the link
-- requires attached_at to be null, so a file whose message is gone cannot be attached again.
ALTER TABLE attachments
  ADD COLUMN sha256          text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  ADD COLUMN width           integer CHECK (width > 0),
  ADD COLUMN height          integer CHECK (height > 0),
  ADD COLUMN thumbnail_key   text,
  ADD COLUMN thumbnail_type  text,
  ADD COLUMN thumbnail_size  bigint CHECK (thumbnail_size >= 0),
  ADD COLUMN attached_at     timestamptz;

-- Rows linked before this migration were attached when they were made.
UPDATE attachments SET attached_at = created_at WHERE message_id IS NOT NULL;

-- The sweeper's two questions, each an index scan over the few rows that need an answer.
CREATE INDEX attachments_unattached_idx ON attachments (created_at) WHERE message_id IS NULL AND attached_at IS NULL;
CREATE INDEX attachments_detached_idx ON attachments (attached_at) WHERE message_id IS NULL AND attached_at IS NOT NULL;
CREATE INDEX attachments_uploader_idx ON attachments (uploader_id);

-- PARLEY_STORAGE=postgres: a file's bytes in chunks of at most 256 KiB, so any node serves any
-- file, a backup holds everything, and no row is huge (a range request reads only the chunks it
-- covers). Keyed by storage key, not by attachment: chunks are written while the upload streams,
-- before its row exists, and a row only ever names a key whose chunks are all written.
CREATE TABLE attachment_chunks (
  storage_key text NOT NULL,
  n           integer NOT NULL CHECK (n >= 0),
  -- Where this chunk starts in the file, so a range finds its first chunk without summing.
  start_at    bigint NOT NULL CHECK (start_at >= 0),
  bytes       bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (storage_key, n)
);
-- bytea is compressed by TOAST by default; uploads are mostly compressed already (images, video,
-- archives), so compressing them again costs CPU for nothing.
ALTER TABLE attachment_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- The sweeper asks, of each chunk key with no row, whether a row names it.
CREATE INDEX attachments_storage_key_idx ON attachments (storage_key);
