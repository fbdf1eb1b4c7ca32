-- description: Names found outside the gazetteer (entities.linked = false), most frequent first, with their spellings, one example sentence and the command that promotes each to the gazetteer (docs/curation.md).
-- param: min_articles = 1  -- candidates seen in fewer articles are left out
-- param: top = 50  -- how many rows
-- values: min_articles = integer
-- values: top = integer
-- example: .venv/bin/kronika report unlinked_candidates --param min_articles=2 --param top=100
-- example (DuckDB CLI): .venv/bin/duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE min_articles = 2" -c ".read sql/unlinked_candidates.sql"
WITH candidate_counts AS (  -- rank on counts alone: the spellings and the example are gathered for the chosen few
    SELECT m.entity_id, e.name, e.entity_type, count(*) AS mentions, count(DISTINCT m.article_id) AS articles
    FROM mentions m JOIN entities e ON e.entity_id = m.entity_id
    WHERE NOT e.linked
    GROUP BY ALL
),
top_counts AS (
    SELECT * FROM candidate_counts
    WHERE articles >= coalesce(getvariable('min_articles'), 1)
    ORDER BY articles DESC, mentions DESC, name
    LIMIT coalesce(getvariable('top'), 50)
),
top_candidates AS (  -- before any text is read: substring() walks the body up to its offset
    SELECT t.entity_id, t.name, t.entity_type, t.mentions, t.articles,
           string_agg(DISTINCT m.surface, ' | ' ORDER BY m.surface) AS surfaces,
           -- the first mention in the earliest article, to read the name in context
           arg_min(struct_pack(m.article_id, m.field, m.sentence_index), (m.article_id, m.field, m.char_start)) AS example
    FROM top_counts t JOIN mentions m ON m.entity_id = t.entity_id
    GROUP BY ALL
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
