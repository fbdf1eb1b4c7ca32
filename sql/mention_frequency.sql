-- description: Mentions and distinct articles per entity per day, ISO week or month, for the most mentioned entities, with filters by type, language, section, outlet and entity.
-- param: period = week  -- day, week (ISO, starting Monday) or month
-- param: entity = NULL  -- one entity by any name: id, canonical or Albanian name, alias or inflected form (Putini, Shqipëria), any case; NULL for the top entities
-- param: entity_type = NULL  -- PERSON, ORG, GPE, LOC, EVENT or OTHER; NULL for every type
-- param: body_language = NULL  -- en, sq, ...; NULL for every language
-- param: section_norm = NULL  -- opinion, world, politics, ...; NULL for every section
-- param: outlet = NULL  -- the outlet as stored (any case); NULL for every outlet
-- param: top = 10  -- how many entities (the most mentioned under the filters)
-- param: timezone = Europe/Tirane  -- the zone whose calendar decides an article's day
-- values: period = day | week | month
-- values: entity = entity
-- values: entity_type = entity_type
-- values: body_language = language
-- values: top = integer
-- values: timezone = timezone
-- example: .venv/bin/kronika report mention_frequency --param period=month --param entity_type=GPE --param body_language=sq
-- example (DuckDB CLI): .venv/bin/duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE period = 'day'; SET VARIABLE entity = 'Ukraine'" -c ".read sql/mention_frequency.sql"
WITH filtered AS (
    SELECT m.article_id, m.entity_id, e.name AS entity, e.entity_type,
           CASE coalesce(getvariable('period'), 'week')
               WHEN 'day' THEN timezone(coalesce(getvariable('timezone'), 'Europe/Tirane'), a.published_at)::DATE
               WHEN 'week' THEN date_trunc('week', timezone(coalesce(getvariable('timezone'), 'Europe/Tirane'), a.published_at))::DATE
               WHEN 'month' THEN date_trunc('month', timezone(coalesce(getvariable('timezone'), 'Europe/Tirane'), a.published_at))::DATE
               ELSE error('period must be day, week or month') END AS period_start
    FROM mentions m
    JOIN entities e ON e.entity_id = m.entity_id
    JOIN articles a ON a.article_id = m.article_id
    WHERE a.published_at IS NOT NULL
      AND (getvariable('entity') IS NULL
           OR lower(getvariable('entity')::VARCHAR) IN (lower(e.entity_id), lower(e.name), lower(e.name_sq))
           OR e.entity_id IN (SELECT r.entity_id FROM entity_id_renames r  -- an id from before a rename
                              WHERE lower(r.old_entity_id) = lower(getvariable('entity')::VARCHAR)))
      AND (getvariable('entity') IS NOT NULL OR e.linked)
      AND (getvariable('entity_type') IS NULL OR e.entity_type = upper(getvariable('entity_type')::VARCHAR))
      AND (getvariable('body_language') IS NULL OR a.body_language = lower(getvariable('body_language')::VARCHAR))
      AND (getvariable('section_norm') IS NULL OR a.section_norm = lower(getvariable('section_norm')::VARCHAR))
      AND (getvariable('outlet') IS NULL OR lower(a.outlet) = lower(getvariable('outlet')::VARCHAR))
),
top_entities AS (
    SELECT entity_id, count(*) AS total_mentions
    FROM filtered GROUP BY entity_id
    ORDER BY total_mentions DESC, entity_id
    LIMIT coalesce(getvariable('top'), 10)
)
SELECT f.period_start,
       CASE coalesce(getvariable('period'), 'week')
           WHEN 'day' THEN strftime(f.period_start, '%Y-%m-%d')
           WHEN 'week' THEN strftime(f.period_start, '%G-W%V')
           ELSE strftime(f.period_start, '%Y-%m') END AS period,
       f.entity, f.entity_type,
       count(*) AS mentions,
       count(DISTINCT f.article_id) AS articles
FROM filtered f
JOIN top_entities t USING (entity_id)
GROUP BY f.period_start, f.entity_id, f.entity, f.entity_type, t.total_mentions
ORDER BY f.period_start, t.total_mentions DESC, f.entity;
