"""Crash safety: a `kronika run` killed at any point leaves the public warehouse whole, and the next run finishes the work.

Real processes on real files: a run is stopped by SIGKILL after a delay, when the public file is first replaced
(the report tables are then being written), or at named points through the test hook KRONIKA_TEST_CRASH_AT."""

import hashlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.reports import find_report, run_report
from pipelines.lib.synthetic import generate_corpus
from pipelines.lib.warehouse import query_rows

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
KRONIKA = [str(REPO / ".venv" / "bin" / "kronika")]
STORED_ARTICLES = 40
NEW_ARTICLES = 400
RUN_TIMEOUT_SECONDS = 240
KILLED_BY_HOOK = 137


def kronika_command(raw_dir: Path, warehouse: Path, *extra: str) -> list[str]:
    return [*KRONIKA, "run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet", *extra]


def kronika_env(**variables: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KRONIKA_")}
    return {**environment, **variables}


def run_kronika(raw_dir: Path, warehouse: Path, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(kronika_command(raw_dir, warehouse), env=kronika_env(**variables), capture_output=True,
                          text=True, timeout=RUN_TIMEOUT_SECONDS)


def start_kronika(raw_dir: Path, warehouse: Path, **variables: str) -> subprocess.Popen:
    # A session of its own, so the kill reaches the run and nothing else.
    return subprocess.Popen(kronika_command(raw_dir, warehouse), env=kronika_env(**variables),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def kill_hard(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_fingerprints(warehouse: Path) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the sorted rows of every table, read the way an analyst would (read-only)."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        return {table: connection.execute(
            f'SELECT count(*), coalesce(md5(string_agg(t::VARCHAR, chr(10) ORDER BY t::VARCHAR)), \'\') FROM "{table}" t'
        ).fetchone() for table in tables}
    finally:
        connection.close()


def query(warehouse: Path, sql: str) -> list[tuple]:
    return query_rows(warehouse, sql)


def assert_consistent(warehouse: Path) -> None:
    """What a reader may rely on in any published state: one row per article, file version and span."""
    (articles, distinct_articles), = query(warehouse, "SELECT count(*), count(DISTINCT article_id) FROM articles")
    assert articles == distinct_articles
    (versions, distinct_versions), = query(
        warehouse, "SELECT count(*), count(DISTINCT (source_path, content_sha256)) FROM source_files")
    assert versions == distinct_versions
    (ingested,), = query(warehouse, "SELECT count(*) FROM source_files WHERE status = 'ingested'")
    assert ingested == articles
    (orphans,), = query(warehouse, "SELECT count(*) FROM source_files s WHERE status = 'ingested' AND NOT EXISTS "
                                   "(SELECT 1 FROM articles a WHERE a.article_id = s.article_id)")
    assert orphans == 0
    for table, key in (("mentions", "article_id, field, char_start, char_end, entity_id"),
                       ("sentences", "article_id, field, char_start, char_end"),
                       ("figures", "article_id, field, char_start, char_end, unit")):
        (rows, distinct_rows), = query(warehouse, f"SELECT count(*), count(DISTINCT ({key})) FROM {table}")
        assert rows == distinct_rows, table
        (stray,), = query(warehouse, f"SELECT count(*) FROM {table} WHERE article_id NOT IN "
                                     "(SELECT article_id FROM articles)")
        assert stray == 0, table


def content_summary(warehouse: Path) -> dict[str, list[tuple]]:
    """What a finished run must produce, without timestamps or run ids."""
    return {
        "articles": query(warehouse, "SELECT article_id, source_path, content_sha256, title, body FROM articles "
                                     "ORDER BY article_id"),
        "source_files": query(warehouse, "SELECT source_path, content_sha256, status, article_id FROM source_files "
                                         "ORDER BY source_path, content_sha256"),
        "counts": query(warehouse, "SELECT (SELECT count(*) FROM sentences), (SELECT count(*) FROM mentions), "
                                   "(SELECT count(*) FROM figures), (SELECT count(*) FROM entities)"),
    }


def assert_reports_fresh(warehouse: Path) -> None:
    """The stored report table equals the report run now over the stored tables."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        report = find_report("top_entities")
        stored = connection.sql(f"SELECT * FROM {report.materialize_as}").pl()
        current = run_report(connection, report)
    finally:
        connection.close()
    assert stored.sort(stored.columns).equals(current.sort(current.columns))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    """A warehouse holding a few articles, a raw folder with many more, and a clean run's result to compare with."""
    root = tmp_path_factory.mktemp("crash")
    raw_dir = root / "raw"
    generate_corpus(raw_dir, STORED_ARTICLES, seed=11, words=120)
    stored = root / "stored" / "kronika.duckdb"
    first = run_kronika(raw_dir, stored)
    assert first.returncode == 0, first.stderr
    generate_corpus(raw_dir, NEW_ARTICLES, seed=12, words=120, first_index=STORED_ARTICLES)
    clean = root / "clean" / "kronika.duckdb"
    shutil.copytree(stored.parent, clean.parent)
    finished = run_kronika(raw_dir, clean)
    assert finished.returncode == 0, finished.stderr
    return {"raw": raw_dir, "stored": stored, "clean": clean}


def stored_copy(corpus: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of the warehouse before the run (public snapshot and the writer's build file)."""
    shutil.copytree(corpus["stored"].parent, tmp_path / "warehouse")
    return tmp_path / "warehouse" / corpus["stored"].name


def assert_recovery_finishes_the_work(corpus: dict[str, Path], warehouse: Path) -> None:
    recovered = run_kronika(corpus["raw"], warehouse)
    assert recovered.returncode == 0, recovered.stderr
    assert "Traceback" not in recovered.stderr
    assert_consistent(warehouse)
    assert content_summary(warehouse) == content_summary(corpus["clean"])
    assert_reports_fresh(warehouse)
    assert not list(warehouse.parent.glob(f".{warehouse.name}.*.tmp")), "a stale snapshot copy was left behind"
    assert subprocess.run([str(REPO / ".venv" / "bin" / "duckdb"), "-readonly", str(warehouse), "-c",
                           "SELECT count(*) FROM articles"], capture_output=True, text=True, timeout=60).returncode == 0


def test_the_clean_run_ingests_every_file(corpus):
    assert_consistent(corpus["clean"])
    (articles,), = query(corpus["clean"], "SELECT count(*) FROM articles")
    assert articles == STORED_ARTICLES + NEW_ARTICLES


@pytest.mark.parametrize("stage", ["batch_before_commit", "batch_after_commit", "publish_before_rename"])
def test_a_run_killed_at_a_named_point_leaves_the_public_file_as_it_was(corpus, tmp_path, stage):
    warehouse = stored_copy(corpus, tmp_path)
    before_bytes, before_tables = file_sha256(warehouse), table_fingerprints(warehouse)

    crashed = run_kronika(corpus["raw"], warehouse, KRONIKA_TEST_CRASH_AT=stage)

    assert crashed.returncode == KILLED_BY_HOOK, crashed.stderr
    assert file_sha256(warehouse) == before_bytes
    assert table_fingerprints(warehouse) == before_tables
    assert_recovery_finishes_the_work(corpus, warehouse)


@pytest.mark.parametrize("delay_seconds", [3.0])
def test_a_run_killed_after_a_delay_publishes_only_whole_batches(corpus, tmp_path, delay_seconds):
    """Small batches, so the kill may land while parsing, inside a batch's transaction or between batches."""
    batch_size = 100
    warehouse = stored_copy(corpus, tmp_path)
    before_bytes, before_tables = file_sha256(warehouse), table_fingerprints(warehouse)

    process = start_kronika(corpus["raw"], warehouse, KRONIKA_BATCH_SIZE=str(batch_size))
    time.sleep(delay_seconds)
    kill_hard(process)

    if file_sha256(warehouse) == before_bytes:
        assert table_fingerprints(warehouse) == before_tables
    assert_consistent(warehouse)
    (files,), = query(warehouse, "SELECT count(*) FROM source_files")
    assert (files - STORED_ARTICLES) % batch_size == 0 or files == STORED_ARTICLES + NEW_ARTICLES
    assert_recovery_finishes_the_work(corpus, warehouse)


def test_a_run_killed_while_writing_report_tables_keeps_the_published_batch(corpus, tmp_path):
    warehouse = stored_copy(corpus, tmp_path)
    inode_before = warehouse.stat().st_ino

    process = start_kronika(corpus["raw"], warehouse)
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    # The batch is published first; the report tables are written (and published) after it.
    while warehouse.stat().st_ino == inode_before and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    kill_hard(process)

    assert_consistent(warehouse)
    (articles,), = query(warehouse, "SELECT count(*) FROM articles")
    assert articles == STORED_ARTICLES + NEW_ARTICLES
    assert_recovery_finishes_the_work(corpus, warehouse)
