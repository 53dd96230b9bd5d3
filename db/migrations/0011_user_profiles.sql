-- Users carry a name and an avatar wherever a client shows a user id (GET /users?ids=), and the
-- host application's own data about them (the server API's user upsert).
ALTER TABLE users
  ADD COLUMN avatar_url text CHECK (char_length(avatar_url) <= 2000),
  ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object' AND pg_column_size(metadata) <= 16384);
