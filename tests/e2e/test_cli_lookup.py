"""`kronika report` as an analyst types it: entities by any name, validated values, empty results and
DuckDB errors said in one sentence; `kronika run` on an empty folder and its file/record counts.

One `kronika run` on a copy of raw/ (module fixture) into a temporary warehouse."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.e2e


def kronika(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "kronika"), *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("lookup")
    raw = workdir / "raw"
    shutil.copytree(ROOT / "raw", raw)
    environment = {**os.environ, "KRONIKA_RAW_DIR": str(raw), "KRONIKA_WAREHOUSE": str(workdir / "kronika.duckdb"),
                   "COLUMNS": "200"}
    result = kronika("run", "--quiet", env=environment)
    assert result.returncode == 0, result.stderr
    return {"env": environment, "warehouse": workdir / "kronika.duckdb", "raw": raw, "output": result.stdout,
            "workdir": workdir}


def report_csv(built, *args: str) -> subprocess.CompletedProcess:
    return kronika("report", *args, "--format", "csv", env=built["env"])


def entity_of(result: subprocess.CompletedProcess, column: str = "entity") -> set[str]:
    lines = result.stdout.splitlines()
    header = lines[0].split(",")
    return {line.split(",")[header.index(column)] for line in lines[1:]}


def test_counts_say_files_and_records_apart(built):
    files = [p for p in built["raw"].rglob("*") if p.is_file()]
    records = sum(1 for p in files if p.suffix != ".jsonl") + sum(
        len(p.read_text().splitlines()) for p in files if p.suffix == ".jsonl")
    assert f"Ingested {len(files)} files ({records} records: " in built["output"]


@pytest.mark.parametrize("spelling, name", [
    ("Putin", "Vladimir Putin"), ("putin", "Vladimir Putin"), ("Putini", "Vladimir Putin"),
    ("Kurtit", "Albin Kurti"), ("Shqipëria", "Albania"), ("shqiperia", "Albania"), ("US", "United States"),
    ("EU", "European Union"), ("person:vladimir_putin", "Vladimir Putin"), ("Rusisë", "Russia"), ("gpe:russia", "Russia"),
])
def test_an_entity_parameter_takes_any_name(built, spelling, name):
    result = report_csv(built, "entity_trend", "--param", f"entity={spelling}", "--param", "period=month")
    assert result.returncode == 0, result.stderr
    assert entity_of(result) == {name}


def test_a_misspelt_inflected_name_gets_did_you_mean(built):
    result = report_csv(built, "keyword_in_context", "--param", "entity=Putinnit")
    assert result.returncode == 2
    assert result.stderr.startswith("kronika: no entity named 'Putinnit' for entity; did you mean Vladimir Putin")
    assert "Traceback" not in result.stderr


def test_a_candidate_name_is_found_too(built):
    with duckdb.connect(str(built["warehouse"]), read_only=True) as connection:
        candidate = connection.sql("SELECT m.surface FROM mentions m JOIN entities e USING (entity_id) "
                                   "WHERE NOT e.linked GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    result = report_csv(built, "keyword_in_context", "--param", f"entity={candidate.upper()}")
    assert result.returncode == 0, result.stderr
    assert candidate in result.stdout


def test_entity_type_lists_the_allowed_values(built):
    result = report_csv(built, "top_entities", "--param", "entity_type=PEOPLE")
    assert result.returncode == 2
    assert result.stderr == ("kronika: entity_type must be one of PERSON, ORG, GPE, LOC, EVENT, OTHER (any case), "
                             "not 'PEOPLE' (`kronika report top_entities --help` lists its parameters)\n")


def test_entity_type_in_lower_case_is_accepted(built):
    result = report_csv(built, "top_entities", "--param", "entity_type=person")
    assert result.returncode == 0, result.stderr
    assert entity_of(result, "entity_type") == {"PERSON"}


def test_a_month_name_is_refused_with_the_format(built):
    result = report_csv(built, "cooccurrence", "--param", "month=October")
    assert result.returncode == 2
    assert "month must be a month written YYYY-MM (e.g. 2025-10), not 'October'" in result.stderr


@pytest.mark.parametrize("parameter, said", [
    ("period=weekly", "period must be week or month, not 'weekly'"),
    ("as_of=yesterday", "as_of must be a date written YYYY-MM-DD (e.g. 2025-11-15), not 'yesterday'"),
    ("timezone=Tirana", "timezone must be an IANA time zone (e.g. Europe/Tirane, UTC), not 'Tirana'"),
    ("top=ten", "top must be a whole number (e.g. 20), not 'ten'"),
])
def test_no_raw_duckdb_error_reaches_the_user(built, parameter, said):
    result = report_csv(built, "entity_trend", "--param", parameter)
    assert result.returncode == 2
    assert said in result.stderr
    assert "Error:" not in result.stderr


def test_an_empty_result_says_so_and_why_on_stderr(built):
    result = report_csv(built, "keyword_in_context", "--param", "entity=NATO", "--param", "partner=Russia")
    assert result.returncode == 0
    assert result.stderr == ("kronika: keyword_in_context: no rows for entity=NATO (org:nato), partner=Russia "
                             "(gpe:iso:RU) in 18 article(s) of this warehouse; a wider window finds more: "
                             "--param unit_window=article\n")


def test_every_help_example_of_keyword_in_context_returns_rows(built):
    from pipelines.lib.reports import find_report

    examples = [e for e in find_report("keyword_in_context").examples if e.startswith(".venv/bin/kronika report")]
    assert examples
    for example in examples:
        arguments = example.split()[1:]
        result = kronika(*arguments, "--format", "csv", env=built["env"])
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) > 1, example


def test_required_parameters_read_required_without_a_default(built):
    result = kronika("report", "keyword_in_context", "--help", env=built["env"])
    entity_line = next(line for line in result.stdout.splitlines() if "--param entity=" in line)
    assert entity_line.endswith("(required)")
    assert "default: none" not in entity_line
    missing = report_csv(built, "keyword_in_context")
    assert missing.stderr.startswith("kronika: entity is required: --param entity=VALUE")


def test_a_file_that_is_not_duckdb_gets_no_parameter_hint(built):
    bad = built["workdir"] / "notes.duckdb"
    bad.write_text("not a database")
    result = kronika("report", "top_entities", "--warehouse", str(bad), env=built["env"])
    assert result.returncode == 2
    assert result.stderr == (f"kronika: {bad} is not a DuckDB warehouse (the file exists but is not a DuckDB "
                             "database): point --warehouse (or KRONIKA_WAREHOUSE) at the kronika.duckdb that "
                             "`kronika run` writes\n")


def test_a_locked_file_says_who_holds_it(built):
    locked = built["workdir"] / "locked.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(locked)!r}); "
                               "print('ready', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = kronika("report", "top_entities", "--warehouse", str(locked), env=built["env"])
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert result.returncode == 3  # busy, as for a writer (pipelines/lib/lease.py says who and what to do)
    assert str(holder.pid) in result.stderr
    assert "--help" not in result.stderr and "IO Error" not in result.stderr


def test_run_on_a_folder_without_article_files_says_so(tmp_path):
    empty = tmp_path / "raw"
    (empty / "notes").mkdir(parents=True)
    (empty / "notes" / "readme.pdf").write_bytes(b"%PDF")
    environment = {**os.environ, "KRONIKA_RAW_DIR": str(empty), "KRONIKA_WAREHOUSE": str(tmp_path / "w" / "k.duckdb")}
    result = kronika("run", env=environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"No article files under {empty}: Kronika reads .txt, .md and .jsonl files "
                             "(in sub-folders too); nothing was ingested.\n")
    assert "0/1" not in result.stderr


NOT_DUCKDB_FOR_WRITING = ("is not a DuckDB warehouse (the file exists but is not a DuckDB database), so Kronika will "
                          "not replace it: move it aside or point --warehouse (or KRONIKA_WAREHOUSE) at another path; "
                          "nothing was written\n")


def test_status_on_a_file_that_is_not_duckdb_is_one_sentence(built):
    bad = built["workdir"] / "status-notes.duckdb"
    bad.write_text("not a database")
    result = kronika("status", "--warehouse", str(bad), env=built["env"])
    assert result.returncode == 2
    assert result.stderr == (f"kronika: {bad} is not a DuckDB warehouse (the file exists but is not a DuckDB "
                             "database): point --warehouse (or KRONIKA_WAREHOUSE) at the kronika.duckdb that "
                             "`kronika run` writes\n")


def test_purge_missing_never_overwrites_a_file_that_is_not_duckdb(built):
    bad = built["workdir"] / "purge-notes.duckdb"
    bad.write_text("not a database")
    result = kronika("purge-missing", "--warehouse", str(bad), env=built["env"])
    assert result.returncode == 2
    assert result.stderr == f"kronika: {bad} {NOT_DUCKDB_FOR_WRITING}"
    assert bad.read_text() == "not a database"


def test_run_into_a_file_that_is_not_duckdb_is_refused_before_any_work(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "one.txt").write_text("Kurti meets Rama\n\nAlbin Kurti met Edi Rama in Tirana on Monday.\n")
    bad = tmp_path / "kronika.duckdb"
    bad.write_text("not a database")
    environment = {**os.environ, "KRONIKA_RAW_DIR": str(raw), "KRONIKA_WAREHOUSE": str(bad)}
    result = kronika("run", "--quiet", env=environment)
    assert result.returncode == 2
    assert result.stderr == f"kronika: {bad} {NOT_DUCKDB_FOR_WRITING}"
    assert bad.read_text() == "not a database"
    assert not (tmp_path / "kronika.files").exists()  # refused before the lease, the build file or Dagster
    bad.rename(tmp_path / "notes.txt")  # moved aside, as the message says
    assert kronika("run", "--quiet", env=environment).returncode == 0
    with duckdb.connect(str(bad), read_only=True) as connection:
        assert connection.sql("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_a_duckdb_file_without_the_warehouse_tables_is_one_sentence(built):
    other = built["workdir"] / "other.duckdb"
    with duckdb.connect(str(other)) as connection:
        connection.execute("CREATE TABLE notes (line VARCHAR)")
    result = kronika("status", "--warehouse", str(other), env=built["env"])
    assert result.returncode == 2
    assert result.stderr == (f"kronika: {other} has no table source_files, so it is not a Kronika warehouse or "
                             "predates this version: point --warehouse (or KRONIKA_WAREHOUSE) at the kronika.duckdb "
                             "that `kronika run` writes, or run `kronika run` to bring it up to date\n")


def test_run_on_an_emptied_folder_with_a_warehouse_says_so_and_finishes_its_progress(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    article = raw / "one.txt"
    article.write_text("Kurti meets Rama\n\nAlbin Kurti met Edi Rama in Tirana on Monday.\n")
    environment = {**os.environ, "KRONIKA_RAW_DIR": str(raw), "KRONIKA_WAREHOUSE": str(tmp_path / "k.duckdb")}
    assert kronika("run", "--quiet", env=environment).returncode == 0
    article.unlink()
    result = kronika("run", env=environment)
    assert result.returncode == 0, result.stderr
    assert (f"\nNo article files under {raw} (Kronika reads .txt, .md and .jsonl files, in sub-folders too).\n"
            in result.stdout)
    bars = re.findall(r"(\d+)/(\d+) \d+:\d\d:\d\d$", result.stdout, flags=re.MULTILINE)
    assert bars and all(done == total for done, total in bars), bars  # every bar finished, none stuck at 0/1
    assert "Traceback" not in result.stderr


def test_purge_missing_without_a_warehouse_creates_none(tmp_path, built):
    absent = tmp_path / "absent" / "kronika.duckdb"
    result = kronika("purge-missing", "--warehouse", str(absent), env=built["env"])
    assert result.returncode == 2
    assert result.stderr == f"kronika: no warehouse at {absent}: run `kronika run` first\n"
    assert not absent.parent.exists()
