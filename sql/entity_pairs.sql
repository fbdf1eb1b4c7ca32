-- materialize: report_entity_pairs
-- description: Every pair of linked entities seen together, per window (sentence, paragraph, article) and month, with counts, PMI, NPMI, Jaccard and signed G²; month NULL holds the all-months rows.
-- param: unit_window = NULL  -- sentence, paragraph or article; NULL for all three
-- param: month = NULL  -- YYYY-MM (or undated) to keep one month and the all-months rows; NULL keeps every month
-- param: min_support = 2  -- pairs seen together in fewer units (in that month, or in all months) are not stored
-- param: timezone = Europe/Tirane  -- the zone whose calendar decides an article's month
-- example: kronika report entity_pairs --param unit_window=sentence --param month=2025-10
-- example (DuckDB CLI): duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE unit_window = 'sentence'" -c ".read sql/entity_pairs.sql"
--
-- This is a build step, not a query: the Dagster asset report_entity_pairs (and `kronika run`) store the
-- result as the table report_entity_pairs, which cooccurrence.sql and entity_neighbourhood.sql read.
-- A unit is one sentence, one paragraph or one article. For a pair (A, B) in one window and month slice:
--   units         N, every unit of that window in the slice (with or without entities)
--   units_with_a  units mentioning A, units_with_b likewise, units_with_both  units mentioning both
--   pmi   = log2(units_with_both * N / (units_with_a * units_with_b))
--   npmi  = pmi / -log2(units_with_both / N), in [-1, 1]; 1 when the pair fills every unit
--   jaccard = units_with_both / (units_with_a + units_with_b - units_with_both)
--   g2    = Dunning's log-likelihood 2 * sum(O * ln(O / E)) over the 2x2 table of units, negative when the
--           pair co-occurs less often than expected (units_with_both < expected)

CREATE OR REPLACE TEMP TABLE pair_article_months AS
SELECT article_id,
       coalesce(strftime(timezone(coalesce(getvariable('timezone'), 'Europe/Tirane'), published_at), '%Y-%m'),
                'undated') AS month
FROM articles;

-- One row per (window, unit, entity). Articles are units with field '' and unit_index 0.
CREATE OR REPLACE TEMP TABLE pair_entity_units AS
SELECT DISTINCT w.unit_window, am.month, m.article_id,
       CASE WHEN w.unit_window = 'article' THEN '' ELSE m.field END AS field,
       CASE w.unit_window WHEN 'sentence' THEN m.sentence_index WHEN 'paragraph' THEN m.paragraph_index ELSE 0 END
           AS unit_index,
       m.entity_id
FROM mentions m
JOIN entities e ON e.entity_id = m.entity_id AND e.linked
JOIN pair_article_months am ON am.article_id = m.article_id
CROSS JOIN (VALUES ('sentence'), ('paragraph'), ('article')) w(unit_window)
WHERE (getvariable('unit_window') IS NULL OR w.unit_window = getvariable('unit_window'))
  AND (w.unit_window <> 'sentence' OR m.sentence_index IS NOT NULL)
  AND (w.unit_window <> 'paragraph' OR m.paragraph_index IS NOT NULL);

-- Pair counts per month first (the expensive self-join); all-months counts are sums of the small result.
CREATE OR REPLACE TEMP TABLE pair_counts AS
WITH monthly AS (
    SELECT a.unit_window, a.month, a.entity_id AS entity_a_id, b.entity_id AS entity_b_id,
           count(*) AS units_with_both
    FROM pair_entity_units a
    JOIN pair_entity_units b
      ON a.unit_window = b.unit_window AND a.article_id = b.article_id AND a.field = b.field
     AND a.unit_index = b.unit_index AND a.entity_id < b.entity_id
    GROUP BY ALL
),
every_slice AS (
    SELECT * FROM monthly
    UNION ALL
    SELECT unit_window, NULL AS month, entity_a_id, entity_b_id, sum(units_with_both)::BIGINT
    FROM monthly GROUP BY ALL
)
-- Pairs seen together once are most of the rows and carry no evidence; they are left out after the sums.
SELECT * FROM every_slice WHERE units_with_both >= coalesce(getvariable('min_support'), 2);

CREATE OR REPLACE TEMP TABLE pair_entity_totals AS
SELECT unit_window, month, entity_id, count(*) AS units
FROM pair_entity_units
GROUP BY GROUPING SETS ((unit_window, month, entity_id), (unit_window, entity_id));

CREATE OR REPLACE TEMP TABLE pair_unit_totals AS
WITH monthly AS (
    SELECT 'sentence' AS unit_window, am.month, count(*) AS units
    FROM (SELECT DISTINCT article_id, field, sentence_index FROM sentences) s
    JOIN pair_article_months am USING (article_id) GROUP BY ALL
    UNION ALL
    SELECT 'paragraph', am.month, count(*)
    FROM (SELECT DISTINCT article_id, field, paragraph_index FROM sentences) p
    JOIN pair_article_months am USING (article_id) GROUP BY ALL
    UNION ALL
    SELECT 'article', month, count(*) FROM pair_article_months GROUP BY ALL
)
SELECT unit_window, month, units FROM monthly
UNION ALL
SELECT unit_window, NULL, sum(units)::BIGINT FROM monthly GROUP BY ALL;

WITH tables AS (
    SELECT p.unit_window, p.month, p.entity_a_id, p.entity_b_id,
           t.units::DOUBLE AS n, ta.units::DOUBLE AS n_a, tb.units::DOUBLE AS n_b,
           p.units_with_both::DOUBLE AS n_ab,
           t.units, ta.units AS units_with_a, tb.units AS units_with_b, p.units_with_both
    FROM pair_counts p
    JOIN pair_unit_totals t ON t.unit_window = p.unit_window AND t.month IS NOT DISTINCT FROM p.month
    JOIN pair_entity_totals ta ON ta.unit_window = p.unit_window AND ta.month IS NOT DISTINCT FROM p.month
                              AND ta.entity_id = p.entity_a_id
    JOIN pair_entity_totals tb ON tb.unit_window = p.unit_window AND tb.month IS NOT DISTINCT FROM p.month
                              AND tb.entity_id = p.entity_b_id
    WHERE getvariable('month') IS NULL OR p.month IS NULL OR p.month = getvariable('month')::VARCHAR
),
cells AS (  -- the 2x2 contingency table: observed o, expected e
    SELECT *,
           n_ab AS o11, n_a - n_ab AS o12, n_b - n_ab AS o21, n - n_a - n_b + n_ab AS o22,
           n_a * n_b / n AS e11, n_a * (n - n_b) / n AS e12, (n - n_a) * n_b / n AS e21,
           (n - n_a) * (n - n_b) / n AS e22
    FROM tables
)
SELECT unit_window, month, entity_a_id, ea.name AS entity_a, entity_b_id, eb.name AS entity_b,
       units, units_with_a, units_with_b, units_with_both,
       round(e11, 4) AS expected,
       log2(n_ab * n / (n_a * n_b)) AS pmi,
       CASE WHEN n_ab >= n THEN 1.0 ELSE log2(n_ab * n / (n_a * n_b)) / -log2(n_ab / n) END AS npmi,
       n_ab / (n_a + n_b - n_ab) AS jaccard,
       sign(o11 - e11) * 2 * (
           CASE WHEN o11 > 0 THEN o11 * ln(o11 / e11) ELSE 0 END
         + CASE WHEN o12 > 0 THEN o12 * ln(o12 / e12) ELSE 0 END
         + CASE WHEN o21 > 0 THEN o21 * ln(o21 / e21) ELSE 0 END
         + CASE WHEN o22 > 0 THEN o22 * ln(o22 / e22) ELSE 0 END) AS g2
FROM cells
JOIN entities ea ON ea.entity_id = entity_a_id
JOIN entities eb ON eb.entity_id = entity_b_id
ORDER BY unit_window, month NULLS FIRST, units_with_both DESC, entity_a_id, entity_b_id;
