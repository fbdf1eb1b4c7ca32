"""What the HTML report shows, read from the warehouse through DuckDB into Polars frames (capped row counts).

Maintained report tables (report_top_entities, report_entity_pairs) are read where they exist instead of
re-running their sql/ files over every mention; time series are zero-filled over the whole calendar."""

from __future__ import annotations

import os
import shlex

import duckdb
import polars as pl

from pipelines.lib import report_maintenance
from pipelines.lib.reports import find_report, run_report, set_display_timezone
from pipelines.lib.settings import DEFAULT_TIMEZONE

PERIODS = ("day", "week", "month")
POLARS_INTERVAL = {"day": "1d", "week": "1w", "month": "1mo"}
TOP_ENTITIES = 20        # rows of the top-entities view
TIMELINE_ENTITIES = 10   # entities with a timeline (and a partners and a figures view)
PARTNERS = 10            # co-mentioned partners shown per entity
MATRIX_ENTITIES = 15     # rows and columns of the co-occurrence matrix
FIGURES_CAP = 5000       # figure points, newest first
UNLINKED = 30            # unlinked candidates listed


def report_period_from_env() -> str:
    """KRONIKA_REPORT_PERIOD (day, week or month; default week): the bucket of the report's time axes."""
    period = os.environ.get("KRONIKA_REPORT_PERIOD", "week").strip().lower() or "week"
    if period not in PERIODS:
        raise ValueError(f"KRONIKA_REPORT_PERIOD={period!r}: use one of {', '.join(PERIODS)}")
    return period


def promote_command(candidate: str, entity_type: str | None) -> str:
    """The shell command that adds an unlinked candidate to the gazetteer: `kronika entities promote` takes the
    candidate's cand: key (or its name), and --type where the typer gave one (else it keeps the candidate's)."""
    return f"kronika entities promote {shlex.quote(candidate)}" + (
        f" --type {shlex.quote(entity_type)}" if entity_type else "")


def _has_table(connection: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(connection.execute("SELECT 1 FROM information_schema.tables WHERE table_name = ?", [name]).fetchall())


def _top_entities(connection: duckdb.DuckDBPyConnection, zone: str) -> pl.DataFrame:
    if _has_table(connection, "report_top_entities"):   # maintained after each batch with the file's defaults
        top = connection.sql(f"SELECT * FROM report_top_entities ORDER BY mentions DESC, articles DESC, name "
                             f"LIMIT {TOP_ENTITIES}").pl()
        if top.height or not connection.sql("SELECT count(*) FROM mentions").fetchall()[0][0]:
            return top
    return run_report(connection, find_report("top_entities"), {"top": TOP_ENTITIES}, display_timezone=zone)


def _frequency(connection: duckdb.DuckDBPyConnection, top: pl.DataFrame, period: str, zone: str) -> pl.DataFrame:
    """Mentions and articles per period of the given top entities (as sql/mention_frequency.sql counts them),
    reading only those entities' mentions instead of ranking every entity again."""
    chosen = top.select("name", "entity_type")
    return connection.execute(f"""
        SELECT e.name AS entity,
               date_trunc('{period}', timezone(?, a.published_at))::DATE AS period_start,
               count(*) AS mentions, count(DISTINCT m.article_id) AS articles
        FROM chosen c
        JOIN entities e ON e.linked AND e.name = c.name AND e.entity_type = c.entity_type
        JOIN mentions m ON m.entity_id = e.entity_id
        JOIN articles a ON a.article_id = m.article_id
        WHERE a.published_at IS NOT NULL
        GROUP BY ALL""", [zone]).pl()


def _calendar(first, last, period: str) -> pl.Series:
    """Every period start from the one holding `first` to the one holding `last` (weeks start on Monday)."""
    start = pl.Series([first]).dt.truncate(POLARS_INTERVAL[period])[0]
    return pl.date_range(start, last, POLARS_INTERVAL[period], eager=True).alias("period_start")


def _zero_filled(series: pl.DataFrame, calendar: pl.Series, entities: list[str]) -> pl.DataFrame:
    """One row per (period, entity) over the whole calendar, 0 where nothing was published: a quiet week is a
    dip to zero on the chart, never a straight line drawn across it."""
    grid = calendar.to_frame().join(pl.DataFrame({"entity": entities}, schema={"entity": pl.String}), how="cross")
    counts = series.select(pl.col("period_start").cast(pl.Date), "entity", "mentions", "articles")
    return (grid.join(counts, on=["period_start", "entity"], how="left")
            .with_columns(pl.col("mentions", "articles").fill_null(0).cast(pl.Int64))
            .sort("entity", "period_start"))


def report_data(connection: duckdb.DuckDBPyConnection, *, period: str = "week", unit_window: str = "sentence",
                display_timezone: str | None = None) -> dict:
    """Everything the report shows; `period` (day, week or month) is the bucket of every time axis."""
    if period not in PERIODS:
        raise ValueError(f"report period must be one of {', '.join(PERIODS)}, not {period!r}")
    zone = display_timezone or DEFAULT_TIMEZONE
    set_display_timezone(connection, zone)
    # Entities with a mention, linked or not, are the maintained totals' rows (a count, not a distinct over every
    # mention).
    if report_maintenance.counts_are_maintained(connection):
        entities_mentioned, unlinked_names = (
            f"(SELECT count(*) FROM report_entity_totals t JOIN entities e USING (entity_id) "
            f"WHERE {linked}e.linked AND t.mentions > 0)" for linked in ("", "NOT "))
    else:
        entities_mentioned, unlinked_names = (
            f"(SELECT count(DISTINCT m.entity_id) FROM mentions m JOIN entities e USING (entity_id) WHERE {linked}e.linked)"
            for linked in ("", "NOT "))
    counts = connection.sql(
        "SELECT (SELECT count(*) FROM articles) AS articles, (SELECT count(*) FROM mentions) AS mentions, "
        f"{entities_mentioned} AS entities_mentioned, {unlinked_names} AS unlinked_names, "
        "(SELECT min(published_at)::DATE FROM articles) AS first_day, "
        "(SELECT max(published_at)::DATE FROM articles) AS last_day").pl().row(0, named=True)
    top = _top_entities(connection, zone)
    timeline_names = top["name"].head(TIMELINE_ENTITIES).to_list()
    frequency = _frequency(connection, top.head(TIMELINE_ENTITIES), period, zone)
    if counts["first_day"] is not None and frequency.height:
        calendar = _calendar(counts["first_day"], counts["last_day"], period)
        timeline = _zero_filled(frequency, calendar, frequency["entity"].unique(maintain_order=True).to_list())
    else:
        timeline = pl.DataFrame(schema={"period_start": pl.Date, "entity": pl.String, "mentions": pl.Int64,
                                        "articles": pl.Int64})
    pairs = (connection.execute(
        "SELECT entity_a, entity_b, units_with_both AS together, npmi, g2 FROM report_entity_pairs "
        "WHERE unit_window = ? AND month IS NULL", [unit_window]).pl()
        if _has_table(connection, "report_entity_pairs") else
        pl.DataFrame(schema={"entity_a": pl.String, "entity_b": pl.String, "together": pl.Int64,
                             "npmi": pl.Float64, "g2": pl.Float64}))
    both_ways = pl.concat([pairs, pairs.rename({"entity_a": "entity_b", "entity_b": "entity_a"})
                          .select(pairs.columns)]).rename({"entity_a": "entity", "entity_b": "partner"})
    partners = (both_ways.filter(pl.col("entity").is_in(timeline_names))
                .sort(["together", "npmi", "partner"], descending=[True, True, False])
                .group_by("entity", maintain_order=True).head(PARTNERS))
    matrix_names = top["name"].head(MATRIX_ENTITIES).to_list()
    matrix = both_ways.filter(pl.col("entity").is_in(matrix_names) & pl.col("partner").is_in(matrix_names))
    figures = connection.execute(
        f"""SELECT e.name AS entity, f.unit, f.value, f.surface, a.published_at::DATE AS day, a.title
            FROM figure_entity_links l
            JOIN entities e USING (entity_id)
            JOIN figures f ON f.article_id = l.article_id AND f.field = l.field AND f.char_start = l.figure_char_start
            JOIN articles a ON a.article_id = l.article_id
            WHERE e.linked AND a.published_at IS NOT NULL AND f.value IS NOT NULL AND f.unit IS NOT NULL AND list_contains(?, e.name)
            ORDER BY a.published_at DESC, f.char_start LIMIT {FIGURES_CAP}""", [timeline_names]).pl()
    unlinked = run_report(connection, find_report("unlinked_candidates"), {"top": UNLINKED}, display_timezone=zone)
    if unlinked.height and "promote_command" not in unlinked.columns:   # sql/unlinked_candidates.sql may give it
        unlinked = unlinked.with_columns(pl.struct("entity_id", "entity_type").map_elements(   # <= UNLINKED rows
            lambda row: promote_command(row["entity_id"], row["entity_type"]), return_dtype=pl.String)
            .alias("promote_command"))
    if unlinked.height:
        unlinked = unlinked.select("name", "entity_type", "mentions", "articles", "surfaces", "promote_command")
    return {"period": period, "unit_window": unit_window, "timezone": zone, "counts": counts, "top_entities": top,
            "timeline": timeline, "partners": partners, "matrix": matrix, "matrix_entities": matrix_names,
            "figures": figures, "unlinked": unlinked, "pairs": pairs.sort("g2", descending=True).head(20)}


def markdown_table(frame: pl.DataFrame, *, limit: int = 10) -> str:
    """A Markdown table (for Dagster metadata and docs)."""
    head = frame.head(limit)
    if not head.height:
        return "_(none)_"
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join("" if v is None else str(v).replace("|", "\\|") for v in row) + " |"
              for row in head.iter_rows()]
    return "\n".join(lines)
