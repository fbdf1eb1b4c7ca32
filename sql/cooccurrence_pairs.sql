-- materialize: report_cooccurrence_pairs
-- description: Entity pairs mentioned together in the same sentence and in the same article, most frequent first.
-- param: min_articles = 1  -- pairs seen in fewer articles are left out
-- param: top = 20  -- how many rows
-- values: min_articles = integer
-- values: top = integer
-- example: .venv/bin/kronika report cooccurrence_pairs --param min_articles=2
-- example (DuckDB CLI): .venv/bin/duckdb -readonly warehouse/kronika.duckdb -c ".read sql/cooccurrence_pairs.sql"
--
-- The self-joins run on integers (article and entity numbers, a sentence key packed as in entity_pairs.sql),
-- not on VARCHAR ids.
WITH article_numbers AS (
    SELECT article_id, row_number() OVER () AS article_number FROM articles
),
linked_entities AS (  -- numbered in entity_id order, so a_number < b_number is entity_a_id < entity_b_id
    SELECT entity_id, name, row_number() OVER (ORDER BY entity_id) AS entity_number FROM entities WHERE linked
),
linked AS (  -- sentence_key is NULL when the sentence is unknown, so such mentions only count for articles
    SELECT DISTINCT an.article_number,
           an.article_number * 16777216 + CASE WHEN m.field = 'title' THEN 8388608 ELSE 0 END + m.sentence_index
               AS sentence_key,
           le.entity_number
    FROM mentions m
    JOIN linked_entities le ON le.entity_id = m.entity_id
    JOIN article_numbers an ON an.article_id = m.article_id
),
sentence_pairs AS (
    SELECT a.entity_number AS a_number, b.entity_number AS b_number, count(*) AS sentences
    FROM linked a JOIN linked b ON a.sentence_key = b.sentence_key AND a.entity_number < b.entity_number
    GROUP BY ALL
),
article_entities AS (SELECT DISTINCT article_number, entity_number FROM linked),
article_pairs AS (
    SELECT a.entity_number AS a_number, b.entity_number AS b_number, count(*) AS articles
    FROM article_entities a JOIN article_entities b
      ON a.article_number = b.article_number AND a.entity_number < b.entity_number
    GROUP BY ALL
)
SELECT ea.name AS entity_a, eb.name AS entity_b,
       coalesce(s.sentences, 0) AS same_sentence,
       p.articles AS same_article
FROM article_pairs p
LEFT JOIN sentence_pairs s USING (a_number, b_number)
JOIN linked_entities ea ON ea.entity_number = p.a_number
JOIN linked_entities eb ON eb.entity_number = p.b_number
WHERE p.articles >= coalesce(getvariable('min_articles'), 1)
ORDER BY same_sentence DESC, same_article DESC, entity_a, entity_b
LIMIT coalesce(getvariable('top'), 20);
