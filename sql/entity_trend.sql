-- description: Mentions in the week or month containing a date against the period before it, per entity (one entity, or the biggest movers).
-- param: entity = NULL  -- any name: id, canonical or Albanian name, alias or inflected form (Putini, Shqipëria), any case; NULL ranks every linked entity by change
-- param: period = week  -- week (ISO, Monday to Sunday) or month
-- param: as_of = NULL  -- a date (YYYY-MM-DD) inside the current period; NULL for the newest article's date
-- param: top = 20  -- how many entities when entity is NULL
-- param: timezone = Europe/Tirane  -- the zone whose calendar decides an article's day
-- values: entity = entity
-- values: period = week | month
-- values: as_of = YYYY-MM-DD
-- values: top = integer
-- values: timezone = timezone
-- example: .venv/bin/kronika report entity_trend --param entity=Ukraine --param period=month --param as_of=2025-11-15
-- example (DuckDB CLI): .venv/bin/duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE period = 'month'; SET VARIABLE as_of = '2025-11-15'" -c ".read sql/entity_trend.sql"
WITH settings AS (
    SELECT CASE coalesce(getvariable('period'), 'week') WHEN 'week' THEN 'week' WHEN 'month' THEN 'month'
               ELSE error('period must be week or month') END AS period,
           coalesce(getvariable('as_of')::DATE,
                    (SELECT max(timezone(coalesce(getvariable('timezone'), 'Europe/Tirane'), published_at))::DATE
                     FROM articles)) AS as_of
),
bounds AS (
    SELECT period, as_of,
           date_trunc(period, as_of)::DATE AS current_start,
           (date_trunc(period, as_of) + CASE period WHEN 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END)::DATE
               AS current_end,
           (date_trunc(period, as_of) - CASE period WHEN 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END)::DATE
               AS previous_start
    FROM settings
),
chosen AS (
    SELECT entity_id, name, entity_type
    FROM entities
    WHERE (getvariable('entity') IS NULL AND linked)
       OR lower(getvariable('entity')::VARCHAR) IN (lower(entity_id), lower(name), lower(name_sq))
       OR entity_id IN (SELECT r.entity_id FROM entity_id_renames r  -- an id from before a rename
                     WHERE lower(r.old_entity_id) = lower(getvariable('entity')::VARCHAR))
),
dated AS (
    SELECT m.article_id, m.entity_id,
           timezone(coalesce(getvariable('timezone'), 'Europe/Tirane'), a.published_at)::DATE AS published_on
    FROM mentions m
    JOIN articles a ON a.article_id = m.article_id
    WHERE m.entity_id IN (SELECT entity_id FROM chosen)
),
counted AS (
    SELECT c.entity_id, c.name, c.entity_type, b.period, b.current_start,
           count(d.article_id) FILTER (WHERE d.published_on >= b.current_start) AS mentions_current,
           count(d.article_id) FILTER (WHERE d.published_on < b.current_start) AS mentions_previous,
           count(DISTINCT d.article_id) FILTER (WHERE d.published_on >= b.current_start) AS articles_current,
           count(DISTINCT d.article_id) FILTER (WHERE d.published_on < b.current_start) AS articles_previous
    FROM chosen c
    CROSS JOIN bounds b
    LEFT JOIN dated d
      ON d.entity_id = c.entity_id AND d.published_on >= b.previous_start AND d.published_on < b.current_end
    GROUP BY ALL
)
SELECT name AS entity, entity_type, period, current_start,
       mentions_current, mentions_previous, mentions_current - mentions_previous AS change,
       CASE WHEN mentions_previous > 0
            THEN round(100.0 * (mentions_current - mentions_previous) / mentions_previous, 1) END AS change_pct,
       articles_current, articles_previous
FROM counted
WHERE getvariable('entity') IS NOT NULL OR mentions_current + mentions_previous > 0
ORDER BY abs(mentions_current - mentions_previous) DESC, mentions_current DESC, entity
-- The LIMIT is always evaluated, so it is where an unknown entity becomes an error that says so.
LIMIT (SELECT CASE WHEN getvariable('entity') IS NULL THEN coalesce(getvariable('top'), 20)
                   WHEN count(*) = 0
                   THEN error('no entity named ' || getvariable('entity')::VARCHAR
                              || '; try kronika report top_entities or unlinked_candidates')
                   ELSE count(*) END
       FROM chosen);
