"""Concurrency with real processes: readers holding the public file during an ingest, and two writers at once.

Readers are the DuckDB CLI kept open on a pipe and a Python process holding a read-only connection; writers are
two `kronika run` processes on the same warehouse."""

import os
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.tooling.synthetic import generate_corpus
from pipelines.lib.warehouse import query_rows

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
KRONIKA = str(REPO / ".venv" / "bin" / "kronika")
DUCKDB_CLI = str(REPO / ".venv" / "bin" / "duckdb")
STORED_ARTICLES = 30
NEW_ARTICLES = 300
RUN_TIMEOUT_SECONDS = 240
ANSWER_TIMEOUT_SECONDS = 30
COUNT_QUERY = "SELECT (SELECT count(*) FROM articles) || ',' || (SELECT count(*) FROM source_files) || ',' || " \
              "(SELECT count(*) FROM mentions);"
PYTHON_READER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
for line in sys.stdin:
    print(connection.execute(line).fetchone()[0], flush=True)
"""


def kronika_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("KRONIKA_")}


def start_run(raw_dir: Path, warehouse: Path, lock_wait_seconds: float | None = None) -> subprocess.Popen:
    environment = kronika_env()
    if lock_wait_seconds is not None:
        environment["KRONIKA_LOCK_WAIT_SECONDS"] = str(lock_wait_seconds)
    return subprocess.Popen([KRONIKA, "run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet"],
                            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


class Reader:
    """A long-lived reader process that answers one query per line on its stdin."""

    def __init__(self, command: list[str], preamble: str = ""):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, bufsize=1, start_new_session=True)
        if preamble:
            self.process.stdin.write(preamble)

    def ask(self, sql: str) -> str:
        self.process.stdin.write(sql + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], ANSWER_TIMEOUT_SECONDS)
        assert ready, f"the reader did not answer: {self.process.stderr.read() if self.process.poll() else ''}"
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def duckdb_cli_reader(warehouse: Path) -> Reader:
    return Reader([DUCKDB_CLI, "-readonly", str(warehouse)], preamble=".mode list\n.headers off\n")


def python_reader(warehouse: Path) -> Reader:
    return Reader([sys.executable, "-c", PYTHON_READER, str(warehouse)])


def query(warehouse: Path, sql: str) -> list[tuple]:
    return query_rows(warehouse, sql)


def assert_no_duplicates(warehouse: Path) -> None:
    (articles, distinct_articles), = query(warehouse, "SELECT count(*), count(DISTINCT article_id) FROM articles")
    assert articles == distinct_articles == STORED_ARTICLES + NEW_ARTICLES
    (versions, distinct_versions), = query(
        warehouse, "SELECT count(*), count(DISTINCT (source_path, content_sha256)) FROM source_files")
    assert versions == distinct_versions == STORED_ARTICLES + NEW_ARTICLES
    (mentions, distinct_mentions), = query(
        warehouse, "SELECT count(*), count(DISTINCT (article_id, field, char_start, char_end, entity_id)) FROM mentions")
    assert mentions == distinct_mentions


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("concurrency")
    raw_dir = root / "raw"
    generate_corpus(raw_dir, STORED_ARTICLES, seed=21, words=120)
    stored = root / "stored" / "kronika.duckdb"
    first = subprocess.run([KRONIKA, "run", "--raw", str(raw_dir), "--warehouse", str(stored), "--quiet"],
                           env=kronika_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    assert first.returncode == 0, first.stderr
    generate_corpus(raw_dir, NEW_ARTICLES, seed=22, words=120, first_index=STORED_ARTICLES)
    return {"raw": raw_dir, "stored": stored}


def stored_copy(corpus: dict[str, Path], tmp_path: Path) -> Path:
    shutil.copytree(corpus["stored"].parent, tmp_path / "warehouse")
    return tmp_path / "warehouse" / corpus["stored"].name


def test_readers_holding_the_public_file_keep_their_snapshot_while_an_ingest_succeeds(corpus, tmp_path):
    warehouse = stored_copy(corpus, tmp_path)
    readers = [duckdb_cli_reader(warehouse), python_reader(warehouse)]
    try:
        before = [reader.ask(COUNT_QUERY) for reader in readers]
        assert before[0] == before[1]
        assert before[0].startswith(f"{STORED_ARTICLES},{STORED_ARTICLES},")

        run = start_run(corpus["raw"], warehouse)
        observed = []
        while run.poll() is None:
            observed.extend(reader.ask(COUNT_QUERY) for reader in readers)
            time.sleep(0.2)
        stdout, stderr = run.communicate(timeout=RUN_TIMEOUT_SECONDS)
        assert run.returncode == 0, stderr
        assert observed and set(observed) == {before[0]}
        # After the run the old readers still read their snapshot, whole.
        assert [reader.ask(COUNT_QUERY) for reader in readers] == before
    finally:
        for reader in readers:
            reader.close()

    fresh = duckdb_cli_reader(warehouse)
    try:
        articles, files, _ = fresh.ask(COUNT_QUERY).split(",")
    finally:
        fresh.close()
    assert int(articles) == int(files) == STORED_ARTICLES + NEW_ARTICLES
    assert_no_duplicates(warehouse)


def ingest_run_count(warehouse: Path) -> int:
    return query(warehouse, "SELECT count(*) FROM ingest_runs")[0][0]


def test_two_writers_at_once_one_does_the_work_and_the_other_exits_3_naming_it(corpus, tmp_path):
    warehouse = stored_copy(corpus, tmp_path)
    runs_before = ingest_run_count(warehouse)
    # A short wait: the first writer holds the lease for its whole run (several seconds), so the second gives up.
    runs = [start_run(corpus["raw"], warehouse, lock_wait_seconds=1),
            start_run(corpus["raw"], warehouse, lock_wait_seconds=1)]
    outcomes = [run.communicate(timeout=RUN_TIMEOUT_SECONDS) + (run.returncode, run.pid) for run in runs]

    assert sorted(returncode for _, _, returncode, _ in outcomes) == [0, 3], outcomes
    (_, winner_stderr, _, winner_pid), = [o for o in outcomes if o[2] == 0]
    (_, loser_stderr, _, _), = [o for o in outcomes if o[2] == 3]
    assert "Traceback" not in winner_stderr + loser_stderr
    assert len(loser_stderr.strip().splitlines()) == 1 and loser_stderr.startswith("kronika: "), loser_stderr
    assert f"pid {winner_pid} " in loser_stderr and "kronika run" in loser_stderr, loser_stderr
    # The refused writer did no work: one more ingest run, not two.
    assert ingest_run_count(warehouse) == runs_before + 1
    assert_no_duplicates(warehouse)
    before = query(warehouse, "SELECT source_path, content_sha256, status, article_id FROM source_files ORDER BY ALL")
    again = subprocess.run([KRONIKA, "run", "--raw", str(corpus["raw"]), "--warehouse", str(warehouse), "--quiet"],
                           env=kronika_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    assert again.returncode == 0, again.stderr
    assert "Nothing new" in again.stdout
    assert query(warehouse, "SELECT source_path, content_sha256, status, article_id FROM source_files "
                            "ORDER BY ALL") == before


HOLD_LEASE = """
import sys
from pathlib import Path
from pipelines.lib.lease import acquire_lease
acquire_lease(Path(sys.argv[1]), command="lease holder for a test")
print("held", flush=True)
sys.stdin.read()
"""


class LeaseHolderProcess:
    """Another process holding the writer lease until it is closed (its stdin ends)."""

    def __init__(self, warehouse: Path):
        self.process = subprocess.Popen([sys.executable, "-c", HOLD_LEASE, str(warehouse)], cwd=REPO,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        start_new_session=True)
        ready, _, _ = select.select([self.process.stdout], [], [], ANSWER_TIMEOUT_SECONDS)
        assert ready and self.process.stdout.readline().strip() == "held"

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


def test_every_writing_verb_waits_a_bounded_time_then_exits_3_naming_the_holder(corpus, tmp_path):
    warehouse = stored_copy(corpus, tmp_path)
    runs_before = ingest_run_count(warehouse)
    holder = LeaseHolderProcess(warehouse)
    try:
        for verb in (["run", "--raw", str(corpus["raw"]), "--quiet"], ["purge-missing"]):
            started = time.monotonic()
            result = subprocess.run([KRONIKA, *verb, "--warehouse", str(warehouse)],
                                    env={**kronika_env(), "KRONIKA_LOCK_WAIT_SECONDS": "2"},
                                    capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
            elapsed = time.monotonic() - started
            assert result.returncode == 3, (verb, result.stderr)
            assert result.stderr.count("\n") == 1 and result.stderr.startswith("kronika: "), result.stderr
            assert f"pid {holder.process.pid} " in result.stderr and "lease holder for a test" in result.stderr
            assert "waited 2 s" in result.stderr
            assert elapsed >= 2, elapsed
    finally:
        holder.close()
    assert ingest_run_count(warehouse) == runs_before
    # A dead holder releases the lease: nothing is left to clean up by hand.
    result = subprocess.run([KRONIKA, "run", "--raw", str(corpus["raw"]), "--warehouse", str(warehouse), "--quiet"],
                            env=kronika_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    assert result.returncode == 0, result.stderr
    assert ingest_run_count(warehouse) == runs_before + 1


def test_a_read_write_duckdb_session_on_the_published_file_gives_readers_one_line_and_exit_3(corpus, tmp_path):
    # Only the reading verbs: DuckDB's lock refuses every other reader of that file. `kronika run` ingests and
    # leaves the held file alone (tests/e2e/test_readwrite_session.py).
    warehouse = stored_copy(corpus, tmp_path)
    analyst = Reader([DUCKDB_CLI, str(warehouse)], preamble=".mode list\n.headers off\n")  # read-write, the default
    try:
        assert analyst.ask("SELECT count(*) FROM articles;") == str(STORED_ARTICLES)
        for verb in (["status"], ["report", "top_entities"]):
            result = subprocess.run([KRONIKA, *verb, "--warehouse", str(warehouse)], env=kronika_env(),
                                    capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
            assert result.returncode == 3, (verb, result.stdout, result.stderr)
            assert "Traceback" not in result.stderr
            assert result.stderr.count("\n") == 1 and "open read-write" in result.stderr, result.stderr
            # The program is named by DuckDB's lock message (.venv/bin/duckdb is a wrapper, so not its own pid).
            assert re.search(r"in \S*duckdb \(pid \d+\)", result.stderr) and "-readonly" in result.stderr
    finally:
        analyst.close()
    assert ingest_run_count(warehouse) == 1


def test_the_sensor_skips_its_tick_naming_the_holder_while_another_process_writes(corpus, tmp_path):
    import dagster as dg

    from pipelines.defs.resources import KronikaResource
    from pipelines.defs.sensors import raw_files_sensor
    from pipelines.lib.settings import Settings

    warehouse = stored_copy(corpus, tmp_path)
    kronika = KronikaResource.from_settings(Settings(corpus["raw"], warehouse))
    holder = LeaseHolderProcess(warehouse)
    try:
        with dg.instance_for_test() as instance:
            context = dg.build_sensor_context(instance=instance, resources={"kronika": kronika})
            result = raw_files_sensor(context)
    finally:
        holder.close()
    assert isinstance(result, dg.SkipReason), result
    assert f"pid {holder.process.pid} " in result.skip_message and "wait for the next tick" in result.skip_message
    with dg.instance_for_test() as instance:
        # Free again: the tick looks at raw/ (the new files need a second look before they launch).
        result = raw_files_sensor(dg.build_sensor_context(instance=instance, resources={"kronika": kronika}))
    assert not isinstance(result, dg.SkipReason) or "being written" not in result.skip_message
