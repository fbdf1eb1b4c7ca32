"""Fuzzing the whole ingest path: 2,000 mutated articles (headers included) through one real `kronika run`.

The corpus is seeded (`pipelines/tooling/fuzz_corpus.py`): byte flips, truncation, huge lines and headers, NULs,
odd encodings, impossible dates and UTC offsets, empty files, giant numbers, copies and broken JSON Lines. No run
may fail, and every file must end `ingested`, `duplicate`, `superseded` or `quarantined` with a reason."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.lib.warehouse import query_rows
from pipelines.tooling.fuzz_corpus import fuzz_corpus

pytestmark = pytest.mark.e2e

KRONIKA = str(Path(sys.executable).parent / "kronika")
ARTICLES = 2000
SEED = 20261203
# A hang guard, not a benchmark: the run takes about 30 s on a loaded 2-core machine.
RUN_TIMEOUT_SECONDS = 600
FINAL_STATUSES = {"ingested", "duplicate", "superseded", "quarantined"}


def test_two_thousand_mutated_articles_never_fail_a_run_and_every_file_ends_with_a_status(tmp_path):
    raw_dir, warehouse = tmp_path / "raw", tmp_path / "warehouse" / "kronika.duckdb"
    counts = fuzz_corpus(raw_dir, articles=ARTICLES, seed=SEED)
    assert counts["none"] < ARTICLES / 4 and counts["bad_offset"] > 100 and counts["bad_date"] > 100
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KRONIKA_")}
    command = [KRONIKA, "run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, env=environment)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "Traceback" not in first.stderr

    rows = query_rows(warehouse, "SELECT source_path, status, reason FROM source_files")
    assert {status for _, status, _ in rows} <= FINAL_STATUSES
    without_reason = [(path, status) for path, status, reason in rows if status != "ingested" and not reason]
    assert without_reason == []
    recorded = {path.split("#")[0] for path, _, _ in rows}
    on_disk = {path.relative_to(raw_dir).as_posix() for path in raw_dir.rglob("*") if path.is_file()}
    assert on_disk - recorded == set()
    assert len([path for path in on_disk if not path.endswith(".jsonl")]) >= ARTICLES
    statuses = {status for _, status, _ in rows}
    assert {"ingested", "quarantined", "duplicate"} <= statuses
    (ingested,), = query_rows(warehouse, "SELECT count(*) FROM source_files WHERE status = 'ingested'")
    (articles,), = query_rows(warehouse, "SELECT count(*) FROM articles")
    assert articles == ingested > ARTICLES / 2
    unwanted = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")
    unclean = [path for path, title, body in query_rows(warehouse, "SELECT source_path, title, body FROM articles")
               if unwanted.search((title or "") + body)]
    assert unclean == []

    second = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, env=environment)
    assert second.returncode == 0 and "Nothing new" in second.stdout, second.stderr[-3000:]
