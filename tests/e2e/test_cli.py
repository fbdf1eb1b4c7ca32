"""The `kronika` command on the sample corpus, and the warehouse it writes opened by the real DuckDB CLI.

Runs `kronika run` once (module fixture) on a copy of raw/ into a temporary warehouse."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.lib.reports import list_reports
from pipelines.lib.warehouse import query_rows

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SEED = "000_569b95381efc9f15.txt"

pytestmark = pytest.mark.e2e


def kronika(*args: str, env: dict | None = None, check: bool = True, cwd: Path | None = None
            ) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "kronika"), *args], capture_output=True, text=True, env=env, timeout=600,
                            cwd=cwd)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("cli")
    raw = workdir / "raw"
    shutil.copytree(ROOT / "raw", raw)
    environment = {**os.environ, "KRONIKA_RAW_DIR": str(raw), "KRONIKA_WAREHOUSE": str(workdir / "kronika.duckdb"),
                   "COLUMNS": "200"}
    result = kronika("run", env=environment)
    return {"env": environment, "warehouse": workdir / "kronika.duckdb", "raw": raw, "output": result.stdout}


def query(warehouse: Path, sql: str) -> list[tuple]:
    return query_rows(warehouse, sql)


def test_run_prints_the_top_entities_table(built):
    assert "Top entities" in built["output"]
    assert "Donald Trump" in built["output"]
    assert "Ingested" in built["output"]


def test_every_sample_file_is_ingested_once(built):
    files = [p for p in built["raw"].rglob("*") if p.is_file() and p.suffix in (".txt", ".md")]
    jsonl_records = sum(len(p.read_text().splitlines()) for p in built["raw"].rglob("*.jsonl"))
    rows = query(built["warehouse"], "SELECT count(*) FROM source_files")[0][0]
    assert rows == len(files) + jsonl_records
    articles, distinct = query(built["warehouse"], "SELECT count(*), count(DISTINCT article_id) FROM articles")[0]
    assert articles == distinct


def test_the_first_seed_parses_as_the_foundation_issue_says(built):
    row = query(built["warehouse"], f"""
        SELECT title, strftime(timezone('Europe/Tirane', published_at), '%Y-%m-%d %H:%M:%S'), author, outlet, section
        FROM articles WHERE source_path = '{SEED}'""")[0]
    assert row == ("Offer and threat in one move, the first real attempt after the failure in Alaska",
                   "2025-10-17 20:51:01", "Ettore Sequi", "La Stampa", "Pikëpamje")


def test_the_first_seeds_top_three_persons_are_linked_across_surface_forms(built):
    rows = query(built["warehouse"], f"""
        SELECT e.name, count(*) FROM mentions m JOIN entities e USING (entity_id) JOIN articles a USING (article_id)
        WHERE a.source_path = '{SEED}' AND e.entity_type = 'PERSON' GROUP BY e.name ORDER BY 2 DESC LIMIT 3""")
    assert {name for name, _ in rows} == {"Vladimir Putin", "Donald Trump", "Volodymyr Zelensky"}
    melania = query(built["warehouse"], f"""
        SELECT count(*) FROM mentions m JOIN entities e USING (entity_id) JOIN articles a USING (article_id)
        WHERE a.source_path = '{SEED}' AND e.name = 'Melania Trump'""")
    assert melania == [(1,)]


def test_report_lists_reports_and_shows_parameters(built):
    listing = kronika("report", env=built["env"]).stdout
    for report in list_reports():
        assert report.name in listing
    help_text = kronika("report", "top_entities", "--help", env=built["env"]).stdout
    assert "entity_type" in help_text and "top" in help_text


def test_report_runs_with_parameters_and_formats(built):
    result = kronika("report", "top_entities", "--param", "entity_type=PERSON", "--param", "top=3",
                     "--format", "json", env=built["env"])
    rows = json.loads(result.stdout)
    assert len(rows) == 3 and all(row["entity_type"] == "PERSON" for row in rows)
    csv = kronika("report", "top_entities", "--format", "csv", env=built["env"]).stdout
    assert csv.splitlines()[0].startswith("name,entity_type,mentions")


def test_unknown_report_and_bad_parameter_are_clear_errors(built):
    unknown = kronika("report", "no_such_report", env=built["env"], check=False)
    assert unknown.returncode == 2 and "no report named" in unknown.stderr and "Traceback" not in unknown.stderr
    bad = kronika("report", "top_entities", "--param", "colour=red", env=built["env"], check=False)
    assert bad.returncode == 2 and "no parameter colour" in bad.stderr


def test_status_lists_files_by_status(built):
    output = kronika("status", env=built["env"]).stdout
    assert "ingested" in output and "superseded" in output


def test_second_run_ingests_nothing_and_changes_nothing(built):
    before = query(built["warehouse"], "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM mentions)")
    kronika("run", "--quiet", env=built["env"])
    after = query(built["warehouse"], "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM mentions)")
    assert before == after


def example_parameters(report) -> list[tuple[str, str]]:
    """The `--param k=v` pairs of the report's first `kronika report` example."""
    for example in report.examples:
        if example.startswith(".venv/bin/kronika report"):
            words = shlex.split(example)
            return [tuple(words[i + 1].split("=", 1)) for i, word in enumerate(words) if word == "--param"]
    return []


def sql_literal(value: str) -> str:
    return value if re.fullmatch(r"-?\d+(\.\d+)?", value) else "'" + value.replace("'", "''") + "'"


def test_the_duckdb_cli_opens_the_warehouse_and_runs_every_report(built):
    cli = shutil.which("duckdb", path=str(BIN)) or shutil.which("duckdb")
    assert cli, "the duckdb CLI (package duckdb-cli) is a base dependency and must be in the venv"
    version = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout
    assert version.startswith("v1."), version
    for report in list_reports():
        # The CLI takes a dot command only in a -c of its own.
        setup = [arg for name, value in example_parameters(report)
                 for arg in ("-c", f"SET VARIABLE {name} = {sql_literal(value)}")]
        result = subprocess.run([cli, "-readonly", "-csv", str(built["warehouse"]), *setup, "-c", f".read {report.path}"],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and "Error" not in result.stderr, (report.name, result.stderr)
    count = subprocess.run([cli, "-readonly", "-csv", "-noheader", str(built["warehouse"]), "-c",
                            "SELECT count(*) FROM articles"], capture_output=True, text=True)
    assert int(count.stdout.strip()) > 10


def test_eval_and_bench_take_their_options_first():
    """`kronika eval --json` used to stop at kronika's own parser ('unrecognized arguments: --json'): argparse's
    REMAINDER takes no leading option. The options now reach the verb's parser, and a wrong one is its error."""
    scores = json.loads(kronika("eval", "--json", "--no-spans", cwd=ROOT).stdout)
    assert scores["entities"]["micro"]["f1"] >= 0.95
    assert {row["test_set"] for row in scores["surname_pairs"]} == {"sq_ntrex", "en_ntrex"}
    assert all(row["rate"] >= 0.9 for row in scores["surname_pairs"])
    wrong = kronika("eval", "--bogus", check=False)
    assert wrong.returncode == 2 and "kronika eval: error: unrecognized arguments: --bogus" in wrong.stderr
    assert kronika("status", "--bogus", check=False).returncode == 2


def test_run_with_worker_processes_writes_what_one_process_writes(built, tmp_path):
    # Small batches, so two workers prepare them ahead of the writer (`--workers 2`), one transaction per batch.
    environment = {**built["env"], "KRONIKA_WAREHOUSE": str(tmp_path / "kronika.duckdb")}
    result = kronika("run", "--workers", "2", "--batch-size", "10", "--quiet", env=environment)
    assert "Traceback" not in result.stderr
    counts = ("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM mentions), (SELECT count(*) FROM figures), "
              "(SELECT count(*) FROM sentences), (SELECT count(*) FROM source_files), (SELECT count(*) FROM entities)")
    assert query(tmp_path / "kronika.duckdb", counts) == query(built["warehouse"], counts)
    assert query(tmp_path / "kronika.duckdb", "SELECT count(*) > 1 FROM ingest_runs") == [(True,)]


def test_run_refuses_a_number_of_workers_below_one(built, tmp_path):
    result = kronika("run", "--workers", "0", env={**built["env"], "KRONIKA_WAREHOUSE": str(tmp_path / "w.duckdb")},
                     check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == "kronika: --workers takes a number of processes, 1 or more"
