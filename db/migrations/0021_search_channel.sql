-- Search: the message's channel inside its indexed vector, as one lexeme ('#<channel id>'), so that
-- GIN itself intersects a term's posting list with the caller's channels. With the channel outside
-- the vector (0018), PostgreSQL built a bitmap of every message holding the term in any channel and
-- intersected it with the channel index: a common word, in 110,390 of 1,000,000 messages, cost a
-- 110,390-entry bitmap to find the 1,190 in the caller's 10 channels. GIN scans the smaller side
-- and skips through the other (the channels' 10,000 entries, or the rare word's few).
--
-- No parser output can start with '#' (the `simple` configuration's parser treats it as a
-- separator) and no gram character is '#', so no searched term can match a channel lexeme. The
-- query still checks channel_id itself (src/db/search.ts): the lexeme narrows, it does not decide.
--
-- Rewrites channel_messages once more (a stored column is recomputed), like 0018.
ALTER TABLE channel_messages DROP COLUMN search_tsv;
ALTER TABLE channel_messages
  ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
    parley_search_document(content) || array_to_tsvector(ARRAY['#' || channel_id::text])
  ) STORED;
CREATE INDEX channel_messages_search_idx ON channel_messages USING gin (search_tsv);
