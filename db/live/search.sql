-- Search: what a message's text is indexed as, and what a searched term is looked up as. One
-- tokenisation for both, so a term finds exactly the messages whose text holds it.
--
-- Words: the `simple` configuration (lower case, no stemming, no stop words). Stemming is one
-- language's rule (English "lessons" → "lesson" would be wrong for the Spanish, Polish or Turkish
-- the same platform carries), and stop words would make "to be or not" unsearchable; `simple`
-- works the same for every language written with spaces.
--
-- Scripts written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar), Hangul (Korean
-- words carry their particles: 학교에서 is "at school") and emoji are indexed as every character
-- and every pair of neighbouring characters (unigrams and bigrams, positioned, so a longer term is
-- the phrase of its bigrams: 数学课 = '数学' <-> '学课'). A 1- or 2-character word such as 数学 is an
-- exact index lookup, not a scan. Why not pg_trgm: on a database whose locale is C (the embedded
-- PostgreSQL is initialised with --locale=C, and many servers are), pg_trgm extracts no trigram at
-- all from non-ASCII text (show_trgm('数学课') = {}), so its index would find no Chinese, Thai or
-- Japanese there; and trigrams need 3 characters where most Chinese words have 2. The bigrams below
-- are built from code points by regular expressions, which behave the same under every locale.
--
-- parley_search_document is the expression of the stored column channel_messages.search_tsv
-- (migration 0018). It calls only pg_catalog functions (restores run with an empty search_path).
-- Changing what it returns needs a migration that recomputes the column for the rows already
-- stored; a changed body here alone only applies to rows written or edited afterwards.
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

-- One searched term (a word, or a quoted phrase) as a tsquery that matches the documents above
-- holding it: its words as a phrase, and each run of gram characters as the phrase of its bigrams
-- (a single character: its unigram). Empty when the term holds nothing searchable.
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
