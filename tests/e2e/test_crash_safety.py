"""Crash safety: a `kronika run` killed at any point leaves the public warehouse whole, and the next run finishes the work.

Real processes on real files: a run is stopped by SIGKILL after a delay, when the public file is first replaced
(the report tables are then being written), or at named points through the test hook KRONIKA_TEST_CRASH_AT.
Every test runs on both storage modes: the embedded DuckDB file, and a DuckLake on a real PostgreSQL catalog."""

import hashlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import lake
from pipelines.lib.reports import find_report, run_report
from pipelines.lib.settings import DEFAULT_TIMEZONE
from pipelines.tooling.synthetic import generate_corpus
from tests.e2e.postgres_server import clone_lake

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
KRONIKA = [str(REPO / ".venv" / "bin" / "kronika")]
STORED_ARTICLES = 40
NEW_ARTICLES = 400
RUN_TIMEOUT_SECONDS = 240
KILLED_BY_HOOK = 137


@dataclass
class Store:
    """Where one warehouse lives: its public file (embedded), or a lake (DuckLake mode, `location` set).

    In DuckLake mode the warehouse path still names the folder of the writer lease; the tables are in the lake."""

    warehouse: Path
    location: lake.LakeLocation | None = None
    database: str = ""
    variables: dict[str, str] = field(default_factory=dict)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection, the way an analyst reads this mode."""
        if self.location is not None:
            return lake.connect_lake(self.location, read_only=True)
        return duckdb.connect(str(self.warehouse), read_only=True)


def lake_store(warehouse: Path, server, database: str, data_path: Path) -> Store:
    location = lake.LakeLocation(server.catalog(database), str(data_path))
    return Store(warehouse, location, database, {"KRONIKA_STORAGE": "ducklake", "KRONIKA_LAKE_CATALOG": location.catalog,
                                                 "KRONIKA_LAKE_DATA": location.data_path})


def kronika_command(raw_dir: Path, store: Store, *extra: str) -> list[str]:
    return [*KRONIKA, "run", "--raw", str(raw_dir), "--warehouse", str(store.warehouse), "--quiet", *extra]


def kronika_env(store: Store, **variables: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KRONIKA_")}
    return {**environment, **store.variables, **variables}


def run_kronika(raw_dir: Path, store: Store, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(kronika_command(raw_dir, store), env=kronika_env(store, **variables), capture_output=True,
                          text=True, timeout=RUN_TIMEOUT_SECONDS)


def start_kronika(raw_dir: Path, store: Store, **variables: str) -> subprocess.Popen:
    # A session of its own, so the kill reaches the run and nothing else.
    return subprocess.Popen(kronika_command(raw_dir, store), env=kronika_env(store, **variables),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def kill_hard(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_fingerprints(store: Store) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the sorted rows of every table, read the way an analyst would (read-only)."""
    connection = store.connect()
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_catalog = current_database() ORDER BY 1").fetchall()]
        return {table: connection.execute(
            f'SELECT count(*), coalesce(md5(string_agg(t::VARCHAR, chr(10) ORDER BY t::VARCHAR)), \'\') FROM "{table}" t'
        ).fetchone() for table in tables}
    finally:
        connection.close()


def query(store: Store, sql: str) -> list[tuple]:
    connection = store.connect()
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def assert_consistent(store: Store) -> None:
    """What a reader may rely on in any published state: one row per article, file version and span."""
    (articles, distinct_articles), = query(store, "SELECT count(*), count(DISTINCT article_id) FROM articles")
    assert articles == distinct_articles
    (versions, distinct_versions), = query(
        store, "SELECT count(*), count(DISTINCT (source_path, content_sha256)) FROM source_files")
    assert versions == distinct_versions
    (ingested,), = query(store, "SELECT count(*) FROM source_files WHERE status = 'ingested'")
    assert ingested == articles
    (orphans,), = query(store, "SELECT count(*) FROM source_files s WHERE status = 'ingested' AND NOT EXISTS "
                                   "(SELECT 1 FROM articles a WHERE a.article_id = s.article_id)")
    assert orphans == 0
    for table, key in (("mentions", "article_id, field, char_start, char_end, entity_id"),
                       ("sentences", "article_id, field, char_start, char_end"),
                       ("figures", "article_id, field, char_start, char_end, unit")):
        (rows, distinct_rows), = query(store, f"SELECT count(*), count(DISTINCT ({key})) FROM {table}")
        assert rows == distinct_rows, table
        (stray,), = query(store, f"SELECT count(*) FROM {table} WHERE article_id NOT IN "
                                     "(SELECT article_id FROM articles)")
        assert stray == 0, table


def content_summary(store: Store) -> dict[str, list[tuple]]:
    """What a finished run must produce, without timestamps or run ids."""
    return {
        "articles": query(store, "SELECT article_id, source_path, content_sha256, title, body FROM articles "
                                     "ORDER BY article_id"),
        "source_files": query(store, "SELECT source_path, content_sha256, status, article_id FROM source_files "
                                         "ORDER BY source_path, content_sha256"),
        "counts": query(store, "SELECT (SELECT count(*) FROM sentences), (SELECT count(*) FROM mentions), "
                                   "(SELECT count(*) FROM figures), (SELECT count(*) FROM entities)"),
    }


def assert_reports_fresh(store: Store) -> None:
    """The stored report table equals the report run now over the stored tables, in the zone the runs used (the
    default KRONIKA_TIMEZONE: kronika_env drops every KRONIKA_ variable)."""
    connection = store.connect()
    try:
        report = find_report("top_entities")
        stored = connection.sql(f"SELECT * FROM {report.materialize_as}").pl()
        current = run_report(connection, report, display_timezone=DEFAULT_TIMEZONE)
    finally:
        connection.close()
    assert stored.sort(stored.columns).equals(current.sort(current.columns))


def published_state(store: Store) -> str:
    """What changes exactly when a new state is published: the public file's bytes, or the lake's last snapshot."""
    if store.location is None:
        return file_sha256(store.warehouse)
    (snapshot,), = query(store, f"SELECT max(snapshot_id)::VARCHAR FROM {lake.LAKE_ALIAS}.snapshots()")
    return snapshot


@pytest.fixture(scope="module", params=["embedded", "ducklake"])
def corpus(request, tmp_path_factory) -> dict:
    """A warehouse holding a few articles, a raw folder with many more, and a clean run's result to compare with."""
    root = tmp_path_factory.mktemp(f"crash_{request.param}")
    raw_dir = root / "raw"
    generate_corpus(raw_dir, STORED_ARTICLES, seed=11, words=120)
    if request.param == "ducklake":
        server = request.getfixturevalue("postgres_server")
        server.create_database("crash_stored")
        stored = lake_store(root / "stored" / "kronika.duckdb", server, "crash_stored", root / "stored-lake")
    else:
        server, stored = None, Store(root / "stored" / "kronika.duckdb")
    first = run_kronika(raw_dir, stored)
    assert first.returncode == 0, first.stderr
    generate_corpus(raw_dir, NEW_ARTICLES, seed=12, words=120, first_index=STORED_ARTICLES)
    corpus = {"raw": raw_dir, "stored": stored, "server": server, "copies": 0}
    clean = stored_copy(corpus, root / "clean")
    finished = run_kronika(raw_dir, clean)
    assert finished.returncode == 0, finished.stderr
    return {**corpus, "clean": clean}


def stored_copy(corpus: dict, tmp_path: Path) -> Store:
    """A private copy of the warehouse before the run (public snapshot and the writer's build file, or the lake)."""
    stored = corpus["stored"]
    shutil.copytree(stored.warehouse.parent, tmp_path / "warehouse")
    warehouse = tmp_path / "warehouse" / stored.warehouse.name
    if stored.location is None:
        return Store(warehouse)
    corpus["copies"] += 1
    database = f"{stored.database}_copy{corpus['copies']}"
    clone_lake(corpus["server"], stored.database, Path(stored.location.data_path), database, tmp_path / "lake")
    return lake_store(warehouse, corpus["server"], database, tmp_path / "lake")


def assert_recovery_finishes_the_work(corpus: dict, store: Store) -> None:
    recovered = run_kronika(corpus["raw"], store)
    assert recovered.returncode == 0, recovered.stderr
    assert "Traceback" not in recovered.stderr
    assert_consistent(store)
    assert content_summary(store) == content_summary(corpus["clean"])
    assert_reports_fresh(store)
    if store.location is not None:
        return  # no snapshot file to copy or open: the lake's readers attach the catalog (checked above)
    warehouse = store.warehouse
    assert not list(warehouse.parent.glob(f".{warehouse.name}.*.tmp")), "a stale snapshot copy was left behind"
    assert subprocess.run([str(REPO / ".venv" / "bin" / "duckdb"), "-readonly", str(warehouse), "-c",
                           "SELECT count(*) FROM articles"], capture_output=True, text=True, timeout=60).returncode == 0


def test_the_clean_run_ingests_every_file(corpus):
    assert_consistent(corpus["clean"])
    (articles,), = query(corpus["clean"], "SELECT count(*) FROM articles")
    assert articles == STORED_ARTICLES + NEW_ARTICLES


@pytest.mark.parametrize("stage", ["batch_before_commit", "batch_after_commit", "publish_before_rename"])
def test_a_run_killed_at_a_named_point_leaves_the_public_state_as_it_was(corpus, tmp_path, stage):
    """Embedded: the public file is unchanged until the rename. DuckLake: a commit is the publication, so a kill
    before it leaves the lake as it was, and a kill just after it leaves the whole batch and nothing else."""
    store = stored_copy(corpus, tmp_path)
    before_state, before_tables = published_state(store), table_fingerprints(store)

    crashed = run_kronika(corpus["raw"], store, KRONIKA_TEST_CRASH_AT=stage)

    if store.location is not None and stage == "publish_before_rename":
        # A DuckLake commit is the publication: no snapshot file is renamed, so the point is never reached and the
        # run finishes, with the whole work done once.
        assert crashed.returncode == 0, crashed.stderr
        assert content_summary(store) == content_summary(corpus["clean"])
        assert_recovery_finishes_the_work(corpus, store)
        return
    assert crashed.returncode == KILLED_BY_HOOK, crashed.stderr
    if store.location is not None and stage == "batch_after_commit":
        assert_consistent(store)
        (files,), = query(store, "SELECT count(*) FROM source_files")
        assert files == STORED_ARTICLES + NEW_ARTICLES  # the one batch (default size) is in, once
        (runs,), = query(store, "SELECT count(*) FROM ingest_runs")
        assert runs == before_tables["ingest_runs"][0] + 1
    else:
        assert published_state(store) == before_state
        assert table_fingerprints(store) == before_tables
    assert_recovery_finishes_the_work(corpus, store)


def test_a_run_killed_between_batches_keeps_the_committed_batch_and_the_next_run_reads_only_the_rest(corpus, tmp_path):
    """Killed after its first batch's commit: that batch is kept (embedded: in the build file, unpublished; DuckLake:
    committed and visible), and the next run reads only the files after it."""
    batch_size = 100
    store = stored_copy(corpus, tmp_path)
    before_state = published_state(store)

    crashed = run_kronika(corpus["raw"], store, KRONIKA_BATCH_SIZE=str(batch_size),
                          KRONIKA_TEST_CRASH_AT="batch_after_commit")

    assert crashed.returncode == KILLED_BY_HOOK, crashed.stderr
    if store.location is None:
        assert published_state(store) == before_state  # nothing is published before the run's last batch
    else:
        assert_consistent(store)
        (files,), = query(store, "SELECT count(*) FROM source_files")
        assert files == STORED_ARTICLES + batch_size
    resumed = run_kronika(corpus["raw"], store, KRONIKA_BATCH_SIZE=str(batch_size))
    assert resumed.returncode == 0, resumed.stderr
    assert f"Ingested {NEW_ARTICLES - batch_size} files" in resumed.stdout  # the committed batch is not read again
    assert_consistent(store)
    assert content_summary(store) == content_summary(corpus["clean"])  # clean: one batch of all new files
    assert_reports_fresh(store)


@pytest.mark.parametrize("delay_seconds", [3.0])
def test_a_run_killed_after_a_delay_publishes_only_whole_batches(corpus, tmp_path, delay_seconds):
    """Small batches, so the kill may land while parsing, inside a batch's transaction or between batches."""
    batch_size = 100
    store = stored_copy(corpus, tmp_path)
    before_state, before_tables = published_state(store), table_fingerprints(store)

    process = start_kronika(corpus["raw"], store, KRONIKA_BATCH_SIZE=str(batch_size))
    time.sleep(delay_seconds)
    kill_hard(process)

    if published_state(store) == before_state:
        assert table_fingerprints(store) == before_tables
    assert_consistent(store)
    (files,), = query(store, "SELECT count(*) FROM source_files")
    assert (files - STORED_ARTICLES) % batch_size == 0 or files == STORED_ARTICLES + NEW_ARTICLES
    assert_recovery_finishes_the_work(corpus, store)


def batch_is_published(store: Store, runs_before: int):
    """A probe that turns true once the run's batch is visible to readers (the report tables come after it)."""
    if store.location is None:
        inode_before = store.warehouse.stat().st_ino
        return lambda: store.warehouse.stat().st_ino != inode_before
    connection = store.connect()
    # One reader kept open: each query sees the lake's latest snapshot.
    return lambda: connection.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] > runs_before


def test_a_run_killed_while_writing_report_tables_keeps_the_published_batch(corpus, tmp_path):
    store = stored_copy(corpus, tmp_path)
    (runs_before,), = query(store, "SELECT count(*) FROM ingest_runs")
    published = batch_is_published(store, runs_before)

    process = start_kronika(corpus["raw"], store)
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while not published() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    kill_hard(process)

    assert_consistent(store)
    (articles,), = query(store, "SELECT count(*) FROM articles")
    assert articles == STORED_ARTICLES + NEW_ARTICLES
    assert_recovery_finishes_the_work(corpus, store)


def worker_processes(pid: int) -> list[int]:
    """The run's worker processes (spawned by `pipelines.lib.workers`), from /proc."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    workers = []
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            continue
        if "spawn_main" in command:
            workers.append(int(child))
    return workers


def test_a_worker_killed_while_preparing_a_batch_fails_the_run_in_one_line_and_leaves_the_state_as_it_was(
        corpus, tmp_path):
    """Two worker processes read, parse and extract the batches ahead of the writer; one is killed (SIGKILL, as the
    OOM killer does) while both hold a batch: the run stops with one line saying so, nothing of those batches is
    written, no worker is left behind, and the next run finishes the work."""
    batch_size = 100
    store = stored_copy(corpus, tmp_path)
    before_state, before_tables = published_state(store), table_fingerprints(store)
    pause = tmp_path / "pause"
    pause.mkdir()

    process = start_kronika(corpus["raw"], store, KRONIKA_BATCH_SIZE=str(batch_size), KRONIKA_WORKERS="2",
                            KRONIKA_TEST_PAUSE_AT=f"before_read:{pause}")
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while not (pause / "ready").exists():
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
        workers = worker_processes(process.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        (pause / "go").touch()
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
    finally:
        kill_hard(process)

    assert process.returncode == 1, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "worker process died while preparing batch 1 of 4" in lines[0], stderr
    assert "Traceback" not in stderr
    assert published_state(store) == before_state
    assert table_fingerprints(store) == before_tables
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers), "a worker outlived the run"
    assert_recovery_finishes_the_work(corpus, store)
