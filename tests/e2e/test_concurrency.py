"""Concurrency with real processes: readers holding the public file during an ingest, and two writers at once.

Readers are the DuckDB CLI kept open on a pipe and a Python process holding a read-only connection; writers are
two `kronika run` processes on the same warehouse."""

import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.lib.synthetic import generate_corpus
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


def start_run(raw_dir: Path, warehouse: Path) -> subprocess.Popen:
    return subprocess.Popen([KRONIKA, "run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet"],
                            env=kronika_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
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


def test_two_writers_at_once_both_finish_or_one_says_why(corpus, tmp_path):
    warehouse = stored_copy(corpus, tmp_path)
    runs = [start_run(corpus["raw"], warehouse), start_run(corpus["raw"], warehouse)]
    outcomes = [run.communicate(timeout=RUN_TIMEOUT_SECONDS) + (run.returncode,) for run in runs]

    for stdout, stderr, returncode in outcomes:
        assert "Traceback" not in stderr, stderr
        if returncode != 0:
            assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("kronika: "), stderr
    assert any(returncode == 0 for _, _, returncode in outcomes)
    assert_no_duplicates(warehouse)
    # Whatever the interleaving, one more run has nothing left to do and changes nothing.
    before = query(warehouse, "SELECT source_path, content_sha256, status, article_id FROM source_files ORDER BY ALL")
    again = subprocess.run([KRONIKA, "run", "--raw", str(corpus["raw"]), "--warehouse", str(warehouse), "--quiet"],
                           env=kronika_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    assert again.returncode == 0, again.stderr
    assert query(warehouse, "SELECT source_path, content_sha256, status, article_id FROM source_files "
                            "ORDER BY ALL") == before
