"""Streaming batches: `run_pipeline` over several bounded batches writes the same warehouse as one batch.

The run is the engine function `kronika run` calls (in-process Dagster, one transaction per batch)."""

from pathlib import Path

import duckdb
import pytest

from pipelines.defs.oneshot import run_pipeline
from pipelines.lib.settings import Settings
from pipelines.tooling.synthetic import generate_corpus

ARTICLES = 230
SMALL_BATCH = 50   # five batches, the last one partial
# What differs between two runs by design: when and by which run a row was written, and how many runs there were.
RUN_BOOKKEEPING_TABLES = {"ingest_runs", "report_refreshes"}
RUN_BOOKKEEPING_COLUMNS = {"run_id"}


def warehouse_content(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the sorted rows of every table, without timestamps and run ids."""
    connection = duckdb.connect(str(path), read_only=True)
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        content = {}
        for table in tables:
            if table in RUN_BOOKKEEPING_TABLES:
                continue
            columns = [name for name, data_type in connection.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall()
                if not data_type.startswith("TIMESTAMP") and name not in RUN_BOOKKEEPING_COLUMNS]
            selected = ", ".join(f'"{name}"' for name in columns)
            content[table] = connection.execute(
                f'SELECT count(*), coalesce(md5(string_agg(t::VARCHAR, chr(10) ORDER BY t::VARCHAR)), \'\') '
                f'FROM (SELECT {selected} FROM "{table}") t').fetchone()
        return content
    finally:
        connection.close()


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("batches") / "raw"
    generate_corpus(raw, ARTICLES, seed=21, words=120)
    return raw


def test_a_run_in_several_batches_writes_the_same_warehouse_as_one_batch(raw_dir, tmp_path):
    one = Settings(raw_dir=raw_dir, warehouse_path=tmp_path / "one" / "kronika.duckdb", batch_size=10_000)
    several = Settings(raw_dir=raw_dir, warehouse_path=tmp_path / "several" / "kronika.duckdb",
                       batch_size=SMALL_BATCH)

    one_summary = run_pipeline(one, show_progress=False)
    several_summary = run_pipeline(several, show_progress=False)

    assert one_summary.batches == 1
    assert several_summary.batches == -(-ARTICLES // SMALL_BATCH)
    assert several_summary.files_ingested == one_summary.files_ingested == ARTICLES
    one_content, several_content = warehouse_content(one.warehouse_path), warehouse_content(several.warehouse_path)
    assert one_content["articles"][0] == ARTICLES
    assert one_content["mentions"][0] > 0 and one_content["figures"][0] > 0
    assert several_content == one_content
    (runs,), = duckdb.connect(str(several.warehouse_path), read_only=True).execute(
        "SELECT count(*) FROM ingest_runs").fetchone(),
    assert runs == several_summary.batches  # one transaction per batch
