"""The warehouse asset checks fail on the faults they guard against, and pass on a clean batch."""

import dagster as dg
import duckdb
import polars as pl

from pipelines.defs.checks import warehouse_check_results
from pipelines.lib.warehouse import ensure_schema


def warehouse_with_one_article(path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path))
    ensure_schema(connection)
    connection.execute("""INSERT INTO articles (article_id, source_path, content_sha256, title, body, extraction_version,
                          ingested_at, published_at) VALUES ('a1', 'a.txt', 'sha', 'Putin in Ankara', 'Putini foli.', 'v', now(), now())""")
    connection.execute("""INSERT INTO source_files (source_path, content_sha256, status, article_id, first_seen_at, last_seen_at)
                          VALUES ('a.txt', 'sha', 'ingested', 'a1', now(), now())""")
    connection.execute("INSERT INTO entities VALUES ('person:vladimir_putin', 'Vladimir Putin', 'PERSON', 'Q7747', NULL, true)")
    connection.execute("""INSERT INTO mentions VALUES ('a1', 'person:vladimir_putin', 'Putin', 'title', 0, 0, 0, 5, 'alias', NULL),
                                                      ('a1', 'person:vladimir_putin', 'Putini', 'body', 0, 0, 0, 6, 'inflected', NULL)""")
    return connection


# The texts the batch extracted and stored for a1 (the checks judge offsets against them).
TEXTS = pl.DataFrame({"article_id": ["a1", "a1"], "field": ["title", "body"],
                      "text": ["Putin in Ankara", "Putini foli."]})


def check(connection, texts: pl.DataFrame = TEXTS) -> list[dg.AssetCheckResult]:
    """The checks of a batch that wrote a1, given the rows it wrote (here: what the tables hold, faults included)."""
    return warehouse_check_results(connection, ["a1"], ["a.txt"], texts,
                                   mentions=connection.sql("SELECT * FROM mentions").pl(),
                                   figures=connection.sql("SELECT * FROM figures").pl(),
                                   sentences=connection.sql("SELECT * FROM sentences").pl())


def results(connection) -> dict[str, bool]:
    return {r.check_name: r.passed for r in check(connection)}


def test_a_clean_batch_passes_every_check(tmp_path):
    assert all(results(warehouse_with_one_article(tmp_path / "w.duckdb")).values())


def test_a_mention_outside_its_text_fails(tmp_path):
    connection = warehouse_with_one_article(tmp_path / "w.duckdb")
    connection.execute("UPDATE mentions SET char_end = 99 WHERE field = 'body'")
    assert results(connection)["mentions_inside_text"] is False


def test_a_surface_that_does_not_match_its_offsets_fails(tmp_path):
    connection = warehouse_with_one_article(tmp_path / "w.duckdb")
    connection.execute("UPDATE mentions SET char_start = 1, char_end = 6 WHERE field = 'title'")
    assert results(connection)["mentions_inside_text"] is False


def test_orphan_mentions_and_files_without_article_fail(tmp_path):
    connection = warehouse_with_one_article(tmp_path / "w.duckdb")
    connection.execute("DELETE FROM articles")
    checks = results(connection)
    assert checks["no_orphan_rows"] is False
    assert checks["every_file_has_article_or_reason"] is False


def test_shares_warn_rather_than_fail(tmp_path):
    connection = warehouse_with_one_article(tmp_path / "w.duckdb")
    connection.execute("UPDATE articles SET published_at = NULL")
    found = next(r for r in check(connection) if r.check_name == "share_without_publication_date")
    assert found.passed is False and found.severity == dg.AssetCheckSeverity.WARN


def test_a_mention_on_a_field_without_text_fails(tmp_path):
    connection = warehouse_with_one_article(tmp_path / "w.duckdb")
    checks = check(connection, TEXTS.filter(pl.col("field") == "body"))
    assert {r.check_name: r.passed for r in checks}["mentions_inside_text"] is False


def test_a_figure_outside_its_text_fails(tmp_path):
    connection = warehouse_with_one_article(tmp_path / "w.duckdb")
    connection.execute("INSERT INTO figures (article_id, surface, value, unit, field, char_start, char_end) "
                       "VALUES ('a1', '99', 99, 'count', 'body', 10, 40)")
    assert results(connection)["figures_inside_text"] is False
