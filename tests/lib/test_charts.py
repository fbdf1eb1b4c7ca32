"""The SVG charts and the static HTML report: deterministic, escaped, offline, and drawn from the reports."""

from __future__ import annotations

import importlib.util
import re
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import polars as pl
import pytest

from pipelines.lib.charts import (
    heatmap_svg, inline, line_chart_svg, markdown_table, network_svg, standalone, write_html_report,
)
from pipelines.lib.settings import PROJECT_ROOT


def report_tests_module():
    spec = importlib.util.spec_from_file_location("report_tests", PROJECT_ROOT / "tests" / "lib" / "test_reports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def html_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("charts")
    path = report_tests_module().build_materialised_warehouse(folder / "kronika.duckdb")
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return write_html_report(connection, folder / "report.html")
    finally:
        connection.close()


SERIES = pl.DataFrame({
    "period_start": [date(2025, 10, 6), date(2025, 10, 6), date(2025, 10, 13), date(2025, 10, 27)],
    "period": ["2025-W41", "2025-W41", "2025-W42", "2025-W44"],
    "entity": ["Russia", "O'Brien & <Co>", "Russia", "Russia"],
    "mentions": [4, 1, 2, 3],
})


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(standalone(svg))


def test_line_chart_is_valid_svg_with_one_line_per_entity_and_escaped_names():
    svg = line_chart_svg(SERIES)
    root = parse(svg)
    lines = root.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 2
    assert "O&#x27;Brien &amp; &lt;Co&gt;" in svg
    # The missing week 43 is a gap on the calendar axis: W42 -> W44 is twice as wide as W41 -> W42.
    xs = [float(point.split(",")[0]) for point in lines[0].get("points").split()]
    assert xs[2] - xs[1] == pytest.approx(2 * (xs[1] - xs[0]))


def test_charts_are_deterministic_and_say_when_there_is_no_data():
    assert line_chart_svg(SERIES) == line_chart_svg(SERIES)
    empty = line_chart_svg(SERIES.clear())
    assert 'id="chart-mentions"' in empty and "No dated mentions" in empty
    assert "No pair" in network_svg(pl.DataFrame({"entity": [], "mentions": []}),
                                    pl.DataFrame(schema={"entity_a": pl.String, "entity_b": pl.String,
                                                         "together": pl.Int64, "npmi": pl.Float64}))
    assert "Fewer than two" in heatmap_svg(["Russia"], pl.DataFrame())


def test_network_places_every_node_of_an_edge_on_a_circle():
    nodes = pl.DataFrame({"entity": ["Russia", "NATO", "Ukraine"], "mentions": [10, 5, 7]})
    edges = pl.DataFrame({"entity_a": ["Russia", "Russia"], "entity_b": ["NATO", "Ukraine"], "together": [3, 1],
                          "npmi": [0.4, 0.1]})
    root = parse(network_svg(nodes, edges))
    circles = root.findall("{http://www.w3.org/2000/svg}circle")
    assert len(circles) == 3
    centre_x, centre_y = 450, 370
    distances = {round(((float(c.get("cx")) - centre_x) ** 2 + (float(c.get("cy")) - centre_y) ** 2) ** 0.5)
                 for c in circles}
    assert len(distances) == 1
    assert float(circles[0].get("r")) > float(circles[-1].get("r"))   # most mentioned first and largest


def test_heatmap_is_symmetric_and_marks_pairs_never_seen_together():
    pairs = pl.DataFrame({"entity_a": ["Russia"], "entity_b": ["NATO"], "npmi": [0.5]})
    svg = heatmap_svg(["Russia", "NATO", "Ukraine"], pairs)
    assert svg.count("NPMI 0.50") == 2
    assert svg.count("never together") == 4 + 1   # two pairs both ways, and the legend


def test_html_report_is_offline_and_embeds_the_three_charts(html_report):
    html = html_report.read_text()
    for chart in ("chart-mentions", "chart-network", "chart-heatmap"):
        assert html.count(f'id="{chart}"') == 1
    assert "http" not in html and not re.search(r"\bsrc=|url\(", html)
    assert "O&#x27;Brien" in html and "Zeta Corp" in html   # escaped names, the unlinked-candidates table
    charts = sorted(p.name for p in html_report.with_name("report-charts").iterdir())
    assert charts == ["heatmap.svg", "mentions.svg", "network.svg"]
    for chart in html_report.with_name("report-charts").iterdir():
        ElementTree.fromstring(chart.read_text())   # each file is a well-formed SVG document


def test_inline_svg_has_no_namespace_and_standalone_has_it():
    svg = line_chart_svg(SERIES)
    assert "xmlns" not in inline(svg) and 'xmlns="http://www.w3.org/2000/svg"' in standalone(svg)


def test_markdown_table_escapes_pipes():
    table = markdown_table(pl.DataFrame({"name": ["A|B"], "mentions": [3]}))
    assert table.splitlines() == ["| name | mentions |", "|---|---|", "| A\\|B | 3 |"]
