"""An analyst's read-write session on the public file during an ingest, with real processes: the DuckDB CLI opened
without -readonly and a Python `duckdb.connect(path)`. The ingest succeeds, the analyst's own tables survive, and
nothing is published over the held file; the next run publishes and says where the changed file was kept."""

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.lib.publication import publication_pending
from pipelines.lib.warehouse import query_rows
from pipelines.lib.warehouse_files import files_dir, kept_dir
from tests.e2e.test_concurrency import (
    DUCKDB_CLI, KRONIKA, NEW_ARTICLES, RUN_TIMEOUT_SECONDS, STORED_ARTICLES, Reader, corpus, kronika_env, stored_copy,
)

pytestmark = pytest.mark.e2e

__all__ = ["corpus"]  # the module-scoped corpus fixture of test_concurrency, used here too

PYTHON_READ_WRITE_SESSION = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])   # read-write, the default
for line in sys.stdin:
    rows = None
    for statement in [s for s in line.split(";") if s.strip()]:
        rows = connection.execute(statement).fetchall()
    print(rows[0][0] if rows else "", flush=True)
"""


def cli_session(warehouse: Path) -> Reader:
    return Reader([DUCKDB_CLI, str(warehouse)], preamble=".mode list\n.headers off\n")


def python_session(warehouse: Path) -> Reader:
    return Reader([sys.executable, "-c", PYTHON_READ_WRITE_SESSION, str(warehouse)])


def kronika_run(raw_dir: Path, warehouse: Path) -> subprocess.CompletedProcess:
    return subprocess.run([KRONIKA, "run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet"],
                          env=kronika_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)


@pytest.mark.parametrize("open_session", [cli_session, python_session], ids=["duckdb_cli", "python_connect"])
def test_a_read_write_session_held_during_an_ingest_loses_nothing(corpus, tmp_path, open_session):
    warehouse = stored_copy(corpus, tmp_path)
    session = open_session(warehouse)
    try:
        assert session.ask("CREATE TABLE my_notes AS SELECT 'keep me' AS note; "
                           "SELECT count(*) FROM articles;") == str(STORED_ARTICLES)

        run = kronika_run(corpus["raw"], warehouse)
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
        assert f"Ingested {NEW_ARTICLES} files ({NEW_ARTICLES} records: {NEW_ARTICLES} ingested" in run.stdout
        notes = [line for line in run.stderr.splitlines() if line.startswith("kronika: ")]
        assert len(notes) == 1 and "is open read-write in" in notes[0] and "not published yet" in notes[0], run.stderr
        assert publication_pending(warehouse)

        # The session goes on: its file was not replaced under it, and its own table is there.
        assert session.ask("SELECT count(*) FROM articles;") == str(STORED_ARTICLES)
        assert session.ask("INSERT INTO my_notes VALUES ('and me'); SELECT count(*) FROM my_notes;") == "2"
    finally:
        session.close()

    # Closed: the next run has no files to ingest but publishes what waited, keeping the session's tables.
    again = kronika_run(corpus["raw"], warehouse)
    assert again.returncode == 0, again.stderr
    assert "is up to date" in again.stdout
    assert "had been changed by another program" in again.stderr and "my_notes" in again.stderr, again.stderr
    assert not publication_pending(warehouse)
    assert query_rows(warehouse, "SELECT count(*) FROM articles") == [(STORED_ARTICLES + NEW_ARTICLES,)]
    assert query_rows(warehouse, "SELECT note FROM my_notes ORDER BY note") == [("and me",), ("keep me",)]
    kept = list(kept_dir(warehouse).glob("*.duckdb"))
    assert len(kept) == 1
    assert query_rows(kept[0], "SELECT count(*) FROM my_notes") == [(2,)]

    # Later publications keep carrying the analyst's table, though the public file is no longer changed.
    generate = subprocess.run([KRONIKA, "bench", "generate", "5", "--out", str(tmp_path / "raw-more"), "--seed", "5"],
                              env=kronika_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    assert generate.returncode == 0, generate.stderr
    third = kronika_run(tmp_path / "raw-more", warehouse)
    assert third.returncode == 0, third.stderr
    assert "changed by another program" not in third.stderr
    assert query_rows(warehouse, "SELECT count(*) FROM my_notes") == [(2,)]
    assert len(list(kept_dir(warehouse).glob("*.duckdb"))) == 1


def test_the_warehouse_folder_holds_what_a_run_writes(corpus, tmp_path):
    """Two warehouses in one folder: each run writes its build file, report and state into its own folder."""
    folder = tmp_path / "shared"
    for name in ("first", "second"):
        run = kronika_run(corpus["raw"], folder / f"{name}.duckdb")
        assert run.returncode == 0, run.stderr
    assert sorted(path.name for path in folder.iterdir()) == ["first.duckdb", "first.files",
                                                              "second.duckdb", "second.files"]
    for name in ("first", "second"):
        own = files_dir(folder / f"{name}.duckdb")
        assert {"build.duckdb", "report.html", "report-charts", "publication.json"} <= {p.name for p in own.iterdir()}
