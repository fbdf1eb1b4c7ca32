"""Reading raw/ safely with real `kronika` processes: a symlink swapped in between scan and read is never followed,
broken JSON Lines records get rows of their own, JSON escapes are cleaned, and refused files are never purged."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.lib.warehouse import query_rows

pytestmark = pytest.mark.e2e

KRONIKA = str(Path(sys.executable).parent / "kronika")
RUN_TIMEOUT_SECONDS = 300
PAUSE_TIMEOUT_SECONDS = 120
SECRET = "Sekreti-jashte-raw"

BODY = ("Qeveria e Shqipërisë miratoi sot buxhetin për vitin e ardhshëm në Tiranë, me 2,5 për qind rritje.\n\n"
        "Ministri i Financave tha se çmimet e energjisë do të mbeten të qëndrueshme deri në pranverë.")


def article(title: str, extra: str = "") -> str:
    return f"{title}\n2025-10-17 09:30\n\n{BODY}{extra}\n"


def kronika(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KRONIKA_")}
    return subprocess.run([KRONIKA, *args], capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS,
                          env={**environment, **(env or {})})


def rows(warehouse: Path, sql: str) -> list[tuple]:
    return query_rows(warehouse, sql)


def test_a_symlink_swapped_in_between_scan_and_read_is_never_followed(tmp_path):
    raw_dir, warehouse, outside = tmp_path / "raw", tmp_path / "warehouse" / "kronika.duckdb", tmp_path / "outside"
    (raw_dir / "folder").mkdir(parents=True)
    outside.mkdir()
    for index in range(3):
        (raw_dir / f"good_{index}.txt").write_text(article(f"Lajm i mirë numër {index}"))
    (raw_dir / "swapped.txt").write_text(article("Skedari që do të zëvendësohet"))
    (raw_dir / "folder" / "inner.txt").write_text(article("Skedari në dosjen që do të zëvendësohet"))
    (outside / "secret.txt").write_text(article(f"Lajm sekret {SECRET}", f"\n\n{SECRET}"))
    (outside / "inner.txt").write_text(article(f"Dosje sekrete {SECRET}", f"\n\n{SECRET}"))

    pause = tmp_path / "pause"
    pause.mkdir()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KRONIKA_")}
    run = subprocess.Popen([KRONIKA, "run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet"],
                           env={**environment, "KRONIKA_TEST_PAUSE_AT": f"before_read:{pause}"},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + PAUSE_TIMEOUT_SECONDS
        while not (pause / "ready").exists():
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.05)
        # Discovery has seen two regular files; swap in links to files outside raw/ before they are read.
        (raw_dir / "swapped.txt").unlink()
        (raw_dir / "swapped.txt").symlink_to(outside / "secret.txt")
        os.rename(raw_dir / "folder", tmp_path / "folder_moved_away")
        (raw_dir / "folder").symlink_to(outside, target_is_directory=True)
        (pause / "go").touch()
        stdout, stderr = run.communicate(timeout=RUN_TIMEOUT_SECONDS)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 0, stderr

    statuses = {path: (status, reason) for path, status, reason in
                rows(warehouse, "SELECT source_path, status, reason FROM source_files")}
    assert {statuses[f"good_{index}.txt"][0] for index in range(3)} == {"ingested"}
    for path in ("swapped.txt", "folder/inner.txt"):
        status, reason = statuses[path]
        assert status == "quarantined" and "outside raw_dir" in reason and "not read" in reason, (path, reason)
    (leaks,), = rows(warehouse, f"SELECT count(*) FROM articles WHERE body LIKE '%{SECRET}%' "
                                f"OR title LIKE '%{SECRET}%'")
    assert leaks == 0
    (stored_hashes,), = rows(warehouse, "SELECT count(*) FROM source_files WHERE source_path IN "
                                        "('swapped.txt', 'folder/inner.txt') AND content_sha256 IS NOT NULL")
    assert stored_hashes == 0  # not even hashed


def test_broken_json_lines_records_get_their_own_quarantined_row_and_escapes_are_cleaned(tmp_path):
    raw_dir, warehouse = tmp_path / "raw", tmp_path / "warehouse" / "kronika.duckdb"
    raw_dir.mkdir()
    good = {"title": "Buxheti i ri miratohet në Tiranë", "date": "2025-10-17 09:30", "body": BODY}
    escaped = {"title": "Lajm me kode \u001b[31mngjyre\u001b[0m", "date": "2025-10-18 09:30",
               "body": BODY + " Shenja \ufffd e humbur dhe \u0007zile\u0000."}
    lines = [
        json.dumps(good),
        '{"title": "broken", "body": ',
        "[1, 2, 3]",
        json.dumps(escaped),  # ensure_ascii: the control characters arrive as \\u escapes
        '{"title": "giant", "body": "x", "words": ' + "9" * 5000 + "}",
        "[" * 100_000 + "]" * 100_000,
        "",
        json.dumps({**good, "title": "Lajmi i tretë në Durrës", "date": "2025-10-19 09:30"}),
    ]
    (raw_dir / "feed.jsonl").write_text("\n".join(lines) + "\n")
    result = kronika("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet")
    assert result.returncode == 0, result.stderr

    found = {path: (status, reason) for path, status, reason in
             rows(warehouse, "SELECT source_path, status, reason FROM source_files ORDER BY source_path")}
    assert {path: status for path, (status, _) in found.items()} == {
        "feed.jsonl#1": "ingested", "feed.jsonl#2": "quarantined", "feed.jsonl#3": "quarantined",
        "feed.jsonl#4": "ingested", "feed.jsonl#5": "quarantined", "feed.jsonl#6": "quarantined",
        "feed.jsonl#8": "ingested"}
    assert found["feed.jsonl#2"][1].startswith("line 2: invalid JSON")
    assert found["feed.jsonl#3"][1] == "line 3: a JSON list, not an object"
    assert found["feed.jsonl#5"][1].startswith("line 5: JSON Python cannot hold")
    assert found["feed.jsonl#6"][1].startswith("line 6: JSON Python cannot hold")

    (title, body, encoding), = rows(warehouse, "SELECT a.title, a.body, s.encoding FROM articles a "
                                               "JOIN source_files s USING (source_path) WHERE source_path = 'feed.jsonl#4'")
    for text in (title, body):
        assert not any(character in text for character in ("\x1b", "\ufffd", "\x07", "\x00")), repr(text)
    assert title == "Lajm me kode [31mngjyre[0m" and encoding == "utf-8+cleaned"
    report = kronika("report", "top_entities", "--warehouse", str(warehouse), "--format", "csv")
    assert report.returncode == 0 and "\x1b" not in report.stdout

    again = kronika("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet")
    assert again.returncode == 0 and "Nothing new" in again.stdout, again.stderr

    # Line 2 fixed: its record is ingested and its old quarantine is over.
    lines[1] = json.dumps({**good, "title": "Rreshti i rregulluar", "date": "2025-10-20 09:30"})
    (raw_dir / "feed.jsonl").write_text("\n".join(lines) + "\n")
    fixed = kronika("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet")
    assert fixed.returncode == 0, fixed.stderr
    assert sorted(rows(warehouse, "SELECT status, reason FROM source_files WHERE source_path = 'feed.jsonl#2'"),
                  key=str) == [("ingested", None), ("superseded", "file content changed")]


def test_refused_files_stay_quarantined_while_on_disk_and_are_never_purged(tmp_path):
    raw_dir, warehouse, outside = tmp_path / "raw", tmp_path / "warehouse" / "kronika.duckdb", tmp_path / "outside"
    raw_dir.mkdir()
    outside.mkdir()
    (raw_dir / "good.txt").write_text(article("Lajm i mirë"))
    (raw_dir / "scan.pdf").write_bytes(b"%PDF-1.4 not an article")
    os.mkfifo(raw_dir / "pipe.txt")
    (outside / "elsewhere.txt").write_text(article("Jashtë"))
    (raw_dir / "link.txt").symlink_to(outside / "elsewhere.txt")
    refused = ["link.txt", "pipe.txt", "scan.pdf"]
    query = ("SELECT source_path, status, reason, missing_since FROM source_files "
             "WHERE source_path <> 'good.txt' ORDER BY source_path")

    first = kronika("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet")
    assert first.returncode == 0, first.stderr
    recorded = rows(warehouse, query)
    assert [path for path, *_ in recorded] == refused
    assert {(status, missing) for _, status, _, missing in recorded} == {("quarantined", None)}
    assert all(reason for _, _, reason, _ in recorded)

    for _ in range(2):  # later runs neither mark them missing nor record them again
        again = kronika("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet")
        assert again.returncode == 0, again.stderr
        assert rows(warehouse, query) == recorded
    purge = kronika("purge-missing", "--raw", str(raw_dir), "--warehouse", str(warehouse))
    assert purge.returncode == 0 and "Purged 0 article(s)" in purge.stdout, purge.stderr
    assert rows(warehouse, query) == recorded
    (runs,), = rows(warehouse, "SELECT count(*) FROM ingest_runs")
    assert runs == 1

    # Removed from disk, a refused file is missing like any other; a FIFO replaced by an article is read.
    (raw_dir / "scan.pdf").unlink()
    (raw_dir / "pipe.txt").unlink()
    (raw_dir / "pipe.txt").write_text(article("Tubi u bë lajm"))
    assert kronika("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet").returncode == 0
    (missing,), = rows(warehouse, "SELECT count(missing_since) FROM source_files WHERE source_path = 'scan.pdf'")
    assert missing == 1
    assert sorted(rows(warehouse, "SELECT status, reason FROM source_files WHERE source_path = 'pipe.txt'"),
                  key=str) == [("ingested", None), ("superseded", "file content changed")]
