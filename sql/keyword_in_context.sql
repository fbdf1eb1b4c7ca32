-- description: The sentences that mention an entity (or two entities together), with the article title, date and source file.
-- param: entity = NULL  -- any name: id, canonical or Albanian name, alias or inflected form (Putini, Shqipëria), any case (required)
-- param: partner = NULL  -- a second entity: only sentences with both (or, with unit_window=article, the entity's sentences in articles naming both). NULL for every sentence of entity
-- param: unit_window = sentence  -- sentence (both in one sentence) or article (both in one article)
-- param: top = 50  -- how many sentences, newest first
-- values: entity = entity
-- values: partner = entity
-- values: unit_window = sentence | article
-- values: top = integer
-- example: .venv/bin/kronika report keyword_in_context --param entity=NATO --param partner=Russia --param unit_window=article
-- example: .venv/bin/kronika report keyword_in_context --param entity=Putini --param partner=Trump
-- example (DuckDB CLI): .venv/bin/duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE entity = 'Ukraine'" -c ".read sql/keyword_in_context.sql"
WITH chosen AS (
    SELECT entity_id, 'entity' AS role FROM entities
    WHERE lower(getvariable('entity')::VARCHAR) IN (lower(entity_id), lower(name), lower(name_sq))
       OR entity_id IN (SELECT r.entity_id FROM entity_id_renames r  -- an id from before a rename
                     WHERE lower(r.old_entity_id) = lower(getvariable('entity')::VARCHAR))
    UNION ALL
    SELECT entity_id, 'partner' FROM entities
    WHERE lower(getvariable('partner')::VARCHAR) IN (lower(entity_id), lower(name), lower(name_sq))
       OR entity_id IN (SELECT r.entity_id FROM entity_id_renames r  -- an id from before a rename
                     WHERE lower(r.old_entity_id) = lower(getvariable('partner')::VARCHAR))
),
sentence_hits AS (  -- one row per sentence, with the roles found in it and the surfaces as written
    SELECT m.article_id, m.field, m.sentence_index,
           count(DISTINCT c.role) AS roles,
           bool_or(c.role = 'entity') AS has_entity,
           string_agg(DISTINCT m.surface, ', ' ORDER BY m.surface) AS surfaces
    FROM mentions m
    JOIN chosen c ON c.entity_id = m.entity_id
    WHERE m.sentence_index IS NOT NULL
    GROUP BY ALL
),
partner_articles AS (
    SELECT DISTINCT m.article_id FROM mentions m JOIN chosen c ON c.entity_id = m.entity_id WHERE c.role = 'partner'
),
newest AS (  -- rank and cut before any text is read: substring() walks the body up to its offset
    SELECT h.*, a.published_at
    FROM sentence_hits h
    JOIN articles a ON a.article_id = h.article_id
    WHERE CASE WHEN getvariable('partner') IS NULL THEN h.roles = 1
               WHEN coalesce(getvariable('unit_window'), 'sentence') = 'sentence' THEN h.roles = 2
               WHEN getvariable('unit_window') = 'article'
               THEN h.has_entity AND h.article_id IN (SELECT article_id FROM partner_articles)
               ELSE error('unit_window must be sentence or article') END
    ORDER BY a.published_at DESC NULLS LAST, h.article_id, h.field DESC, h.sentence_index
    LIMIT coalesce(getvariable('top'), 50)   -- a constant, so the planner knows this side is small
)
SELECT n.published_at, a.title, n.field, n.sentence_index, n.surfaces,
       substring(CASE n.field WHEN 'title' THEN a.title ELSE a.body END,
                 s.char_start + 1, s.char_end - s.char_start) AS sentence,
       a.source_path, a.article_id
FROM newest n
JOIN sentences s ON s.article_id = n.article_id AND s.field = n.field AND s.sentence_index = n.sentence_index
JOIN articles a ON a.article_id = n.article_id
ORDER BY n.published_at DESC NULLS LAST, n.article_id, n.field DESC, n.sentence_index
-- The LIMIT is always evaluated, so it is where a missing or unknown entity becomes an error that says so.
LIMIT (SELECT CASE WHEN getvariable('entity') IS NULL
                   THEN error('entity is required: --param entity=NAME (a name or an entity_id)')
                   WHEN count(*) FILTER (WHERE role = 'entity') = 0
                   THEN error('no entity named ' || getvariable('entity')::VARCHAR)
                   WHEN getvariable('partner') IS NOT NULL AND count(*) FILTER (WHERE role = 'partner') = 0
                   THEN error('no entity named ' || getvariable('partner')::VARCHAR)
                   ELSE coalesce(getvariable('top'), 50) END
       FROM chosen);
