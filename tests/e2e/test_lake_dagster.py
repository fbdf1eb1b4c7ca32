"""The Dagster assets as the UI runs them (sensor, Parquet hand-over between steps, asset checks, report assets)
on a DuckLake over a real PostgreSQL catalog: the same path as the embedded file, with no second code path."""

import dagster as dg
import pytest

from pipelines.defs import assets as ingest_assets
from pipelines.defs.reports import report_assets
from pipelines.lib import lake
from pipelines.lib.reports import list_reports
from tests.defs.test_ingest_assets import ALBANIAN, ENGLISH, resources, tick
from pipelines.lib.settings import Settings

pytestmark = pytest.mark.e2e


@pytest.fixture
def lake_corpus(tmp_path, postgres_server, monkeypatch) -> tuple[Settings, lake.LakeLocation]:
    location = lake.LakeLocation(postgres_server.create_database("dagster_lake"), str(tmp_path / "lake-data"))
    for variable, value in {"KRONIKA_STORAGE": "ducklake", "KRONIKA_LAKE_CATALOG": location.catalog,
                            "KRONIKA_LAKE_DATA": location.data_path}.items():
        monkeypatch.setenv(variable, value)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "talks.txt").write_text(ENGLISH)
    (raw / "ankara.txt").write_text(ALBANIAN)
    return Settings(raw_dir=raw, warehouse_path=tmp_path / "warehouse" / "kronika.duckdb", batch_size=100), location


def lake_rows(location: lake.LakeLocation, query: str) -> list[tuple]:
    connection = lake.connect_lake(location, read_only=True)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def test_sensor_run_checks_and_reports_work_on_the_lake(lake_corpus):
    settings, location = lake_corpus
    _, cursor = tick(settings)
    requests, cursor = tick(settings, cursor)
    assert len(requests) == 1
    result = dg.materialize(dg.load_assets_from_modules([ingest_assets]), resources=resources(settings),
                            run_config=requests[0].run_config)
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert checks and all(check.passed for check in checks if check.severity == dg.AssetCheckSeverity.ERROR)
    assert lake_rows(location, "SELECT status, count(*) FROM source_files GROUP BY ALL") == [("ingested", 2)]
    names = {row[0] for row in lake_rows(location, "SELECT e.name FROM mentions JOIN entities e USING (entity_id)")}
    assert {"Albin Kurti", "Edi Rama"} <= names

    reports = dg.materialize(report_assets(), resources=resources(settings))
    assert reports.success
    for report in (r for r in list_reports() if r.materialize_as):
        (rows,), = lake_rows(location, f"SELECT count(*) FROM {report.materialize_as}")
        assert rows > 0, report.materialize_as

    # Nothing new: the sensor reads the lake's manifest and launches nothing.
    later, cursor = tick(settings, cursor)
    again, _ = tick(settings, cursor)
    assert isinstance(later, dg.SkipReason) and isinstance(again, dg.SkipReason)
