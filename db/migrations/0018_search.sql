-- Full-text search (GET /api/v1/search). Every message's text, as a tsvector kept by PostgreSQL
-- itself (a stored generated column: an edit recomputes it, a soft delete empties it, and a writer
-- with plain SQL gets it too), with a GIN index. What the text is indexed as, and why bigrams
-- rather than pg_trgm for scripts without spaces, is explained in db/live/search.sql, which holds
-- the current bodies of these two functions; they are created here as well because the column is
-- computed while this migration runs, before the live definitions are applied.
--
-- Adding a stored column rewrites channel_messages (an exclusive lock for as long as that takes:
-- about ten seconds per million messages on a small machine); plan the upgrade of a large
-- installation accordingly.
CREATE OR REPLACE FUNCTION parley_search_document(content text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  WITH cls AS (
    -- The gram scripts; the same class as parley_search_term below and GRAM_CHARS in src/chat/search-query.ts.
    SELECT '[\u0E00-\u0EFF\u1000-\u109F\u1100-\u11FF\u1780-\u17FF\u3040-\u30FF\u3130-\u318F\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uA960-\uA97F\uAC00-\uD7AF\uF900-\uFAFF\uFF66-\uFF9F\U00020000-\U0003FFFF\u2600-\u27BF\U0001F000-\U0001FAFF\u200D\uFE0F]' AS c
  )
  SELECT CASE WHEN content !~ cls.c THEN pg_catalog.to_tsvector('simple', content)
    ELSE pg_catalog.to_tsvector('simple', pg_catalog.regexp_replace(content, cls.c || '+', ' ', 'g')) || (
      -- Each character at its own position, with the pair it starts; a gap of one position between
      -- runs, so that no phrase spans two runs. Positions stop at PostgreSQL's maximum, 16383.
      SELECT coalesce(pg_catalog.string_agg('''' || ch || ''':' || pos
               || CASE WHEN nxt IS NULL THEN '' ELSE ' ''' || ch || nxt || ''':' || pos END, ' '), '')::tsvector
        FROM (
          SELECT ch, nxt, least(row_number() OVER (ORDER BY k, i) + k, 16383) AS pos
            FROM (
              SELECT r.k, c.i, c.ch, lead(c.ch) OVER (PARTITION BY r.k ORDER BY c.i) AS nxt
                FROM pg_catalog.regexp_matches(content, '(' || cls.c || '+)', 'g') WITH ORDINALITY r(m, k)
               CROSS JOIN LATERAL pg_catalog.unnest(pg_catalog.regexp_split_to_array(r.m[1], '')) WITH ORDINALITY c(ch, i)
            ) chars
        ) placed)
    END
    FROM cls
$fn$;

CREATE OR REPLACE FUNCTION parley_search_term(term text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  WITH cls AS (
    SELECT '[\u0E00-\u0EFF\u1000-\u109F\u1100-\u11FF\u1780-\u17FF\u3040-\u30FF\u3130-\u318F\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uA960-\uA97F\uAC00-\uD7AF\uF900-\uFAFF\uFF66-\uFF9F\U00020000-\U0003FFFF\u2600-\u27BF\U0001F000-\U0001FAFF\u200D\uFE0F]' AS c
  )
  SELECT pg_catalog.phraseto_tsquery('simple', pg_catalog.regexp_replace(term, cls.c || '+', ' ', 'g'))
      && coalesce((
        SELECT pg_catalog.string_agg('(' || q || ')', ' & ')
          FROM (
            SELECT CASE WHEN pg_catalog.cardinality(x.c) = 1 THEN '''' || x.c[1] || ''''
              ELSE (SELECT pg_catalog.string_agg('''' || x.c[i] || x.c[i + 1] || '''', ' <-> ' ORDER BY i)
                      FROM pg_catalog.generate_series(1, pg_catalog.cardinality(x.c) - 1) i) END AS q
              FROM pg_catalog.regexp_matches(term, '(' || cls.c || '+)', 'g') r(m)
             CROSS JOIN LATERAL (SELECT pg_catalog.regexp_split_to_array(r.m[1], '') AS c) x
          ) runs), '')::tsquery
    FROM cls
$fn$;

ALTER TABLE channel_messages
  ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (parley_search_document(content)) STORED;
CREATE INDEX channel_messages_search_idx ON channel_messages USING gin (search_tsv);
