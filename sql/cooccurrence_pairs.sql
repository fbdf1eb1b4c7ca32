-- materialize: report_cooccurrence_pairs
-- description: Entity pairs mentioned together in the same sentence and in the same article, most frequent first.
-- param: min_articles = 1  -- pairs seen in fewer articles are left out
-- param: top = 20  -- how many rows
-- example: kronika report cooccurrence_pairs --param min_articles=2
-- example (DuckDB CLI): duckdb -readonly warehouse/kronika.duckdb -c ".read sql/cooccurrence_pairs.sql"
WITH linked AS (
    SELECT DISTINCT m.article_id, m.field, m.sentence_index, m.entity_id
    FROM mentions m JOIN entities e USING (entity_id)
    WHERE e.linked
),
sentence_pairs AS (
    SELECT a.entity_id AS entity_a, b.entity_id AS entity_b, count(*) AS sentences
    FROM linked a JOIN linked b
      ON a.article_id = b.article_id AND a.field = b.field AND a.sentence_index = b.sentence_index
     AND a.entity_id < b.entity_id
    GROUP BY ALL
),
article_entities AS (SELECT DISTINCT article_id, entity_id FROM linked),
article_pairs AS (
    SELECT a.entity_id AS entity_a, b.entity_id AS entity_b, count(*) AS articles
    FROM article_entities a JOIN article_entities b
      ON a.article_id = b.article_id AND a.entity_id < b.entity_id
    GROUP BY ALL
)
SELECT ea.name AS entity_a, eb.name AS entity_b,
       coalesce(s.sentences, 0) AS same_sentence,
       p.articles AS same_article
FROM article_pairs p
LEFT JOIN sentence_pairs s USING (entity_a, entity_b)
JOIN entities ea ON ea.entity_id = p.entity_a
JOIN entities eb ON eb.entity_id = p.entity_b
WHERE p.articles >= coalesce(getvariable('min_articles'), 1)
ORDER BY same_sentence DESC, same_article DESC, entity_a, entity_b
LIMIT coalesce(getvariable('top'), 20);
