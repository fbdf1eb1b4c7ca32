-- description: The figures (amounts, percentages, counts, dates) stated in the same sentence as an entity, with the sentence they come from.
-- param: entity = NULL  -- canonical name, Albanian name or entity_id, any case; NULL for every entity
-- param: unit = NULL  -- one unit (e.g. USD, EUR, percent, count, date; see docs/figures.md); NULL for every unit
-- param: top = 50  -- how many figures, newest first
-- example: kronika report figures_by_entity --param entity=Russia --param unit=percent
-- example (DuckDB CLI): duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE entity = 'Albania'" -c ".read sql/figures_by_entity.sql"
SELECT fe.entity_name AS entity, fe.surface, fe.value, fe.value_text, fe.unit, fe.counted, fe.approximate,
       a.published_at, a.title,
       substring(CASE fe.field WHEN 'title' THEN a.title ELSE a.body END,
                 s.char_start + 1, s.char_end - s.char_start) AS sentence,
       a.source_path
FROM figure_entities fe
JOIN articles a ON a.article_id = fe.article_id
LEFT JOIN sentences s
  ON s.article_id = fe.article_id AND s.field = fe.field AND s.sentence_index = fe.sentence_index
WHERE (getvariable('entity') IS NULL
       OR lower(getvariable('entity')::VARCHAR) IN (lower(fe.entity_id), lower(fe.entity_name)))
  AND (getvariable('unit') IS NULL OR lower(fe.unit) = lower(getvariable('unit')::VARCHAR))
ORDER BY a.published_at DESC NULLS LAST, fe.article_id, fe.char_start, fe.entity_name
LIMIT coalesce(getvariable('top'), 50);
