"""DuckLake mode on a real PostgreSQL catalog: `kronika run` writes the same warehouse as the embedded mode.

Every sql/ report gives the same rows on both modes, and a second run over the same raw/ never double-counts."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from pipelines.lib import lake
from pipelines.lib.reports import list_reports, parameter_defaults, run_report
from pipelines.lib.warehouse import connect_reader

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.e2e

COUNTED_TABLES = ("source_files", "articles", "sentences", "mentions", "figures", "figure_entity_links", "entities")


def kronika(*args: str, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "kronika"), *args], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    return result


def base_env(raw: Path, warehouse: Path) -> dict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KRONIKA_")}
    return {**environment, "KRONIKA_RAW_DIR": str(raw), "KRONIKA_WAREHOUSE": str(warehouse), "COLUMNS": "200"}


@pytest.fixture(scope="module")
def both_modes(tmp_path_factory, postgres_server) -> dict:
    workdir = tmp_path_factory.mktemp("lake")
    raw = workdir / "raw"
    shutil.copytree(ROOT / "raw", raw)
    embedded_env = base_env(raw, workdir / "embedded" / "kronika.duckdb")
    kronika("run", "--quiet", env=embedded_env)
    location = lake.LakeLocation(postgres_server.create_database("kronika_reports"), str(workdir / "lake-data"))
    lake_env = {**base_env(raw, workdir / "lake" / "kronika.duckdb"), "KRONIKA_STORAGE": "ducklake",
                "KRONIKA_LAKE_CATALOG": location.catalog, "KRONIKA_LAKE_DATA": location.data_path}
    kronika("run", "--quiet", env=lake_env)
    return {"embedded": workdir / "embedded" / "kronika.duckdb", "lake": location, "lake_env": lake_env}


def report_rows(connection, report) -> pl.DataFrame:
    values = parameter_defaults(report)
    if any(parameter.name == "entity" for parameter in report.parameters):
        values.setdefault("entity", "Donald Trump")  # required, no default: an entity of the sample corpus
    frame = run_report(connection, report, values, display_timezone="Europe/Tirane")
    # Row order of ties is not part of a report's answer; the rows are.
    return frame.sort(frame.columns, nulls_last=True) if frame.height else frame


def table_counts(connection) -> dict:
    return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in COUNTED_TABLES}


def test_the_lake_holds_the_same_tables_as_the_embedded_file(both_modes):
    embedded = connect_reader(both_modes["embedded"])
    lake_connection = lake.connect_lake(both_modes["lake"], read_only=True)
    try:
        counts = table_counts(lake_connection)
        assert counts["articles"] > 0 and counts["mentions"] > 0
        assert counts == table_counts(embedded)
        # The rows live in Parquet files under the data path, not in PostgreSQL.
        assert list(Path(both_modes["lake"].data_path).rglob("*.parquet"))
    finally:
        embedded.close()
        lake_connection.close()


@pytest.mark.parametrize("report", list_reports(), ids=lambda report: report.name)
def test_every_report_gives_the_same_rows_on_both_modes(both_modes, report):
    embedded = connect_reader(both_modes["embedded"])
    lake_connection = lake.connect_lake(both_modes["lake"], read_only=True)
    try:
        expected, found = report_rows(embedded, report), report_rows(lake_connection, report)
    finally:
        embedded.close()
        lake_connection.close()
    assert found.columns == expected.columns
    assert found.height == expected.height
    assert found.equals(expected), f"{report.name} differs:\n{expected}\n{found}"


def test_a_rerun_on_the_lake_never_double_counts(both_modes):
    location = both_modes["lake"]
    before = lake.connect_lake(location, read_only=True)
    try:
        counts_before, runs_before = table_counts(before), before.execute("SELECT count(*) FROM ingest_runs").fetchall()[0][0]
    finally:
        before.close()
    output = kronika("run", env=both_modes["lake_env"]).stdout
    assert "Top entities" in output  # the report printout is read from the lake too
    after = lake.connect_lake(location, read_only=True)
    try:
        assert table_counts(after) == counts_before
        assert after.execute("SELECT count(*) FROM source_files GROUP BY source_path, content_sha256 "
                             "HAVING count(*) > 1").fetchall() == []
        assert after.execute("SELECT count(*) FROM ingest_runs").fetchall()[0][0] >= runs_before
    finally:
        after.close()


def test_status_and_report_commands_read_the_lake(both_modes):
    status = kronika("status", env=both_modes["lake_env"]).stdout
    assert status.strip()
    report = kronika("report", "top_entities", env=both_modes["lake_env"]).stdout
    assert "Donald Trump" in report
