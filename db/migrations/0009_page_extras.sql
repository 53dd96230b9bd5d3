-- A page's attachments and reactions in one pass per table.
--
-- History and thread pages joined parley_message_extras(m.id) LATERAL: two subplans per message, each
-- an index scan, a sort and an aggregate started anew, ~200 of a page's ~400 buffer visits even when
-- the page has no reactions at all. This takes the page's ids at once: one index scan per table
-- over all of them, grouped by message. A SQL function with one SELECT, so the planner inlines it
-- where it is joined LATERAL to an array of ids. The shapes are parley_message_extras' (0006); a
-- test holds a page equal to each message's own JSON.
CREATE FUNCTION parley_page_extras(p_ids uuid[]) RETURNS TABLE (message_id uuid, attachments jsonb, reactions jsonb)
LANGUAGE sql STABLE ROWS 50 AS $$
  SELECT coalesce(a.message_id, r.message_id), a.j, r.j
    FROM (SELECT a.message_id, jsonb_agg(parley_attachment_json(a) ORDER BY a.created_at, a.id) AS j
            FROM attachments a WHERE a.message_id = ANY (p_ids) GROUP BY a.message_id) a
    FULL JOIN (
      SELECT g.message_id, jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n, 'user_ids', to_jsonb(g.users))
                                     ORDER BY g.first_at, g.emoji) AS j
        FROM (SELECT message_id, emoji, count(*) AS n, array_agg(user_id ORDER BY created_at, user_id) AS users,
                     min(created_at) AS first_at
                FROM message_reactions WHERE message_id = ANY (p_ids) GROUP BY message_id, emoji) g
       GROUP BY g.message_id) r ON r.message_id = a.message_id
$$;
