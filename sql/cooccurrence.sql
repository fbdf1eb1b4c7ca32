-- description: The most strongly associated entity pairs in one window (sentence, paragraph or article), optionally in one month, ranked by NPMI, PMI, G², Jaccard or count; reads report_entity_pairs.
-- param: unit_window = sentence  -- sentence, paragraph or article
-- param: month = NULL  -- YYYY-MM to look at one month; NULL for all months together
-- param: min_support = 2  -- pairs seen together in fewer units are left out (NPMI overrates rare pairs)
-- param: rank_by = npmi  -- npmi, pmi, g2, jaccard or count
-- param: top = 20  -- how many rows
-- values: unit_window = sentence | paragraph | article
-- values: month = YYYY-MM
-- values: min_support = integer
-- values: rank_by = npmi | pmi | g2 | jaccard | count
-- values: top = integer
-- example: .venv/bin/kronika report cooccurrence --param unit_window=paragraph --param rank_by=g2 --param month=2025-10
-- example (DuckDB CLI): .venv/bin/duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE unit_window = 'article'; SET VARIABLE min_support = 3" -c ".read sql/cooccurrence.sql"
--
-- The measures are explained in sql/entity_pairs.sql. Run `kronika run` (or materialise the Dagster asset
-- report_entity_pairs) first: this report reads that table.
SELECT entity_a, entity_b, units_with_both, units_with_a, units_with_b, units,
       round(pmi, 3) AS pmi, round(npmi, 3) AS npmi, round(jaccard, 3) AS jaccard, round(g2, 2) AS g2
FROM report_entity_pairs
WHERE unit_window = CASE WHEN coalesce(getvariable('unit_window'), 'sentence') IN ('sentence', 'paragraph', 'article')
                         THEN coalesce(getvariable('unit_window'), 'sentence')
                         ELSE error('unit_window must be sentence, paragraph or article') END
  AND month IS NOT DISTINCT FROM getvariable('month')::VARCHAR
  AND units_with_both >= coalesce(getvariable('min_support'), 2)
ORDER BY CASE coalesce(getvariable('rank_by'), 'npmi')
             WHEN 'npmi' THEN npmi WHEN 'pmi' THEN pmi WHEN 'g2' THEN g2 WHEN 'jaccard' THEN jaccard
             WHEN 'count' THEN units_with_both
             ELSE error('rank_by must be npmi, pmi, g2, jaccard or count') END DESC,
         units_with_both DESC, entity_a, entity_b
LIMIT coalesce(getvariable('top'), 20);
