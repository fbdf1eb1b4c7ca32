"""Curation round trips with the real CLI on a real warehouse: `kronika entities promote|reject`, then
`kronika run` re-extracts exactly the articles the change marked, and the mentions follow the change.

One `kronika run` on a copy of raw/ (module fixture) into a temporary warehouse and user gazetteer."""

import csv
import io
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.gazetteer import slugify

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.e2e


def kronika(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "kronika"), *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("curation")
    raw = workdir / "raw"
    shutil.copytree(ROOT / "raw", raw)
    environment = {**os.environ, "KRONIKA_RAW_DIR": str(raw), "KRONIKA_WAREHOUSE": str(workdir / "kronika.duckdb"),
                   "KRONIKA_USER_GAZETTEER": str(workdir / "curation" / "gazetteer.tsv"), "COLUMNS": "200"}
    result = kronika("run", "--quiet", env=environment)
    assert result.returncode == 0, result.stderr
    return {"env": environment, "warehouse": workdir / "kronika.duckdb", "user_file": workdir / "curation" / "gazetteer.tsv"}


def query(built, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(built["warehouse"]), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def candidates(built) -> list[dict]:
    result = kronika("report", "unlinked_candidates", "--format", "csv", env=built["env"])
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def marked_count(output: str) -> int:
    last = output.strip().splitlines()[-1]
    assert last.endswith(" marked for re-extraction: run `kronika run` to apply."), output
    return int(last.split()[0])


def run_and_count_reextracted(built) -> int:
    result = kronika("run", "--quiet", env=built["env"])
    assert result.returncode == 0, result.stderr
    return query(built, "SELECT articles_reextracted FROM ingest_runs ORDER BY finished_at DESC LIMIT 1")[0][0]


def test_promote_links_the_candidates_mentions_and_reextracts_only_affected_articles(built):
    candidate = next(row for row in candidates(built) if row["entity_type"] == "PERSON" and " " in row["name"])
    before = query(built, "SELECT count(*), count(DISTINCT article_id) FROM mentions WHERE entity_id = ?",
                   [candidate["entity_id"]])[0]
    total_articles = query(built, "SELECT count(*) FROM articles")[0][0]
    # The report's command, pasted as printed.
    command = shlex.split(candidate["promote_command"])
    assert command[:4] == ["kronika", "entities", "promote", candidate["entity_id"]]
    promoted = kronika(*command[1:], env=built["env"])
    assert promoted.returncode == 0, promoted.stderr
    new_id = "person:" + slugify(candidate["name"])
    assert promoted.stdout.startswith(f"Promoted {candidate['entity_id']} to {new_id} PERSON "
                                      f"(spellings: {candidate['name']}) in {built['user_file']}.\n")
    marked = marked_count(promoted.stdout)
    assert 1 <= before[1] <= marked < total_articles
    assert built["user_file"].read_text().count(f"promote\t{new_id}\tPERSON\t{candidate['name']}\t") == 1

    assert run_and_count_reextracted(built) == marked
    assert query(built, "SELECT count(*) FROM mentions WHERE entity_id = ?", [candidate["entity_id"]])[0][0] == 0
    linked = query(built, "SELECT count(*), count(DISTINCT article_id) FROM mentions WHERE entity_id = ?", [new_id])[0]
    assert linked[0] >= before[0] and linked[1] == before[1]
    assert query(built, "SELECT linked, entity_type FROM entities WHERE entity_id = ?", [new_id]) == [(True, "PERSON")]
    # The report finds it by its name now, as a gazetteer entity.
    top = kronika("report", "top_entities", "--format", "csv", "--param", "top=1000", env=built["env"])
    assert candidate["name"] in top.stdout


def test_reject_drops_the_surfaces_mentions_and_reextracts_only_affected_articles(built):
    candidate = next(row for row in candidates(built) if " " not in row["name"] and int(row["articles"]) >= 1)
    articles_with_it = query(built, "SELECT count(DISTINCT article_id) FROM mentions WHERE entity_id = ?",
                             [candidate["entity_id"]])[0][0]
    rejected = kronika("entities", "reject", candidate["name"], env=built["env"])
    assert rejected.returncode == 0, rejected.stderr
    assert rejected.stdout.startswith(f"Rejected {candidate['name']!r} as no entity in {built['user_file']}.\n")
    marked = marked_count(rejected.stdout)
    assert articles_with_it <= marked < query(built, "SELECT count(*) FROM articles")[0][0]

    assert run_and_count_reextracted(built) == marked
    assert query(built, "SELECT count(*) FROM mentions WHERE entity_id = ? OR surface = ?",
                 [candidate["entity_id"], candidate["name"]])[0][0] == 0
    assert candidate["entity_id"] not in {row["entity_id"] for row in candidates(built)}

    again = kronika("entities", "reject", candidate["name"], env=built["env"])
    assert again.returncode == 2
    assert again.stderr == f"kronika: {candidate['name']!r} is already rejected (see `kronika entities list-changes`)\n"


def test_a_run_after_no_change_reextracts_nothing(built):
    result = kronika("run", "--quiet", env=built["env"])
    assert result.returncode == 0 and "is up to date" in result.stdout


def test_promote_errors_say_what_to_do(built):
    unknown = kronika("entities", "promote", "Zzyzx Qwerty", env=built["env"])
    assert unknown.returncode == 2
    assert unknown.stderr.startswith(f"kronika: no unlinked candidate 'Zzyzx Qwerty' in {built['warehouse']}.")
    assert unknown.stderr.endswith("See `kronika report unlinked_candidates`.\n")

    candidate = candidates(built)[0]
    bad_type = kronika("entities", "promote", candidate["entity_id"], "--type", "CITY", env=built["env"])
    assert bad_type.returncode == 2
    assert bad_type.stderr == ("kronika: --type 'CITY' is not an entity type: use one of "
                               "EVENT, GPE, LOC, ORG, OTHER, PERSON\n")
    taken = kronika("entities", "promote", candidate["entity_id"], "--type", "PERSON", "--id", "person:x\ty",
                    env=built["env"])
    assert taken.returncode == 2 and "may not contain a tab" in taken.stderr
