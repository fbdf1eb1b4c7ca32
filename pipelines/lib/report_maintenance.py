"""Keeps the counts behind the report tables current by adding what a batch brings and subtracting what it replaces,
so a batch costs in proportion to its own articles instead of a rebuild of every pair and every mention.

Every count (units per window and month, units naming an entity, units naming a pair, an entity's mentions and
articles) is a sum over articles, since
a unit lies inside one article and an article has one month. So the counts of the articles a batch touches are
subtracted before it writes and added after, inside its transaction; `report_entity_pairs` is a view computing
PMI, NPMI, Jaccard and G² from the counts, exactly as `sql/entity_pairs.sql` computes them from scratch (a test
checks the two agree after random batches). `report_top_entities` and `report_cooccurrence_pairs` are computed from
the same counts (DERIVED_REPORTS). If the set of linked entities changes, the counts are rebuilt whole."""

from __future__ import annotations

import duckdb
import polars as pl

MAINTAINED_VIEW = "report_entity_pairs"
MIN_SUPPORT = 2          # sql/entity_pairs.sql's default: pairs seen together once carry no evidence
TIMEZONE = "Europe/Tirane"   # sql/entity_pairs.sql's default calendar for an article's month

SCHEMA = """
CREATE TABLE IF NOT EXISTS report_pair_unit_counts (
    unit_window VARCHAR NOT NULL, month VARCHAR NOT NULL, units BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS report_pair_entity_counts (
    unit_window VARCHAR NOT NULL, month VARCHAR NOT NULL, entity_id VARCHAR NOT NULL, entity_units BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS report_pair_counts (
    unit_window VARCHAR NOT NULL, month VARCHAR NOT NULL, entity_a_id VARCHAR NOT NULL, entity_b_id VARCHAR NOT NULL,
    units_with_both BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS report_entity_totals (
    entity_id VARCHAR NOT NULL, mentions BIGINT NOT NULL, articles BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS report_pair_state (linked_fingerprint VARCHAR NOT NULL);
"""

# Bumped when the set of maintained tables changes, so that an older warehouse's counts are rebuilt whole.
COUNTS_LAYOUT = "3"   # 3: report_entity_totals counts unlinked candidates too

# Month '*' holds the all-months counts, so that every key is a plain equality (the view turns it into NULL).
# `{articles}` is a query yielding the article_ids whose counts are wanted.
_CONTRIBUTION_SQL = {
    "units": f"""
        WITH chosen AS (
            SELECT a.article_id,
                   coalesce(strftime(timezone('{TIMEZONE}', a.published_at), '%Y-%m'), 'undated') AS month
            FROM articles a SEMI JOIN ({{articles}}) c USING (article_id)
        ),
        per_article AS (
            SELECT s.article_id, count(*) AS sentence_units,
                   count(DISTINCT (s.field, s.paragraph_index)) AS paragraph_units
            FROM {{sentences}} s SEMI JOIN chosen c USING (article_id) GROUP BY ALL
        ),
        monthly AS (
            SELECT 'sentence' AS unit_window, c.month, coalesce(sum(p.sentence_units), 0)::BIGINT AS units
            FROM chosen c LEFT JOIN per_article p USING (article_id) GROUP BY ALL
            UNION ALL
            SELECT 'paragraph', c.month, coalesce(sum(p.paragraph_units), 0)::BIGINT
            FROM chosen c LEFT JOIN per_article p USING (article_id) GROUP BY ALL
            UNION ALL
            SELECT 'article', month, count(*) FROM chosen GROUP BY ALL
        )
        SELECT unit_window, month, units FROM monthly
        UNION ALL SELECT unit_window, '*', sum(units)::BIGINT FROM monthly GROUP BY ALL""",
    "entity_units": f"""
        CREATE OR REPLACE TEMP TABLE maintained_entity_units AS
        WITH chosen AS (
            SELECT a.article_id, row_number() OVER () AS article_number,
                   coalesce(strftime(timezone('{TIMEZONE}', a.published_at), '%Y-%m'), 'undated') AS month
            FROM articles a SEMI JOIN ({{articles}}) c USING (article_id)
        ),
        sentence_entities AS (
            SELECT DISTINCT c.month,
                   c.article_number * 16777216 + CASE WHEN m.field = 'title' THEN 8388608 ELSE 0 END AS unit_base,
                   m.sentence_index, m.paragraph_index, m.entity_id
            FROM {{mentions}} m
            JOIN entities e ON e.entity_id = m.entity_id AND e.linked
            JOIN chosen c ON c.article_id = m.article_id
        )
        SELECT 'sentence' AS unit_window, month, unit_base + sentence_index AS unit_key, entity_id
        FROM sentence_entities WHERE sentence_index IS NOT NULL
        UNION ALL
        SELECT DISTINCT 'paragraph', month, unit_base + paragraph_index, entity_id
        FROM sentence_entities WHERE paragraph_index IS NOT NULL
        UNION ALL
        SELECT DISTINCT 'article', month, unit_base // 16777216, entity_id FROM sentence_entities""",
    "entities": """
        SELECT unit_window, coalesce(month, '*') AS month, entity_id, count(*)::BIGINT AS entity_units
        FROM maintained_entity_units
        GROUP BY GROUPING SETS ((unit_window, month, entity_id), (unit_window, entity_id))""",
    "totals": """
        SELECT m.entity_id, count(*)::BIGINT AS mentions, count(DISTINCT m.article_id)::BIGINT AS articles
        FROM {mentions} m JOIN entities e ON e.entity_id = m.entity_id   -- linked or not: candidates are ranked too
        JOIN articles a ON a.article_id = m.article_id   -- as sql/top_entities.sql counts them
        SEMI JOIN ({articles}) c ON c.article_id = m.article_id
        GROUP BY ALL""",
    "pairs": """
        WITH monthly AS (
            SELECT a.unit_window, a.month, a.entity_id AS entity_a_id, b.entity_id AS entity_b_id,
                   count(*)::BIGINT AS units_with_both
            FROM maintained_entity_units a
            JOIN maintained_entity_units b
              ON a.unit_key = b.unit_key AND a.unit_window = b.unit_window AND a.entity_id < b.entity_id
            GROUP BY ALL
        )
        SELECT * FROM monthly
        UNION ALL
        SELECT unit_window, '*', entity_a_id, entity_b_id, sum(units_with_both)::BIGINT FROM monthly GROUP BY ALL""",
}

# (table, key columns, count columns, contribution query) of each maintained count table. A row whose first count
# is zero is dropped: it is the count of units (or mentions) the others are counted within.
_COUNT_TABLES = (
    ("report_pair_unit_counts", ("unit_window", "month"), ("units",), "units"),
    ("report_pair_entity_counts", ("unit_window", "month", "entity_id"), ("entity_units",), "entities"),
    ("report_pair_counts", ("unit_window", "month", "entity_a_id", "entity_b_id"), ("units_with_both",), "pairs"),
    ("report_entity_totals", ("entity_id",), ("mentions", "articles"), "totals"),
)

def _pair_rows(month: str, month_filter: str) -> str:
    """One branch of the view: the pair counts of the months `month_filter` keeps, joined to their N and per-entity
    counts of the same window and month."""
    return f"""
    SELECT p.unit_window, {month} AS month, p.entity_a_id, p.entity_b_id,
           t.units::DOUBLE AS n, ta.entity_units::DOUBLE AS n_a, tb.entity_units::DOUBLE AS n_b,
           p.units_with_both::DOUBLE AS n_ab,
           t.units, ta.entity_units AS units_with_a, tb.entity_units AS units_with_b, p.units_with_both
    FROM report_pair_counts p
    JOIN report_pair_unit_counts t ON t.unit_window = p.unit_window AND t.month = p.month
    JOIN report_pair_entity_counts ta
      ON ta.unit_window = p.unit_window AND ta.month = p.month AND ta.entity_id = p.entity_a_id
    -- `|| ''` keeps B's keys from being equal to A's by transitivity: with plain equalities DuckDB 1.5 joined the
    -- two per-entity tables first (every A x every B of a slice, 1,065,024 rows for 1,032 entities) and the whole
    -- view took 6.7 s at 100,000 articles; joined to the pairs one after the other it takes 0.56 s (docs/reports.md).
    JOIN report_pair_entity_counts tb
      ON tb.entity_id = p.entity_b_id AND tb.unit_window = p.unit_window || '' AND tb.month = p.month || ''
    WHERE {month_filter} AND p.units_with_both >= {MIN_SUPPORT}"""


VIEW_SQL = f"""
CREATE OR REPLACE VIEW {MAINTAINED_VIEW} AS
WITH tables AS (  -- the all-months rows and the monthly rows apart, so that a filter on month
                  -- (IS NULL or = 'YYYY-MM') prunes one branch instead of scanning every count
    {_pair_rows("NULL::VARCHAR", "p.month = '*'")}
    UNION ALL
    {_pair_rows("p.month", "p.month <> '*'")}
),
cells AS (  -- the 2x2 contingency table: observed o, expected e (as in sql/entity_pairs.sql)
    SELECT *,
           n_ab AS o11, n_a - n_ab AS o12, n_b - n_ab AS o21, n - n_a - n_b + n_ab AS o22,
           n_a * n_b / n AS e11, n_a * (n - n_b) / n AS e12, (n - n_a) * n_b / n AS e21,
           (n - n_a) * (n - n_b) / n AS e22
    FROM tables
)
SELECT unit_window, month, entity_a_id, ea.a_name AS entity_a, entity_b_id, eb.b_name AS entity_b,
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
-- The two name lookups have distinct column names: with `entities ea` and `entities eb` both selecting `name`,
-- DuckDB 1.5 gave entity_b A's name once the view was read twice in a UNION ALL (entity_neighbourhood.sql).
JOIN (SELECT entity_id AS a_id, name AS a_name FROM entities WHERE linked) ea ON ea.a_id = entity_a_id
JOIN (SELECT entity_id AS b_id, name AS b_name FROM entities WHERE linked) eb ON eb.b_id = entity_b_id
"""


# Report tables computed from the maintained counts instead of from every mention. Each reads the same parameters
# (`getvariable`) as its sql/ file and must give the same rows (tests/defs/test_report_maintenance.py checks both).
DERIVED_REPORTS = {
    # Only names whose summed mentions reach the top-th highest sum can be in the result, so the file's own
    # aggregation (articles, first and last day) runs on the mentions of those few entities alone.
    "report_top_entities": """
        WITH per_name AS (
            SELECT e.name, e.entity_type, sum(t.mentions) AS mentions
            FROM report_entity_totals t JOIN entities e USING (entity_id)
            WHERE e.linked AND (getvariable('entity_type') IS NULL OR e.entity_type = getvariable('entity_type'))
            GROUP BY ALL
        ),
        cutoff AS (
            SELECT coalesce(min(mentions), 0) AS mentions
            FROM (SELECT mentions FROM per_name ORDER BY mentions DESC LIMIT coalesce(getvariable('top'), 20))
        ),
        chosen AS (
            SELECT e.entity_id FROM entities e JOIN per_name p USING (name, entity_type)
            WHERE e.linked AND p.mentions >= (SELECT mentions FROM cutoff)
        )
        SELECT e.name, e.entity_type, count(*) AS mentions, count(DISTINCT m.article_id) AS articles,
               min(a.published_at)::DATE AS first_seen, max(a.published_at)::DATE AS last_seen
        FROM mentions m
        SEMI JOIN chosen c ON c.entity_id = m.entity_id
        JOIN entities e USING (entity_id)
        JOIN articles a USING (article_id)
        GROUP BY e.name, e.entity_type
        ORDER BY mentions DESC, articles DESC, e.name
        LIMIT coalesce(getvariable('top'), 20)""",
    # Same article and same sentence are the all-months counts of the article and sentence windows.
    "report_cooccurrence_pairs": """
        WITH article_pairs AS (
            SELECT entity_a_id, entity_b_id, units_with_both AS same_article FROM report_pair_counts
            WHERE unit_window = 'article' AND month = '*'
              AND units_with_both >= coalesce(getvariable('min_articles'), 1)
        ),
        sentence_pairs AS (
            SELECT entity_a_id, entity_b_id, units_with_both AS same_sentence FROM report_pair_counts
            WHERE unit_window = 'sentence' AND month = '*'
        )
        SELECT ea.a_name AS entity_a, eb.b_name AS entity_b, coalesce(s.same_sentence, 0) AS same_sentence,
               p.same_article
        FROM article_pairs p
        LEFT JOIN sentence_pairs s USING (entity_a_id, entity_b_id)
        JOIN (SELECT entity_id AS a_id, name AS a_name FROM entities WHERE linked) ea ON ea.a_id = p.entity_a_id
        JOIN (SELECT entity_id AS b_id, name AS b_name FROM entities WHERE linked) eb ON eb.b_id = p.entity_b_id
        ORDER BY same_sentence DESC, same_article DESC, entity_a, entity_b
        LIMIT coalesce(getvariable('top'), 20)""",
}


# Query reports whose ranking step has a cheaper form over the maintained counts: report name -> (the sql/ file's CTE
# that is replaced, its replacement). The rest of the file runs as written; the rows must be the file's (a test
# checks them after random batches). unlinked_candidates ranked 1.2 million candidate mentions in 1.1 s at 100,000
# articles; the totals hold one row per entity.
MAINTAINED_CTES = {
    "unlinked_candidates": ("candidate_counts", """
        SELECT t.entity_id, e.name, e.entity_type, t.mentions, t.articles
        FROM report_entity_totals t JOIN entities e USING (entity_id)
        WHERE NOT e.linked"""),
}


def _cte_span(sql: str, name: str) -> tuple[int, int]:
    """Where the body of `name AS (...)` starts and ends (inside the parentheses); comments and strings are
    skipped when counting parentheses."""
    start = sql.index(f"{name} AS (") + len(name) + len(" AS (")
    depth, index = 1, start
    while depth:
        char = sql[index]
        if sql.startswith("--", index):
            index = sql.index("\n", index)
            continue
        if char == "'":
            index = sql.index("'", index + 1)
        depth += {"(": 1, ")": -1}.get(char, 0)
        index += 1
    return start, index - 1


def maintained_form(connection: duckdb.DuckDBPyConnection, report_name: str, statement: str) -> str:
    """The report's last statement with its ranking read from the maintained counts when they are current;
    the statement unchanged otherwise (or when it does not hold the CTE, e.g. a user's edited file)."""
    if report_name not in MAINTAINED_CTES:
        return statement
    name, body = MAINTAINED_CTES[report_name]
    if f"{name} AS (" not in statement or not counts_are_maintained(connection):
        return statement
    start, end = _cte_span(statement, name)
    return statement[:start] + body + "\n" + statement[end:]


def ensure_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(SCHEMA)


def linked_fingerprint(connection: duckdb.DuckDBPyConnection) -> str:
    """Which entities count: when this changes, every stored count may be wrong and is rebuilt."""
    row = connection.execute("SELECT count(*), coalesce(sum(hash(entity_id)), 0) FROM entities WHERE linked").fetchall()
    return f"{COUNTS_LAYOUT}:{row[0][0]}:{row[0][1]}"


def counts_are_maintained(connection: duckdb.DuckDBPyConnection) -> bool:
    """True when the stored counts were built for the current linked entities. Creates nothing, so it also answers on
    a read-only connection (a warehouse without the count tables has no maintained counts; writers then rebuild)."""
    if not connection.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'report_pair_state' "
                              "AND database_name = current_database() AND schema_name = current_schema()").fetchall():
        return False
    stored = connection.execute("SELECT linked_fingerprint FROM report_pair_state").fetchall()
    return bool(stored) and stored[0][0] == linked_fingerprint(connection)


def _contributions(connection: duckdb.DuckDBPyConnection, articles_query: str, sign: int,
                   mentions: str = "mentions", sentences: str = "sentences") -> None:
    """Append this set of articles' counts, times `sign`, to the temp tables `delta_<table>`. Their mentions and
    sentences are read from `mentions` and `sentences`: the tables, or the frames a batch has just written."""
    tables = {"articles": articles_query, "mentions": mentions, "sentences": sentences}
    connection.execute(_CONTRIBUTION_SQL["entity_units"].format(**tables))
    for table, keys, counts, query in _COUNT_TABLES:
        sql = _CONTRIBUTION_SQL[query].format(**tables)
        signed = ", ".join(f"{sign} * {count}" for count in counts)
        connection.execute(f"INSERT INTO delta_{table} SELECT {', '.join(keys)}, {signed} FROM ({sql})")
    connection.execute("DROP TABLE maintained_entity_units")


def _start_delta(connection: duckdb.DuckDBPyConnection) -> None:
    for table, *_ in _COUNT_TABLES:
        connection.execute(f"CREATE OR REPLACE TEMP TABLE delta_{table} AS SELECT * FROM {table} LIMIT 0")


def _register_ids(connection: duckdb.DuckDBPyConnection, article_ids: list[str]) -> str:
    ids = pl.DataFrame({"article_id": sorted(set(article_ids))}, schema={"article_id": pl.String})
    connection.register("maintained_ids_frame", ids.to_arrow())
    connection.execute("CREATE OR REPLACE TEMP TABLE maintained_article_ids AS SELECT * FROM maintained_ids_frame")
    connection.unregister("maintained_ids_frame")
    return "SELECT article_id FROM maintained_article_ids"


def before_change(connection: duckdb.DuckDBPyConnection, article_ids: list[str]) -> bool:
    """Subtract the current counts of the articles about to be replaced or deleted; call inside the writer's
    transaction, before it touches them. Returns whether the counts are maintained (else the caller rebuilds).
    Only stored articles have counts: the caller may pass just those (new articles cost nothing here)."""
    if not counts_are_maintained(connection):
        return False
    _start_delta(connection)
    if article_ids:
        _contributions(connection, _register_ids(connection, article_ids), -1)
    return True


def after_change(connection: duckdb.DuckDBPyConnection, article_ids: list[str], maintained: bool, *,
                 mentions: pl.DataFrame | None = None, sentences: pl.DataFrame | None = None) -> None:
    """Add the new counts of the same articles and merge the delta; rebuild whole if the counts were not
    maintained or the linked entities changed during the write.

    `mentions` and `sentences`, when given, are every row these articles now have in those tables (what the batch
    just wrote): their counts are then read from the frames instead of from scans of the two largest tables."""
    if not maintained or not counts_are_maintained(connection):
        rebuild(connection)
        return
    if article_ids:
        sources = {}
        for name, frame in (("mentions", mentions), ("sentences", sentences)):
            if frame is not None:
                connection.register(f"written_{name}", frame.to_arrow())
                sources[name] = f"written_{name}"
        try:
            _contributions(connection, _register_ids(connection, article_ids), 1, **sources)
        finally:
            for name in sources.values():
                connection.unregister(name)
    for table, keys, counts, _ in _COUNT_TABLES:
        key_list = ", ".join(keys)
        match = " AND ".join(f"c.{key} = d.{key}" for key in keys)
        changes = ", ".join(f"sum({count})::BIGINT AS change_{count}" for count in counts)
        any_change = " OR ".join(f"sum({count}) <> 0" for count in counts)
        merged = ", ".join(f"coalesce(c.{count}, 0) + d.change_{count} AS {count}" for count in counts)
        # The join that finds each changed key's stored row also keeps its rowid, so the DELETE reads row ids instead
        # of joining the 7 M-row pair counts on four VARCHAR keys a second time (CPU 0.45-0.49 -> 0.27-0.34 s for a
        # 100-article batch at 100,000 articles).
        connection.execute(f"""
            CREATE OR REPLACE TEMP TABLE merged_{table} AS
            WITH d AS (SELECT {key_list}, {changes} FROM delta_{table} GROUP BY ALL HAVING {any_change})
            SELECT c.rowid AS stored_row, {', '.join(f'd.{key}' for key in keys)}, {merged}
            FROM d LEFT JOIN {table} c ON {match}""")
        connection.execute(f"DELETE FROM {table} WHERE rowid IN "
                           f"(SELECT stored_row FROM merged_{table} WHERE stored_row IS NOT NULL)")
        connection.execute(f"INSERT INTO {table} SELECT {key_list}, {', '.join(counts)} FROM merged_{table} "
                           f"WHERE {counts[0]} <> 0")
        connection.execute(f"DROP TABLE merged_{table}")
        connection.execute(f"DROP TABLE delta_{table}")
    connection.execute("DROP TABLE IF EXISTS maintained_article_ids")


def rebuild(connection: duckdb.DuckDBPyConnection) -> None:
    """Every count from scratch (first run, or the linked entities changed)."""
    ensure_tables(connection)
    _start_delta(connection)
    _contributions(connection, "SELECT article_id FROM articles", 1)
    for table, _, counts, _ in _COUNT_TABLES:
        connection.execute(f"DELETE FROM {table}")
        connection.execute(f"INSERT INTO {table} SELECT * FROM delta_{table} WHERE {counts[0]} <> 0")
        connection.execute(f"DROP TABLE delta_{table}")
    connection.execute("DELETE FROM report_pair_state")
    connection.execute("INSERT INTO report_pair_state VALUES (?)", [linked_fingerprint(connection)])


def ensure_view(connection: duckdb.DuckDBPyConnection) -> int:
    """Make `report_entity_pairs` the view over the counts (replacing the table older warehouses hold), building
    the counts if they are not current. Returns the view's row count."""
    if not counts_are_maintained(connection):
        rebuild(connection)
    kind = connection.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                              [MAINTAINED_VIEW]).fetchall()
    if kind and kind[0][0] != "VIEW":
        connection.execute(f"DROP TABLE {MAINTAINED_VIEW}")
    connection.execute(VIEW_SQL)   # replaced each time: a newer Kronika may compute it differently
    return connection.execute(f"SELECT count(*) FROM report_pair_counts WHERE units_with_both >= {MIN_SUPPORT}"
                              ).fetchall()[0][0]


def top_linked_entities(connection: duckdb.DuckDBPyConnection, top: int) -> pl.DataFrame:
    """The `top` linked entities by mentions, with their articles (name, entity_type, mentions, articles), from the
    maintained totals: a batch's summary reads a few thousand rows, not every mention. Counted per entity_id, as the
    totals are; the scan over `mentions` answers when the counts are not current."""
    if counts_are_maintained(connection):
        return connection.execute(
            "SELECT e.name, e.entity_type, t.mentions, t.articles FROM report_entity_totals t JOIN entities e "
            "USING (entity_id) WHERE e.linked ORDER BY t.mentions DESC, t.articles DESC, e.name LIMIT ?", [top]).pl()
    return connection.execute(
        "SELECT e.name, e.entity_type, count(*) AS mentions, count(DISTINCT m.article_id) AS articles "
        "FROM mentions m JOIN entities e USING (entity_id) WHERE e.linked "
        "GROUP BY ALL ORDER BY mentions DESC, articles DESC, e.name LIMIT ?", [top]).pl()


def materialize_derived(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    """Store a DERIVED_REPORTS table from the counts (rebuilt first if they are not current); the caller has bound
    the report's parameters. Returns the row count."""
    if not counts_are_maintained(connection):
        rebuild(connection)
    connection.execute(f"CREATE OR REPLACE TABLE {table} AS {DERIVED_REPORTS[table]}")
    return connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
