-- description: An entity's strongest partners in one window (by NPMI or G²), with how often they appear together; reads report_entity_pairs.
-- param: entity = NULL  -- any name: id, canonical or Albanian name, alias or inflected form (Putini, Shqipëria), any case (required)
-- param: unit_window = sentence  -- sentence, paragraph or article
-- param: month = NULL  -- YYYY-MM to look at one month; NULL for all months together
-- param: min_support = 2  -- partners seen together in fewer units are left out
-- param: rank_by = npmi  -- npmi or g2
-- param: top = 15  -- how many partners
-- values: entity = entity
-- values: unit_window = sentence | paragraph | article
-- values: month = YYYY-MM
-- values: min_support = integer
-- values: rank_by = npmi | g2
-- values: top = integer
-- example: .venv/bin/kronika report entity_neighbourhood --param entity=Russia --param rank_by=g2 --param min_support=1
-- example (DuckDB CLI): .venv/bin/duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE entity = 'nato'; SET VARIABLE unit_window = 'article'" -c ".read sql/entity_neighbourhood.sql"
WITH target AS (
    SELECT entity_id, name
    FROM entities
    WHERE lower(getvariable('entity')::VARCHAR) IN (lower(entity_id), lower(name), lower(name_sq))
       OR entity_id IN (SELECT r.entity_id FROM entity_id_renames r  -- an id from before a rename
                     WHERE lower(r.old_entity_id) = lower(getvariable('entity')::VARCHAR))
),
partners AS (  -- the pair table stores each pair once (entity_a_id < entity_b_id); look both ways
    SELECT p.entity_a_id AS entity_id, p.entity_b_id AS partner_id, p.entity_b AS partner, p.*
    FROM report_entity_pairs p
    UNION ALL
    SELECT p.entity_b_id, p.entity_a_id, p.entity_a, p.*
    FROM report_entity_pairs p
)
SELECT t.name AS entity, p.partner, pe.entity_type AS partner_type, p.units_with_both AS together,
       CASE WHEN p.entity_id = p.entity_a_id THEN p.units_with_b ELSE p.units_with_a END AS partner_units,
       CASE WHEN p.entity_id = p.entity_a_id THEN p.units_with_a ELSE p.units_with_b END AS entity_units,
       p.units, round(p.npmi, 3) AS npmi, round(p.g2, 2) AS g2
FROM target t
JOIN partners p ON p.entity_id = t.entity_id
JOIN entities pe ON pe.entity_id = p.partner_id
WHERE p.unit_window = CASE WHEN coalesce(getvariable('unit_window'), 'sentence') IN ('sentence', 'paragraph', 'article')
                           THEN coalesce(getvariable('unit_window'), 'sentence')
                           ELSE error('unit_window must be sentence, paragraph or article') END
  AND p.month IS NOT DISTINCT FROM getvariable('month')::VARCHAR
  AND p.units_with_both >= coalesce(getvariable('min_support'), 2)
ORDER BY CASE coalesce(getvariable('rank_by'), 'npmi') WHEN 'npmi' THEN p.npmi WHEN 'g2' THEN p.g2
             ELSE error('rank_by must be npmi or g2') END DESC,
         together DESC, partner
-- The LIMIT is always evaluated, so it is where a missing or unknown entity becomes an error that says so.
LIMIT (SELECT CASE WHEN getvariable('entity') IS NULL
                   THEN error('entity is required: --param entity=NAME (a name or an entity_id)')
                   WHEN count(*) = 0
                   THEN error('no entity named ' || getvariable('entity')::VARCHAR
                              || '; try kronika report top_entities or unlinked_candidates')
                   ELSE coalesce(getvariable('top'), 15) END
       FROM target);
