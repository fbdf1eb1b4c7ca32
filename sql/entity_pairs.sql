-- materialize: report_entity_pairs
-- role: build
-- description: Every pair of linked entities seen together, per window (sentence, paragraph, article) and month, with counts, PMI, NPMI, Jaccard and signed G²; month NULL holds the all-months rows.
-- param: unit_window = NULL  -- sentence, paragraph or article; NULL for all three
-- param: month = NULL  -- YYYY-MM (or undated) to keep one month and the all-months rows; NULL keeps every month
-- param: min_support = 2  -- pairs seen together in fewer units (in that month, or in all months) are not stored
-- param: timezone = Europe/Tirane  -- the zone whose calendar decides an article's month
-- values: unit_window = sentence | paragraph | article
-- values: month = YYYY-MM | undated
-- values: min_support = integer
-- values: timezone = timezone
-- example: .venv/bin/kronika report entity_pairs --param unit_window=sentence --param month=2025-10
-- example (DuckDB CLI): .venv/bin/duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE unit_window = 'sentence'" -c ".read sql/entity_pairs.sql"
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
--
-- Cost: the self-join runs on integers (an article number and a sentence or paragraph index packed into one
-- unit key, entity numbers), not on VARCHAR ids; every window is derived from one distinct (sentence, entity)
-- table; all-months counts are sums of the monthly counts. See "Performance" in docs/reports.md.

-- Every article's month, and a number per article so that unit keys are integers.
CREATE OR REPLACE TEMP TABLE pair_article_months AS
SELECT article_id, row_number() OVER () AS article_number,
       coalesce(strftime(timezone(coalesce(getvariable('timezone'), 'Europe/Tirane'), published_at), '%Y-%m'),
                'undated') AS month
FROM articles;

CREATE OR REPLACE TEMP TABLE pair_linked_entities AS
SELECT entity_id, name, row_number() OVER (ORDER BY entity_id) AS entity_number
FROM entities
WHERE linked;

-- One row per (sentence, entity). unit_base = article_number * 2^24, plus 2^23 in the title; a sentence or
-- paragraph index is added to it (indexes stay far below 2^23), an article unit is unit_base // 2^24.
CREATE OR REPLACE TEMP TABLE pair_sentence_entities AS
SELECT DISTINCT am.month,
       am.article_number * 16777216 + CASE WHEN m.field = 'title' THEN 8388608 ELSE 0 END AS unit_base,
       m.sentence_index, m.paragraph_index, le.entity_number
FROM mentions m
JOIN pair_linked_entities le ON le.entity_id = m.entity_id
JOIN pair_article_months am ON am.article_id = m.article_id;

-- One row per (window, unit, entity).
CREATE OR REPLACE TEMP TABLE pair_entity_units AS
SELECT 'sentence' AS unit_window, month, unit_base + sentence_index AS unit_key, entity_number
FROM pair_sentence_entities
WHERE sentence_index IS NOT NULL AND coalesce(getvariable('unit_window'), 'sentence') = 'sentence'
UNION ALL
SELECT DISTINCT 'paragraph', month, unit_base + paragraph_index, entity_number
FROM pair_sentence_entities
WHERE paragraph_index IS NOT NULL AND coalesce(getvariable('unit_window'), 'paragraph') = 'paragraph'
UNION ALL
SELECT DISTINCT 'article', month, unit_base // 16777216, entity_number
FROM pair_sentence_entities
WHERE coalesce(getvariable('unit_window'), 'article') = 'article';

-- N per window and month. `sentences` holds one row per sentence (docs/warehouse.md), so rows are units.
-- Inside this file the all-months slice is month '*', so that every join is a plain equality (the result
-- turns it back into NULL).
CREATE OR REPLACE TEMP TABLE pair_unit_totals AS
WITH per_article AS (
    SELECT article_id, count(*) AS sentence_units, count(DISTINCT (field, paragraph_index)) AS paragraph_units
    FROM sentences
    GROUP BY article_id
),
monthly AS (
    SELECT 'sentence' AS unit_window, am.month, coalesce(sum(p.sentence_units), 0)::BIGINT AS units
    FROM pair_article_months am LEFT JOIN per_article p USING (article_id) GROUP BY ALL
    UNION ALL
    SELECT 'paragraph', am.month, coalesce(sum(p.paragraph_units), 0)::BIGINT
    FROM pair_article_months am LEFT JOIN per_article p USING (article_id) GROUP BY ALL
    UNION ALL
    SELECT 'article', month, count(*) FROM pair_article_months GROUP BY ALL
)
SELECT unit_window, month, units FROM monthly
UNION ALL
SELECT unit_window, '*', sum(units)::BIGINT FROM monthly GROUP BY ALL;

-- Units mentioning each entity, with N of the same slice alongside.
CREATE OR REPLACE TEMP TABLE pair_entity_totals AS
WITH counted AS (
    SELECT unit_window, coalesce(month, '*') AS month, entity_number, count(*) AS entity_units
    FROM pair_entity_units
    GROUP BY GROUPING SETS ((unit_window, month, entity_number), (unit_window, entity_number))
)
SELECT c.unit_window, c.month, c.entity_number, c.entity_units, t.units
FROM counted c
JOIN pair_unit_totals t ON t.unit_window = c.unit_window AND t.month = c.month;

-- Pair counts per month first (the expensive self-join); all-months counts are sums of that smaller result.
CREATE OR REPLACE TEMP TABLE pair_counts AS
WITH monthly AS (
    SELECT a.unit_window, a.month, a.entity_number AS a_number, b.entity_number AS b_number,
           count(*) AS units_with_both
    FROM pair_entity_units a
    JOIN pair_entity_units b
      ON a.unit_key = b.unit_key AND a.unit_window = b.unit_window AND a.entity_number < b.entity_number
    GROUP BY ALL
),
every_slice AS (
    SELECT * FROM monthly
    WHERE getvariable('month') IS NULL OR month = getvariable('month')::VARCHAR
    UNION ALL
    SELECT unit_window, '*' AS month, a_number, b_number, sum(units_with_both)::BIGINT
    FROM monthly GROUP BY ALL
)
-- Pairs seen together once are most of the rows and carry no evidence; they are left out after the sums.
-- A's totals are joined here and B's in the last statement: one join each, so that the optimizer cannot
-- pair the two totals tables first (which it does inside a transaction, where temp tables have no statistics).
SELECT p.*, ta.units, ta.entity_units AS units_with_a
FROM every_slice p
JOIN pair_entity_totals ta ON ta.unit_window = p.unit_window AND ta.month = p.month AND ta.entity_number = p.a_number
WHERE p.units_with_both >= coalesce(getvariable('min_support'), 2);

WITH tables AS (
    SELECT p.unit_window, nullif(p.month, '*') AS month, p.a_number, p.b_number,
           p.units::DOUBLE AS n, p.units_with_a::DOUBLE AS n_a, tb.entity_units::DOUBLE AS n_b,
           p.units_with_both::DOUBLE AS n_ab,
           p.units, p.units_with_a, tb.entity_units AS units_with_b, p.units_with_both
    FROM pair_counts p
    JOIN pair_entity_totals tb
      ON tb.unit_window = p.unit_window AND tb.month = p.month AND tb.entity_number = p.b_number
),
cells AS (  -- the 2x2 contingency table: observed o, expected e
    SELECT *,
           n_ab AS o11, n_a - n_ab AS o12, n_b - n_ab AS o21, n - n_a - n_b + n_ab AS o22,
           n_a * n_b / n AS e11, n_a * (n - n_b) / n AS e12, (n - n_a) * n_b / n AS e21,
           (n - n_a) * (n - n_b) / n AS e22
    FROM tables
)
SELECT unit_window, month, ea.entity_id AS entity_a_id, ea.name AS entity_a, eb.entity_id AS entity_b_id,
       eb.name AS entity_b, units, units_with_a, units_with_b, units_with_both,
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
JOIN pair_linked_entities ea ON ea.entity_number = a_number
JOIN pair_linked_entities eb ON eb.entity_number = b_number
-- entity numbers follow entity_id order, and integers sort faster than the ids
ORDER BY unit_window, month NULLS FIRST, units_with_both DESC, a_number, b_number;
