"""The `sql/` reports against a hand-checked fixture warehouse, through Kronika and through the DuckDB CLI.

The fixture (tests/fixtures/report_corpus/report_fixture.py) has four articles and these sentence units:
a1: title + 4 body sentences, a2: title + 3, a3: title + 3, a4: title + 1, so N = 15 sentences.
Sentences mentioning Russia: 5 (a1 s0, a1 s2, a2 s0, a3 s1, a4 s0); NATO: 4 (a1 s1, a1 s2, a2 s0, a3 s0);
Ukraine: 6; Russia and NATO together: 2 (a1 s2 "Russia warned NATO.", a2 s0 "Rusia kritikoi NATO-n.").

PMI(Russia, NATO) = log2(2 * 15 / (5 * 4)) = log2(1.5) = 0.5849625
NPMI = 0.5849625 / -log2(2 / 15) = 0.5849625 / 2.9068906 = 0.2012331

G² over the 2x2 table of sentences:      with NATO   without NATO
                         with Russia      O=2 E=4/3     O=3 E=11/3
                         without Russia   O=2 E=8/3     O=8 E=22/3
G² = 2 (2 ln 1.5 + 3 ln(9/11) + 2 ln(3/4) + 8 ln(12/11))
   = 2 (0.8109302 - 0.6020121 - 0.5753641 + 0.6960910) = 2 * 0.3296450 = 0.6592900
Positive, because 2 > E = 4/3 (the pair is attracted)."""

from __future__ import annotations

import importlib.util
import math
import re
import shlex
import subprocess
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.lib import warehouse
from pipelines.lib.reports import (
    ReportTableMissingError, coerce_parameter, find_report, list_reports, materialize_report, parameter_defaults,
    run_report, statements,
)
from pipelines.lib.settings import PROJECT_ROOT

FIXTURE_MODULE = PROJECT_ROOT / "tests" / "fixtures" / "report_corpus" / "report_fixture.py"
DUCKDB_CLI = PROJECT_ROOT / ".venv" / "bin" / "duckdb"


def load_fixture_module():
    spec = importlib.util.spec_from_file_location("report_fixture", FIXTURE_MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_materialised_warehouse(path: Path) -> Path:
    """The fixture warehouse with every `-- materialize:` report table built, as `kronika run` leaves it."""
    load_fixture_module().build_report_warehouse(path)
    connection = duckdb.connect(str(path), config=warehouse.CONNECTION_CONFIG)
    try:
        for report in list_reports():
            if report.materialize_as:
                materialize_report(connection, report)
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    return path


@pytest.fixture(scope="module")
def warehouse_path(tmp_path_factory) -> Path:
    return build_materialised_warehouse(tmp_path_factory.mktemp("reports") / "kronika.duckdb")


@pytest.fixture()
def connection(warehouse_path):
    connection = duckdb.connect(str(warehouse_path), read_only=True)
    yield connection
    connection.close()


def report(connection, name: str, **values) -> pl.DataFrame:
    return run_report(connection, find_report(name), values)


def example_parameters(example: str) -> dict[str, object]:
    """`.venv/bin/kronika report NAME --param a=b --param c=d` -> {a: b, c: d}, coerced as the CLI does."""
    words = shlex.split(example)
    return {word.split("=", 1)[0]: coerce_parameter(word.split("=", 1)[1])
            for flag, word in zip(words, words[1:]) if flag == "--param"}


# ---- every file ---------------------------------------------------------------------------------

def test_every_report_has_a_description_and_both_examples():
    for each in list_reports():
        assert each.description, each.name
        assert any(e.startswith(f".venv/bin/kronika report {each.name}") for e in each.examples), each.name
        assert any(f".read sql/{each.name}.sql" in e for e in each.examples), each.name


def test_every_report_runs_with_its_example_parameters(connection):
    for each in list_reports():
        kronika_example = next(e for e in each.examples if e.startswith(".venv/bin/kronika report"))
        result = run_report(connection, each, example_parameters(kronika_example))
        assert result.width >= 3, each.name


def test_every_report_gives_the_same_result_with_its_header_defaults_spelled_out(connection):
    """The header documents the defaults; the SQL's coalesce() must apply the same ones."""
    for each in list_reports():
        values = {"entity": "Russia"} if any(p.name == "entity" for p in each.parameters) else {}
        implicit = run_report(connection, each, values)
        explicit = run_report(connection, each, parameter_defaults(each) | values)
        assert implicit.equals(explicit), each.name


def test_no_materialised_report_reads_another_report_table():
    """The report-table assets only depend on the warehouse tables, so none may read a report_* table."""
    for each in list_reports():
        if each.materialize_as:
            assert not re.search(r"\breport_\w+", "\n".join(statements(each.sql))), each.name


# ---- counts -------------------------------------------------------------------------------------

def test_top_entities_counts_mentions_and_articles(connection):
    top = report(connection, "top_entities")
    assert top.select("name", "mentions", "articles").rows() == [
        ("Ukraine", 6, 4), ("Russia", 5, 4), ("NATO", 4, 3), ("O'Brien", 2, 2)]
    assert report(connection, "top_entities", entity_type="PERSON")["name"].to_list() == ["O'Brien"]


def test_mention_frequency_by_week_uses_the_local_calendar(connection):
    weeks = report(connection, "mention_frequency", entity="russia")
    # a4 is 23:30 UTC on Sunday 9 November, already Monday 10 November (W46) in Tirana.
    assert weeks.select("period", "mentions", "articles").rows() == [
        ("2025-W41", 2, 1), ("2025-W42", 1, 1), ("2025-W45", 1, 1), ("2025-W46", 1, 1)]
    days = report(connection, "mention_frequency", entity="gpe:iso:RU", period="day")
    assert days["period"].to_list()[-1] == "2025-11-10"
    in_utc = report(connection, "mention_frequency", entity="Russia", period="day", timezone="UTC")
    assert in_utc["period"].to_list()[-1] == "2025-11-09"


def test_mention_frequency_by_month_with_filters(connection):
    months = report(connection, "mention_frequency", period="month")
    ukraine = months.filter(pl.col("entity") == "Ukraine").select("period", "mentions", "articles").rows()
    assert ukraine == [("2025-10", 4, 2), ("2025-11", 2, 2)]
    albanian = report(connection, "mention_frequency", period="month", body_language="sq")
    assert dict(albanian.select("entity", "mentions").rows()) == {"Ukraine": 2, "Russia": 1, "NATO": 1, "O'Brien": 1}
    reuters_gpe = report(connection, "mention_frequency", period="month", outlet="reuters", entity_type="gpe")
    assert sorted(reuters_gpe["entity"].unique().to_list()) == ["Russia", "Ukraine"]
    opinion = report(connection, "mention_frequency", section_norm="opinion")
    assert sorted(opinion.select("entity", "mentions").rows()) == [("NATO", 1), ("O'Brien", 1), ("Russia", 1), ("Ukraine", 1)]
    assert report(connection, "mention_frequency", top=2)["entity"].unique().sort().to_list() == ["Russia", "Ukraine"]


def test_pair_table_pmi_npmi_jaccard_and_g2_match_the_hand_computation(connection):
    pair = connection.sql(
        "SELECT * FROM report_entity_pairs WHERE unit_window = 'sentence' AND month IS NULL "
        "AND entity_a_id = 'gpe:iso:RU' AND entity_b_id = 'org:nato'").pl().row(0, named=True)
    assert (pair["units"], pair["units_with_a"], pair["units_with_b"], pair["units_with_both"]) == (15, 5, 4, 2)
    assert pair["pmi"] == pytest.approx(math.log2(1.5))
    assert pair["npmi"] == pytest.approx(0.2012331, abs=1e-6)
    assert pair["jaccard"] == pytest.approx(2 / 7)
    g2 = 2 * (2 * math.log(1.5) + 3 * math.log(9 / 11) + 2 * math.log(3 / 4) + 8 * math.log(12 / 11))
    assert pair["g2"] == pytest.approx(g2) and pair["g2"] == pytest.approx(0.65929, abs=1e-5)


def test_pair_table_windows_and_months(connection):
    units = dict(connection.sql("SELECT unit_window, max(units) FROM report_entity_pairs WHERE month IS NULL "
                                "GROUP BY ALL").fetchall())
    assert units == {"sentence": 15, "paragraph": 11, "article": 4}
    october = report(connection, "cooccurrence", month="2025-10", min_support=1, rank_by="count")
    russia_nato = october.filter((pl.col("entity_a") == "Russia") & (pl.col("entity_b") == "NATO")).row(0, named=True)
    assert (russia_nato["units_with_both"], russia_nato["units"]) == (2, 9)   # a1 (5 sentences) + a2 (4)
    # Ukraine and NATO never share a sentence, but share three articles.
    sentence_pairs = report(connection, "cooccurrence", min_support=1)
    assert not sentence_pairs.filter((pl.col("entity_a") == "Ukraine") & (pl.col("entity_b") == "NATO")).height
    article_pairs = report(connection, "cooccurrence", unit_window="article", min_support=3, rank_by="count")
    assert article_pairs.select("entity_a", "entity_b", "units_with_both").rows()[0] == ("Russia", "Ukraine", 4)


def test_pair_build_run_for_one_window_or_month_matches_the_stored_table(connection):
    """The build step keys units by packed integers; run ad hoc for one slice it must agree with the table."""
    paragraph = report(connection, "entity_pairs", unit_window="paragraph")
    stored = connection.sql("SELECT * FROM report_entity_pairs WHERE unit_window = 'paragraph' "
                            "ORDER BY month NULLS FIRST, units_with_both DESC, entity_a_id, entity_b_id").pl()
    assert paragraph.height and paragraph.equals(stored)
    november = report(connection, "entity_pairs", month="2025-11")
    assert set(november["month"].unique().to_list()) == {None, "2025-11"}
    stored_november = connection.sql("SELECT * FROM report_entity_pairs WHERE month = '2025-11' OR month IS NULL "
                                     "ORDER BY unit_window, month NULLS FIRST, units_with_both DESC, "
                                     "entity_a_id, entity_b_id").pl()
    assert november.equals(stored_november)


def test_cooccurrence_pairs_counts_sentences_and_articles(connection):
    # Sentences: Russia+Ukraine in a1 s0 and a4 s0, Russia+NATO in a1 s2 and a2 s0, O'Brien+Ukraine in a2 s2,
    # O'Brien+NATO in a3 s0. Articles: Russia+Ukraine in all four, Russia+NATO and Ukraine+NATO in a1-a3,
    # O'Brien with each of the others in a2 and a3. Zeta Corp is not linked.
    pairs = report(connection, "cooccurrence_pairs")
    assert pairs.rows() == [("Russia", "Ukraine", 2, 4), ("Russia", "NATO", 2, 3), ("NATO", "O'Brien", 1, 2),
                            ("Ukraine", "O'Brien", 1, 2), ("Ukraine", "NATO", 0, 3), ("Russia", "O'Brien", 0, 2)]
    assert report(connection, "cooccurrence_pairs", min_articles=3, top=2).rows() == [
        ("Russia", "Ukraine", 2, 4), ("Russia", "NATO", 2, 3)]


def test_keyword_in_context_cuts_the_newest_sentences_after_ranking(connection):
    newest = report(connection, "keyword_in_context", entity="Ukraine", top=1)
    assert newest.select("sentence", "source_path").rows() == [("Ukraine and Russia signed a truce.", "en/a4.txt")]
    assert report(connection, "keyword_in_context", entity="Ukraine").height == 6


def test_unlinked_candidates_respects_min_articles_and_top(connection):
    assert report(connection, "unlinked_candidates", min_articles=2).height == 0
    assert report(connection, "unlinked_candidates", top=0).height == 0


def test_figures_by_entity_without_an_entity_lists_every_linked_figure(connection):
    every = report(connection, "figures_by_entity")
    # "5 percent" shares its sentence with Ukraine only; "2 billion euros" with Ukraine and Zeta Corp.
    assert sorted(every.select("entity", "surface").rows()) == [
        ("Ukraine", "2 billion euros"), ("Ukraine", "5 percent"), ("Zeta Corp", "2 billion euros")]
    assert report(connection, "figures_by_entity", unit="eur")["surface"].to_list() == ["2 billion euros"] * 2


def test_cooccurrence_ranks_and_filters_by_support(connection):
    by_npmi = report(connection, "cooccurrence", min_support=1)
    assert by_npmi["npmi"].to_list() == sorted(by_npmi["npmi"].to_list(), reverse=True)
    assert report(connection, "cooccurrence")["units_with_both"].min() >= 2
    with pytest.raises(duckdb.Error, match="rank_by must be"):
        report(connection, "cooccurrence", rank_by="popularity")


def test_neighbourhood_accepts_name_albanian_name_or_id_in_any_case(connection):
    expected = [("NATO", 2), ("Ukraine", 2)]
    for spelling in ("Russia", "RUSIA", "gpe:iso:RU", "gpe:russia"):  # the last: an id from before a rename
        partners = report(connection, "entity_neighbourhood", entity=spelling, rank_by="g2")
        assert partners.select("partner", "together").rows() == expected, spelling
    assert report(connection, "entity_neighbourhood", entity="NATO", min_support=1,
                  unit_window="article").row(0, named=True)["partner"] == "O'Brien"


def test_trend_compares_the_period_with_the_one_before(connection):
    russia = report(connection, "entity_trend", entity="Russia", period="month", as_of="2025-11-15").row(0, named=True)
    assert (russia["mentions_current"], russia["mentions_previous"], russia["change"]) == (2, 3, -1)
    assert russia["change_pct"] == pytest.approx(-33.3)
    movers = report(connection, "entity_trend", period="month", as_of="2025-11-15")
    # Ukraine 4 -> 2 and NATO 3 -> 1 fall most; the tie goes to the one with more mentions now.
    assert movers.select("entity", "change").rows()[:2] == [("Ukraine", -2), ("NATO", -2)]
    latest_week = report(connection, "entity_trend", entity="NATO")   # as_of defaults to the newest article: W46
    assert latest_week.select("mentions_current", "mentions_previous").row(0) == (0, 1)


def test_keyword_in_context_shows_the_sentences_of_an_entity_pair(connection):
    hits = report(connection, "keyword_in_context", entity="Russia", partner="nato")
    assert hits["sentence"].to_list() == ["Rusia kritikoi NATO-n.", "Russia warned NATO."]
    assert hits["source_path"].to_list() == ["sq/a2.txt", "en/a1.txt"]
    # Character offsets after Albanian letters (ë) still cut the right sentence.
    inflected = report(connection, "keyword_in_context", entity="Ukraine")
    assert "O'Brien foli për Ukrainën." in inflected["sentence"].to_list()
    assert "Ukrainën" in inflected["surfaces"].to_list()


def test_figures_by_entity_reads_the_figure_entities_view(connection):
    ukraine = report(connection, "figures_by_entity", entity="ukraine")
    assert sorted(ukraine["surface"].to_list()) == ["2 billion euros", "5 percent"]
    percent = report(connection, "figures_by_entity", entity="Ukraine", unit="percent")
    assert percent.select("value", "sentence").rows() == [(5.0, "Prices rose 5 percent in Ukraine.")]


def test_unlinked_candidates_lists_only_names_outside_the_gazetteer(connection):
    candidates = report(connection, "unlinked_candidates")
    assert candidates.select("name", "mentions", "example_sentence").rows() == [
        ("Zeta Corp", 1, "Zeta Corp paid 2 billion euros to Ukraine.")]


# ---- parameters are data ------------------------------------------------------------------------

def test_a_name_with_a_quote_is_a_value(connection):
    hits = report(connection, "keyword_in_context", entity="O'Brien")
    assert hits["sentence"].to_list() == ["O'Brien met NATO leaders.", "O'Brien foli për Ukrainën."]
    assert report(connection, "mention_frequency", entity="o'brien")["mentions"].sum() == 2


def test_sql_in_a_parameter_is_treated_as_data(warehouse_path):
    attack = "'; DROP TABLE articles; --"
    connection = duckdb.connect(str(warehouse_path))   # writable, so a successful injection would show
    try:
        assert report(connection, "mention_frequency", entity=attack).height == 0
        assert report(connection, "top_entities", entity_type=attack).height == 0
        with pytest.raises(duckdb.Error, match="no entity named '; DROP TABLE"):
            report(connection, "keyword_in_context", entity=attack)
        assert connection.sql("SELECT count(*) FROM articles").fetchall()[0][0] == 4
    finally:
        connection.close()


def test_unknown_parameters_and_entities_are_explained(connection):
    with pytest.raises(ValueError, match="has no parameter colour"):
        report(connection, "top_entities", colour="red")
    with pytest.raises(duckdb.Error, match="no entity named Atlantis"):
        report(connection, "entity_neighbourhood", entity="Atlantis")
    with pytest.raises(duckdb.Error, match="entity is required"):
        report(connection, "keyword_in_context")


def test_a_missing_report_table_says_how_to_build_it(tmp_path):
    path = load_fixture_module().build_report_warehouse(tmp_path / "bare.duckdb")
    connection = duckdb.connect(str(path), read_only=True)
    try:
        with pytest.raises(ReportTableMissingError, match="report_entity_pairs is missing.*kronika run"):
            report(connection, "cooccurrence")
    finally:
        connection.close()


def test_statements_ignore_semicolons_in_comments_and_strings():
    sql = "-- header; with a semicolon\nSELECT 'a;b' AS x; -- trailing; comment\nSELECT \"c;d\" FROM t;\n"
    assert statements(sql) == ["SELECT 'a;b' AS x", 'SELECT "c;d" FROM t']


# ---- the DuckDB CLI -----------------------------------------------------------------------------

def cli_example(each) -> list[str]:
    """The documented `.venv/bin/duckdb -readonly warehouse/kronika.duckdb -c "SET VARIABLE ..." -c ".read sql/x.sql"`."""
    example = next(e for e in each.examples if ".read sql/" in e)
    return shlex.split(example.split("duckdb", 1)[1])


def cli_parameters(each) -> dict[str, object]:
    example = next(e for e in each.examples if ".read sql/" in e)
    return {match[1]: coerce_parameter(match[2] if match[2] is not None else match[3])
            for match in re.finditer(r"SET VARIABLE (\w+) = (?:'([^']*)'|([\d.]+))", example)}


def test_every_report_runs_in_the_duckdb_cli_as_documented(warehouse_path, connection):
    """Runs each file's documented CLI example against the fixture file and compares with Kronika's result."""
    assert DUCKDB_CLI.exists(), f"{DUCKDB_CLI} is missing: install the duckdb-cli package into .venv"
    for each in list_reports():
        words = cli_example(each)
        assert words[:2] == ["-readonly", "warehouse/kronika.duckdb"], each.name
        argv = [str(DUCKDB_CLI), "-csv", "-readonly", str(warehouse_path), *words[2:]]
        completed = subprocess.run(argv, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
        assert completed.returncode == 0 and "Error" not in completed.stdout + completed.stderr, \
            f"{each.name}: {completed.stdout}{completed.stderr}"
        from_kronika = run_report(connection, each, cli_parameters(each))
        if not completed.stdout.strip():
            assert from_kronika.height == 0, each.name
            continue
        from_cli = pl.read_csv(completed.stdout.encode(), infer_schema=False)
        assert from_cli.columns == from_kronika.columns, each.name
        assert from_cli.height == from_kronika.height, each.name
        first_text_column = next(c for c, t in from_kronika.schema.items() if t == pl.String)
        assert from_cli[first_text_column].to_list() == from_kronika[first_text_column].to_list(), each.name


def test_report_times_shown_in_the_configured_zone_with_offset(tmp_path):
    """9 janar 2026 (day precision, stored as 2026-01-08 23:00 UTC) reads as that day in Europe/Tirane."""
    import duckdb as duckdb_module

    from pipelines.lib.reports import parse_report, run_report

    report_file = tmp_path / "times.sql"
    report_file.write_text(
        "-- description: times of the articles\n"
        "-- param: timezone = UTC  -- the zone whose calendar decides the day\n"
        "SELECT published_at, published_at::DATE AS published_on, getvariable('timezone') AS zone FROM articles\n")
    connection = duckdb_module.connect()
    connection.execute("CREATE TABLE articles (published_at TIMESTAMPTZ)")
    connection.execute("INSERT INTO articles VALUES ('2026-01-08 23:00:00+00')")
    shown = run_report(connection, parse_report(report_file), display_timezone="Europe/Tirane").row(0, named=True)
    assert shown["published_at"].isoformat() == "2026-01-09T00:00:00+01:00"
    assert str(shown["published_on"]) == "2026-01-09" and shown["zone"] == "Europe/Tirane"
    # The same instant: storage is unchanged, only the session zone differs.
    assert connection.execute("SELECT epoch(published_at) FROM articles").fetchone()[0] == 1767913200
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        run_report(connection, parse_report(report_file), display_timezone="Mars/Olympus")


def test_report_tables_cast_dates_in_the_zone_given_as_the_cli_does(tmp_path):
    # a4 is published at 23:30 UTC on 9 November: 10 November in Tirana (KRONIKA_TIMEZONE's default).
    path = tmp_path / "kronika.duckdb"
    load_fixture_module().build_report_warehouse(path)
    top = find_report("top_entities")
    with duckdb.connect(str(path), config=warehouse.CONNECTION_CONFIG) as connection:
        connection.execute("SET TimeZone = 'UTC'")
        materialize_report(connection, top, timezone="Europe/Tirane")
        tirana = dict(connection.sql("SELECT name, last_seen FROM report_top_entities").fetchall())
        assert connection.sql("SELECT current_setting('TimeZone')").fetchall() == [("UTC",)]  # restored
        materialize_report(connection, top)
        utc = dict(connection.sql("SELECT name, last_seen FROM report_top_entities").fetchall())
        cli = dict(run_report(connection, top, {"top": 20}, display_timezone="Europe/Tirane")
                   .select("name", "last_seen").iter_rows())
    assert str(tirana["Ukraine"]) == "2025-11-10" and str(utc["Ukraine"]) == "2025-11-09"
    assert tirana == cli
