"""The HTML report's data and views: truthful tiles, zero-filled calendars, a legend for every colour, tooltips,
the promote command, and one offline page (the page in a real browser: tests/e2e/test_report_html_chromium.py)."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.lib import report_maintenance
from pipelines.lib.report_html import (
    markdown_table, promote_command, report_data, report_period_from_env, report_specs, write_html_report,
)
from pipelines.lib.report_html.data import _calendar, _zero_filled
from pipelines.lib.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def warehouse_path(tmp_path_factory) -> Path:
    spec = importlib.util.spec_from_file_location("report_tests", PROJECT_ROOT / "tests" / "lib" / "test_reports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_materialised_warehouse(tmp_path_factory.mktemp("report_html") / "kronika.duckdb")


@pytest.fixture()
def connection(warehouse_path):
    connection = duckdb.connect(str(warehouse_path), read_only=True)
    yield connection
    connection.close()


SERIES = pl.DataFrame({
    "period_start": [date(2025, 10, 6), date(2025, 10, 6), date(2025, 10, 13), date(2025, 10, 27)],
    "entity": ["Russia", "O'Brien", "Russia", "Russia"],
    "mentions": [4, 1, 2, 3], "articles": [2, 1, 1, 1],
})


def test_a_week_without_articles_is_a_zero_not_a_line_across_it():
    calendar = _calendar(date(2025, 10, 8), date(2025, 10, 29), "week")
    assert calendar.to_list() == [date(2025, 10, 6), date(2025, 10, 13), date(2025, 10, 20), date(2025, 10, 27)]
    filled = _zero_filled(SERIES, calendar, ["Russia", "O'Brien"])
    russia = filled.filter(pl.col("entity") == "Russia")
    assert russia["mentions"].to_list() == [4, 2, 0, 3]
    assert filled.filter(pl.col("entity") == "O'Brien")["mentions"].to_list() == [1, 0, 0, 0]
    assert _calendar(date(2025, 10, 31), date(2026, 1, 2), "month").to_list() == [
        date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]


def test_tiles_count_entities_mentioned_not_the_gazetteer(warehouse_path, tmp_path):
    copy = tmp_path / "kronika.duckdb"
    copy.write_bytes(warehouse_path.read_bytes())
    connection = duckdb.connect(str(copy))
    unlinked = connection.sql("SELECT count(DISTINCT entity_id) FROM mentions WHERE entity_id IN "
                              "(SELECT entity_id FROM entities WHERE NOT linked)").fetchall()[0][0]
    assert unlinked > 0
    # From the maintained counts as the run left them, then (a new linked entity) from the mentions themselves.
    assert report_maintenance.counts_are_maintained(connection)
    assert report_data(connection)["counts"]["unlinked_names"] == unlinked
    connection.execute("INSERT INTO entities (entity_id, name, entity_type, linked) "
                       "VALUES ('Q-never', 'Never Mentioned', 'PERSON', true)")   # in the gazetteer, in no article
    assert not report_maintenance.counts_are_maintained(connection)
    data = report_data(connection)
    counts = data["counts"]
    assert counts["unlinked_names"] == unlinked
    mentioned = connection.sql("SELECT count(DISTINCT entity_id) FROM mentions WHERE entity_id IN "
                               "(SELECT entity_id FROM entities WHERE linked)").fetchall()[0][0]
    gazetteer = connection.sql("SELECT count(*) FROM entities WHERE linked").fetchall()[0][0]
    assert counts["entities_mentioned"] == mentioned and mentioned < gazetteer
    assert counts["articles"] == connection.sql("SELECT count(*) FROM articles").fetchall()[0][0]
    # The timeline covers every week from the first article to the last, each entity on each week.
    weeks = data["timeline"]["period_start"].unique().sort()
    assert weeks[0] <= counts["first_day"] and weeks[-1] >= date.fromordinal(counts["last_day"].toordinal() - 6)
    assert weeks.diff().drop_nulls().dt.total_days().unique().to_list() == [7]
    assert data["timeline"].group_by("entity").len()["len"].unique().to_list() == [len(weeks)]


def test_the_top_entities_come_from_the_maintained_table(connection):
    maintained = connection.sql("SELECT * FROM report_top_entities ORDER BY mentions DESC, articles DESC, name").pl()
    assert report_data(connection)["top_entities"].equals(maintained)


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_the_timeline_counts_as_the_mention_frequency_report(connection, period):
    from pipelines.lib.reports import find_report, run_report
    data = report_data(connection, period=period)
    expected = run_report(connection, find_report("mention_frequency"), {"period": period, "top": 10}).select(
        "entity", pl.col("period_start").cast(pl.Date), "mentions", "articles")
    drawn = data["timeline"].filter(pl.col("mentions") > 0).select(expected.columns)
    assert drawn.sort("entity", "period_start").equals(expected.sort("entity", "period_start"))


def test_the_period_is_the_users_choice(connection, monkeypatch):
    assert report_data(connection, period="month")["timeline"]["period_start"].dt.day().unique().to_list() == [1]
    with pytest.raises(ValueError, match="day, week, month"):
        report_data(connection, period="fortnight")
    monkeypatch.setenv("KRONIKA_REPORT_PERIOD", "Day")
    assert report_period_from_env() == "day"
    monkeypatch.setenv("KRONIKA_REPORT_PERIOD", "year")
    with pytest.raises(ValueError, match="KRONIKA_REPORT_PERIOD"):
        report_period_from_env()


def test_promote_command_is_one_shell_command_with_the_candidate_as_one_argument(connection):
    command = promote_command("O'Brien & Co", "PERSON")
    assert shlex.split(command) == ["kronika", "entities", "promote", "O'Brien & Co", "--type", "PERSON"]
    assert promote_command("cand:zeta_corp", None) == "kronika entities promote cand:zeta_corp"
    unlinked = report_data(connection)["unlinked"]
    ids = dict(connection.sql("SELECT name, entity_id FROM entities WHERE NOT linked").fetchall())
    assert unlinked.height and all(shlex.split(command)[3] == ids[name]
                                   for name, command in unlinked.select("name", "promote_command").iter_rows())


def _marks(spec: dict):
    """Every unit spec (one with a mark) inside a composed spec."""
    if "mark" in spec:
        yield spec
    for key in ("hconcat", "vconcat", "layer"):
        for part in spec.get(key, []):
            yield from _marks(part)
    if "spec" in spec:
        yield from _marks(spec["spec"])


def test_every_view_has_tooltips_and_a_legend_for_every_colour(connection, monkeypatch):
    monkeypatch.setattr("pipelines.lib.report_html.views.VALIDATE", True)   # each spec valid Vega-Lite
    specs = report_specs(report_data(connection))
    assert list(specs) == ["chart-top-entities", "chart-mentions", "chart-entity", "chart-figures", "chart-matrix"]
    for name, spec in specs.items():
        for unit in _marks(spec):
            encoding = unit["encoding"]
            assert "tooltip" in encoding, name
            assert encoding.get("color", {}).get("legend", {}) is not None, name   # never legend: null
        for tooltip in (field for unit in _marks(spec) for field in unit["encoding"]["tooltip"]):
            if tooltip.get("type") == "temporal":   # a date read on the UTC calendar, not in the reader's zone;
                assert tooltip["timeUnit"].startswith("utc"), (name, tooltip)   # "utc" is no format type
                assert tooltip.get("formatType") in (None, "time"), (name, tooltip)
    mentions = specs["chart-mentions"]
    binds = [param.get("bind") for param in mentions["params"]]
    assert "legend" in binds and "scales" in binds   # click a legend entry to filter; zoom and pan the time axis
    assert mentions["encoding"]["x"]["scale"]["type"] == "utc"   # calendar days, not shifted by the browser's zone


def test_the_page_is_one_offline_file_with_every_view(connection, tmp_path):
    path = write_html_report(connection, tmp_path / "kronika.files" / "report.html")
    html = path.read_text()
    for element_id in ("chart-top-entities", "chart-mentions", "chart-entity", "chart-figures", "chart-matrix"):
        assert html.count(f'id="{element_id}"') == 1
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|@import", html)
    assert "window.vegaEmbed" in html and "Zeta Corp" in html and "kronika entities promote" in html
    charts = sorted(p.name for p in path.with_name("report-charts").glob("*.vl.json"))
    assert charts == ["entity.vl.json", "figures.vl.json", "matrix.vl.json", "mentions.vl.json",
                      "top-entities.vl.json"]
    for chart in path.with_name("report-charts").glob("*.vl.json"):
        assert json.loads(chart.read_text())["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_markdown_table_escapes_pipes():
    table = markdown_table(pl.DataFrame({"name": ["A|B"], "mentions": [3]}))
    assert table.splitlines() == ["| name | mentions |", "|---|---|", "| A\\|B | 3 |"]


def test_an_empty_warehouse_gets_a_page_that_says_so(tmp_path):
    from pipelines.lib import warehouse
    connection = duckdb.connect(str(tmp_path / "empty.duckdb"))
    warehouse.ensure_schema(connection)
    data = report_data(connection)
    assert data["counts"]["articles"] == 0 and data["counts"]["first_day"] is None and not data["timeline"].height
    html = write_html_report(connection, tmp_path / "empty.files" / "report.html", data=data).read_text()
    assert "No linked entity is mentioned yet." in html and "No dated mentions yet." in html
