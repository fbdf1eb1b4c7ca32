-- materialize: report_top_entities
-- description: Entities ranked by mentions and by distinct articles, with their type and first/last date.
-- param: entity_type = NULL  -- PERSON, ORG, GPE, LOC, EVENT or OTHER; NULL for every type
-- param: top = 20  -- how many rows
-- values: entity_type = entity_type
-- values: top = integer
-- example: .venv/bin/kronika report top_entities --param entity_type=PERSON --param top=10
-- example (DuckDB CLI): .venv/bin/duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE entity_type = 'PERSON'" -c ".read sql/top_entities.sql"
SELECT
    e.name,
    e.entity_type,
    count(*) AS mentions,
    count(DISTINCT m.article_id) AS articles,
    min(a.published_at)::DATE AS first_seen,
    max(a.published_at)::DATE AS last_seen
FROM mentions m
JOIN entities e USING (entity_id)
JOIN articles a USING (article_id)
WHERE e.linked
  AND (getvariable('entity_type') IS NULL OR e.entity_type = getvariable('entity_type'))
GROUP BY e.name, e.entity_type
ORDER BY mentions DESC, articles DESC, e.name
LIMIT coalesce(getvariable('top'), 20);
