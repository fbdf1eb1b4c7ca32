"""The maintained counts equal a from-scratch run of sql/entity_pairs.sql (and the tables derived from them their
sql/ files) after every kind of batch.

Real `kronika run` batches over a synthetic corpus: new files, changed files, stale articles re-extracted, files
removed and purged, and counts thrown away (rebuilt whole); after each, the view and the full build must agree."""

import random

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.defs.oneshot import run_pipeline
from pipelines.lib import report_maintenance, warehouse
from pipelines.lib.reports import (
    bind_parameters, find_report, refresh_maintained_tables, run_report, set_display_timezone, statements,
)
from pipelines.lib.settings import DEFAULT_TIMEZONE, Settings
from pipelines.tooling.synthetic import generate_corpus

KEYS = ["unit_window", "month", "entity_a_id", "entity_b_id"]


def assert_maintained_equals_rebuild(build_path) -> int:
    connection = duckdb.connect(str(build_path), read_only=True)
    try:
        kind = connection.execute("SELECT table_type FROM information_schema.tables "
                                  "WHERE table_name = 'report_entity_pairs'").fetchall()
        assert kind == [("VIEW",)]
        rebuilt = run_report(connection, find_report("entity_pairs")).sort(KEYS, nulls_last=True)
        maintained = connection.sql("SELECT * FROM report_entity_pairs").pl().sort(KEYS, nulls_last=True)
        derived_tables = assert_derived_tables_equal_files(connection)
    finally:
        connection.close()
    assert rebuilt.height > 0
    assert_frame_equal(maintained, rebuilt, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)
    assert derived_tables == {"report_top_entities", "report_cooccurrence_pairs"}
    return rebuilt.height


def assert_derived_tables_equal_files(connection) -> set[str]:
    """The report tables built from the counts hold what their sql/ files give, with the defaults (the stored table)
    and with other parameters (the counts computed on the same connection). The run built the tables with dates in
    KRONIKA_TIMEZONE (the settings' default here), as `kronika report` shows them: the files run in that zone too."""
    set_display_timezone(connection, DEFAULT_TIMEZONE)
    checked = set()
    for report_name, table, other_values in (
            ("top_entities", "report_top_entities", [{"top": 3}, {"top": 500}, {"entity_type": "PERSON", "top": 7}]),
            ("cooccurrence_pairs", "report_cooccurrence_pairs", [{"top": 500}, {"min_articles": 2, "top": 5}])):
        report = find_report(report_name)
        stored = connection.sql(f"SELECT * FROM {table}").pl()
        assert stored.height > 0
        assert_frame_equal(stored, run_report(connection, report))
        for values in other_values:
            from_file = run_report(connection, report, values)
            derived = connection.sql(report_maintenance.DERIVED_REPORTS[table]).pl()  # run_report bound `values`
            assert_frame_equal(derived, from_file)
        checked.add(table)
    assert_maintained_queries_equal_files(connection)
    return checked


def assert_maintained_queries_equal_files(connection) -> None:
    """A query report that ranks on the maintained counts (`kronika report`, the HTML report) gives the rows its
    sql/ file gives when run as written, with several parameters; the totals count every entity's mentions."""
    assert report_maintenance.counts_are_maintained(connection)
    totals = connection.sql("SELECT entity_id, mentions, articles FROM report_entity_totals").pl().sort("entity_id")
    counted = connection.sql("SELECT entity_id, count(*) AS mentions, count(DISTINCT article_id) AS articles "
                             "FROM mentions GROUP BY ALL").pl().sort("entity_id")
    assert_frame_equal(totals, counted, check_dtypes=False)
    assert connection.sql("SELECT count(*) FROM report_entity_totals JOIN entities USING (entity_id) "
                          "WHERE NOT linked").fetchall()[0][0] > 0
    report = find_report("unlinked_candidates")
    for values in ({}, {"top": 3}, {"min_articles": 2, "top": 500}):
        maintained = run_report(connection, report, values)
        bind_parameters(connection, report, values)
        as_written = connection.sql(statements(report.sql)[-1]).pl()
        assert maintained.height > 0
        assert_frame_equal(maintained, as_written)
        assert report_maintenance.maintained_form(connection, report.name, statements(report.sql)[-1]) != \
            statements(report.sql)[-1]


def change_some_files(paths, rng, count):
    """Rewrite files so their article is replaced: a sentence naming gazetteer entities is added to the body."""
    for path in rng.sample(paths, count):
        path.write_text(path.read_text(encoding="utf-8") + "\n\nNATO and Russia met in Tirana with Edi Rama.\n",
                        encoding="utf-8")


@pytest.fixture()
def settings(tmp_path):
    raw = tmp_path / "raw"
    generate_corpus(raw / "first", 40, seed=11, words=160)
    return Settings(raw_dir=raw, warehouse_path=tmp_path / "warehouse" / "kronika.duckdb")


def test_pair_counts_follow_random_batches_exactly(settings):
    rng = random.Random(5)
    build = warehouse.build_path_for(settings.warehouse_path)
    run_pipeline(settings, show_progress=False)
    first_rows = assert_maintained_equals_rebuild(build)

    # New files and changed files in one batch (changed files retire their old article).
    change_some_files(sorted((settings.raw_dir / "first").rglob("*.txt")), rng, 6)
    generate_corpus(settings.raw_dir / "second", 15, seed=12, words=160, first_index=1_000)
    assert run_pipeline(settings, show_progress=False).files_ingested == 21
    assert assert_maintained_equals_rebuild(build) != first_rows

    # Stale articles are re-extracted from the stored text while removed files are marked missing.
    with warehouse.writer(build) as connection:
        ids = [row[0] for row in connection.execute("SELECT article_id FROM articles ORDER BY article_id").fetchall()]
        connection.execute("UPDATE articles SET extraction_version = 'older rules' WHERE article_id IN "
                           f"({', '.join('?' * 10)})", rng.sample(ids, 10))
    for path in rng.sample(sorted(settings.raw_dir.rglob("*.txt")), 7):
        path.unlink()
    run_pipeline(settings, show_progress=False)
    with warehouse.writer(build) as connection:
        assert warehouse.count_stale_articles(connection, "older rules") == len(ids)  # every article re-extracted
    assert_maintained_equals_rebuild(build)

    # Purging the missing files' articles subtracts their counts.
    with warehouse.writer(build) as connection:
        assert warehouse.purge_missing(connection) == 7
        # as `kronika purge-missing` does: the tables built from the counts follow them
        assert sorted(refresh_maintained_tables(connection, timezone=DEFAULT_TIMEZONE)) == ["report_cooccurrence_pairs", "report_top_entities"]
    assert_maintained_equals_rebuild(build)

    # Counts that cannot be trusted (here: their state row is gone) are rebuilt whole by the next batch.
    with warehouse.writer(build) as connection:
        connection.execute("DELETE FROM report_pair_state")
        connection.execute("UPDATE report_pair_counts SET units_with_both = units_with_both + 1")
    generate_corpus(settings.raw_dir / "third", 5, seed=13, words=160, first_index=2_000)
    run_pipeline(settings, show_progress=False)
    assert_maintained_equals_rebuild(build)


def test_a_run_after_a_change_of_zone_rebuilds_the_report_tables_in_it(settings):
    from dataclasses import replace

    def stored_top(zone: str):
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
            stored = connection.sql("SELECT * FROM report_top_entities").pl()
            assert_frame_equal(stored, run_report(connection, find_report("top_entities"), display_timezone=zone))
        return stored

    assert not run_pipeline(settings, show_progress=False).up_to_date
    tirana = stored_top(settings.timezone)
    assert run_pipeline(settings, show_progress=False).up_to_date  # nothing new, same zone: nothing rebuilt
    # Nine hours west: the first/last days of some entities move back a day.
    pacific = replace(settings, timezone="America/Los_Angeles")
    summary = run_pipeline(pacific, show_progress=False)
    assert not summary.up_to_date and summary.files_ingested == 0
    los_angeles = stored_top("America/Los_Angeles")
    assert not los_angeles.equals(tirana)
    assert run_pipeline(pacific, show_progress=False).up_to_date
