"""Two writers on one DuckLake: the lease belongs to the lake, so runs given different warehouse folders still take
turns, every file is ingested once, and a writer that may not wait stops with one line naming the holder.

Before the lease moved to the lake, the second of two concurrent runs failed on a DuckLake commit conflict with a
Dagster traceback (measured: 2 x 2,000 files, one run exit 2)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.lib import lake
from pipelines.tooling.synthetic import generate_corpus

BIN = Path(sys.executable).parent
FILES_PER_WRITER = 300

pytestmark = pytest.mark.e2e


def lake_env(location: lake.LakeLocation, **variables: str) -> dict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KRONIKA_")}
    return {**environment, "KRONIKA_STORAGE": "ducklake", "KRONIKA_LAKE_CATALOG": location.catalog,
            "KRONIKA_LAKE_DATA": location.data_path, "KRONIKA_BATCH_SIZE": "100", **variables}


def start_run(raw: Path, warehouse: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "kronika"), "run", "--raw", str(raw), "--warehouse", str(warehouse), "--quiet"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture()
def two_corpora(tmp_path, postgres_server, request) -> dict:
    database = f"writers_{request.node.name[-20:].lower().replace('[', '_').replace(']', '')}"
    location = lake.LakeLocation(postgres_server.create_database(database), str(tmp_path / "lake-data"))
    raws = []
    for number in range(2):
        raw = tmp_path / f"raw{number}"
        generate_corpus(raw, FILES_PER_WRITER, seed=40 + number, words=80, first_index=number * FILES_PER_WRITER)
        raws.append(raw)
    return {"location": location, "raws": raws, "root": tmp_path}


def lake_rows(location: lake.LakeLocation, query: str) -> list[tuple]:
    connection = lake.connect_lake(location, read_only=True)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def test_two_runs_on_one_lake_take_turns_and_ingest_every_file_once(two_corpora):
    location, raws, root = two_corpora["location"], two_corpora["raws"], two_corpora["root"]
    env = lake_env(location)
    runs = [start_run(raws[number], root / f"warehouse{number}" / "kronika.duckdb", env) for number in range(2)]
    outcomes = [run.communicate(timeout=600) for run in runs]

    for run, (_, stderr) in zip(runs, outcomes):
        assert run.returncode == 0, stderr
        assert "Traceback" not in stderr
    assert lake_rows(location, "SELECT status, count(*) FROM source_files GROUP BY ALL") == [
        ("ingested", 2 * FILES_PER_WRITER)]
    assert lake_rows(location, "SELECT count(*), count(DISTINCT article_id) FROM articles") == [
        (2 * FILES_PER_WRITER, 2 * FILES_PER_WRITER)]
    (duplicated_entities,), = lake_rows(location, "SELECT count(*) - count(DISTINCT entity_id) FROM entities")
    assert duplicated_entities == 0


def test_a_writer_that_may_not_wait_stops_with_one_line_naming_the_holder(two_corpora):
    location, raws, root = two_corpora["location"], two_corpora["raws"], two_corpora["root"]
    first = start_run(raws[0], root / "first" / "kronika.duckdb", lake_env(location))
    lock_file = Path(location.data_path) / ".kronika-writer.lock"
    try:
        # The first run holds the lake's lease from its start; wait until it has written its name.
        for _ in range(600):
            if lock_file.exists() and lock_file.read_text().strip():
                break
            first.poll()
            assert first.returncode is None, first.communicate()[1]
            time.sleep(0.1)
        second = subprocess.run([str(BIN / "kronika"), "run", "--raw", str(raws[1]), "--warehouse",
                                 str(root / "second" / "kronika.duckdb"), "--quiet"],
                                env=lake_env(location, KRONIKA_LOCK_WAIT_SECONDS="0"), capture_output=True, text=True,
                                timeout=120)
    finally:
        _, first_stderr = first.communicate(timeout=600)
    assert first.returncode == 0, first_stderr
    assert second.returncode == 3, second.stderr
    message = second.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert f"lake {location.data_path}" in message and f"pid {first.pid}" in message
    # The refused writer did no work: only the first corpus is in the lake.
    assert lake_rows(location, "SELECT count(*) FROM source_files") == [(FILES_PER_WRITER,)]
