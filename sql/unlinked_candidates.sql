-- description: Names found outside the gazetteer (entities.linked = false), most frequent first, with their spellings, one example sentence and the command that promotes each to the gazetteer (docs/curation.md).
-- param: min_articles = 1  -- candidates seen in fewer articles are left out
-- param: top = 50  -- how many rows
-- values: min_articles = integer
-- values: top = integer
-- example: .venv/bin/kronika report unlinked_candidates --param min_articles=2 --param top=100
-- example (DuckDB CLI): .venv/bin/duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE min_articles = 2" -c ".read sql/unlinked_candidates.sql"
WITH candidate_mentions AS (
    SELECT m.*, e.name, e.entity_type
    FROM mentions m JOIN entities e ON e.entity_id = m.entity_id
    WHERE NOT e.linked
),
ranked AS (
    SELECT entity_id, name, entity_type,
           count(*) AS mentions,
           count(DISTINCT article_id) AS articles,
           string_agg(DISTINCT surface, ' | ' ORDER BY surface) AS surfaces,
           -- the first mention in the earliest article, to read the name in context
           arg_min(struct_pack(article_id, field, sentence_index), (article_id, field, char_start)) AS example
    FROM candidate_mentions
    GROUP BY ALL
),
top_candidates AS (  -- rank and cut before any text is read: substring() walks the body up to its offset
    SELECT * FROM ranked
    WHERE articles >= coalesce(getvariable('min_articles'), 1)
    ORDER BY articles DESC, mentions DESC, name
    LIMIT coalesce(getvariable('top'), 50)
)
SELECT r.name, r.entity_type, r.mentions, r.articles, r.surfaces,
       substring(CASE r.example.field WHEN 'title' THEN a.title ELSE a.body END,
                 s.char_start + 1, s.char_end - s.char_start) AS example_sentence,
       a.source_path AS example_source, r.entity_id,
       -- cand: keys are [a-z0-9_:] only, so the command needs no quoting
       'kronika entities promote ' || r.entity_id || coalesce(' --type ' || r.entity_type, '') AS promote_command
FROM top_candidates r
JOIN articles a ON a.article_id = r.example.article_id
LEFT JOIN sentences s ON s.article_id = r.example.article_id AND s.field = r.example.field
                     AND s.sentence_index = r.example.sentence_index
ORDER BY r.articles DESC, r.mentions DESC, r.name;
