-- description: The figures (amounts, percentages, counts, dates) stated in the same sentence as an entity, with the sentence they come from.
-- param: entity = NULL  -- any name: id, canonical or Albanian name, alias or inflected form (Putini, Shqipëria), any case; NULL for every entity
-- param: unit = NULL  -- one unit (e.g. USD, EUR, percent, count, date; see docs/figures.md); NULL for every unit
-- param: top = 50  -- how many figures, newest first
-- values: entity = entity
-- values: top = integer
-- example: .venv/bin/kronika report figures_by_entity --param entity=Russia --param unit=percent
-- example (DuckDB CLI): .venv/bin/duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE entity = 'Albania'" -c ".read sql/figures_by_entity.sql"
--
-- Reads figure_entity_links (the table behind the figure_entities view) so the entity filter applies before
-- the join with figures, and cuts sentences out of the article text only for the rows it returns.
WITH chosen AS (
    SELECT entity_id, name FROM entities
    WHERE getvariable('entity') IS NULL
       OR lower(getvariable('entity')::VARCHAR) IN (lower(entity_id), lower(name))
       OR entity_id IN (SELECT r.entity_id FROM entity_id_renames r  -- an id from before a rename
                     WHERE lower(r.old_entity_id) = lower(getvariable('entity')::VARCHAR))
),
hits AS (
    SELECT c.name AS entity, f.surface, f.value, f.value_text, f.unit, f.counted, f.approximate,
           f.article_id, f.field, f.sentence_index, f.char_start
    FROM figure_entity_links l
    JOIN chosen c ON c.entity_id = l.entity_id
    JOIN figures f ON f.article_id = l.article_id AND f.field = l.field AND f.char_start = l.figure_char_start
    WHERE getvariable('unit') IS NULL OR lower(f.unit) = lower(getvariable('unit')::VARCHAR)
),
newest AS (
    SELECT h.*, a.published_at
    FROM hits h JOIN articles a ON a.article_id = h.article_id
    ORDER BY a.published_at DESC NULLS LAST, h.article_id, h.char_start, h.entity
    LIMIT coalesce(getvariable('top'), 50)
)
SELECT n.entity, n.surface, n.value, n.value_text, n.unit, n.counted, n.approximate, n.published_at, a.title,
       substring(CASE n.field WHEN 'title' THEN a.title ELSE a.body END,
                 s.char_start + 1, s.char_end - s.char_start) AS sentence,
       a.source_path
FROM newest n
JOIN articles a ON a.article_id = n.article_id
LEFT JOIN sentences s
  ON s.article_id = n.article_id AND s.field = n.field AND s.sentence_index = n.sentence_index
ORDER BY n.published_at DESC NULLS LAST, n.article_id, n.char_start, n.entity;
