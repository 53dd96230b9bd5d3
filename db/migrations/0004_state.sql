-- Small key/value facts about the log itself, e.g. the highest pos removed by retention, so that a
-- client resuming from before it can be told to reload (`reset`) instead of silently missing events.
CREATE TABLE parley_state (
  key   text PRIMARY KEY,
  value bigint NOT NULL
);
