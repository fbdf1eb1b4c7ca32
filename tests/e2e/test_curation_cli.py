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


def mention_counts(built, entity_id: str) -> tuple[int, int]:
    return query(built, "SELECT count(*), count(DISTINCT article_id) FROM mentions WHERE entity_id = ?", [entity_id])[0]


def articles_mentioning(built, *entity_ids: str) -> int:
    return query(built, "SELECT count(DISTINCT article_id) FROM mentions WHERE list_contains(?, entity_id)",
                 [list(entity_ids)])[0][0]


def test_search_finds_entities_and_candidates_by_part_of_any_name(built):
    found = kronika("entities", "search", "vucic", "--format", "csv", env=built["env"])  # no diacritics, any case
    assert found.returncode == 0, found.stderr
    rows = list(csv.DictReader(io.StringIO(found.stdout)))
    assert rows[0]["entity_id"] == "person:aleksandar_vucic" and int(rows[0]["mentions"]) >= 1
    assert rows[0]["linked"] == "true"
    # A word start, not any substring: 'kurt' is in 'Hekurt' too.
    kurti = list(csv.DictReader(io.StringIO(kronika("entities", "search", "kurt", "--format", "csv",
                                                    env=built["env"]).stdout)))
    assert [row["entity_id"] for row in kurti] == ["person:albin_kurti"]
    candidate = candidates(built)[0]
    by_candidate = kronika("entities", "search", candidate["name"], "--format", "csv", env=built["env"])
    assert candidate["entity_id"] in by_candidate.stdout

    nothing = kronika("entities", "search", "Kurtxi", env=built["env"])
    assert nothing.returncode == 0 and nothing.stdout == ""
    assert nothing.stderr.startswith("kronika: no entity has a name containing 'Kurtxi'; did you mean Albin Kurti")


def test_show_by_an_inflected_form_gives_spellings_counts_and_sentences(built):
    shown = kronika("entities", "show", "Kurtit", "--format", "json", env=built["env"])
    assert shown.returncode == 0, shown.stderr
    import json

    profile = json.loads(shown.stdout)
    assert profile["entity"]["entity_id"] == "person:albin_kurti"
    mentions, articles = mention_counts(built, "person:albin_kurti")
    assert (profile["entity"]["mentions"], profile["entity"]["articles"]) == (mentions, articles)
    assert profile["entity"]["first_seen"] <= profile["entity"]["last_seen"]
    spellings = {row["spelling"]: row for row in profile["spellings"]}
    assert sum(row["mentions"] for row in profile["spellings"]) == mentions
    assert spellings["Kurti"]["in_gazetteer"] is True
    assert profile["contexts"] and all("Kurti" in row["sentence"] for row in profile["contexts"])

    table = kronika("entities", "show", "Kurtit", env=built["env"])
    assert table.stdout.startswith("Albin Kurti  (person:albin_kurti, PERSON, gazetteer entity)\n")
    assert f"{mentions} mention(s) in {articles} article(s); first 20" in table.stdout

    misspelt = kronika("entities", "show", "Kurtitt", env=built["env"])  # a misspelt inflected form
    assert misspelt.returncode == 2
    assert misspelt.stderr.startswith("kronika: no entity named 'Kurtitt' for entity; did you mean Albin Kurti")


def test_show_gives_dates_in_kronika_timezone_as_reports_do(built):
    # UTC+14: most publication times fall on another calendar day there than in UTC or Tirana.
    zone = "Pacific/Kiritimati"
    shown = kronika("entities", "show", "Kurti", "--format", "json", env={**built["env"], "KRONIKA_TIMEZONE": zone})
    assert shown.returncode == 0, shown.stderr
    import json

    entity = json.loads(shown.stdout)["entity"]
    expected = query(built, "SELECT min(timezone(?, a.published_at))::DATE, max(timezone(?, a.published_at))::DATE "
                            "FROM mentions m JOIN articles a USING (article_id) WHERE m.entity_id = ?",
                     [zone, zone, "person:albin_kurti"])[0]
    assert entity["first_seen"].endswith("+14:00") and entity["last_seen"].endswith("+14:00")
    assert (entity["first_seen"][:10], entity["last_seen"][:10]) == tuple(str(day) for day in expected)
    table = kronika("entities", "show", "Kurti", env={**built["env"], "KRONIKA_TIMEZONE": zone})
    assert f"first {expected[0]}, last {expected[1]}" in table.stdout


def test_merge_two_gazetteer_entities_merges_their_counts_and_undo_restores_them(built):
    kept, gone = "person:aleksandar_vucic", "person:albin_kurti"
    kept_before, gone_before = mention_counts(built, kept), mention_counts(built, gone)
    together = articles_mentioning(built, kept, gone)
    assert gone_before[0] >= 1 and kept_before[0] >= 1
    merged = kronika("entities", "merge", "Kurtin", "Vuçiç", env=built["env"])  # any names of either
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.startswith(f"Merged {gone} into {kept} in {built['user_file']}.\n")
    marked = marked_count(merged.stdout)
    assert gone_before[1] <= marked <= together
    assert run_and_count_reextracted(built) == marked
    assert mention_counts(built, gone) == (0, 0)
    assert mention_counts(built, kept)[0] == kept_before[0] + gone_before[0]
    # The old id still answers, through entity_id_renames.
    old_id = kronika("report", "mention_frequency", "--param", f"entity={gone}", "--format", "csv", env=built["env"])
    assert old_id.returncode == 0, old_id.stderr

    listed = kronika("entities", "list-changes", "--format", "csv", env=built["env"])
    last = list(csv.DictReader(io.StringIO(listed.stdout)))[-1]
    assert (last["change"], last["entity_id"], last["into_entity_id"]) == ("merge", gone, kept)
    undone = kronika("entities", "undo", last["number"], env=built["env"])
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.startswith(f"Undid `merge {gone} into {kept}`")
    assert run_and_count_reextracted(built) == marked_count(undone.stdout)
    assert mention_counts(built, gone) == gone_before and mention_counts(built, kept) == kept_before


def test_merge_a_candidate_into_an_entity_makes_its_spelling_the_entitys(built):
    candidate = next(row for row in candidates(built) if " " not in row["name"] and int(row["articles"]) >= 1)
    into = "gpe:iso:US"
    before_into, before_candidate = mention_counts(built, into), mention_counts(built, candidate["entity_id"])
    merged = kronika("entities", "merge", candidate["entity_id"], "United States", env=built["env"])
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.startswith(f"Merged candidate {candidate['entity_id']} into {into} "
                                    f"(spelling: {candidate['name']})")
    assert run_and_count_reextracted(built) == marked_count(merged.stdout)
    assert mention_counts(built, candidate["entity_id"]) == (0, 0)
    assert mention_counts(built, into)[0] >= before_into[0] + before_candidate[0]
    assert kronika("entities", "undo", env=built["env"]).returncode == 0
    kronika("run", "--quiet", env=built["env"])
    assert mention_counts(built, into) == before_into


def test_split_alias_takes_a_spelling_off_and_its_mentions_leave(built):
    entity = "person:aleksandar_vucic"
    surfaces = dict(query(built, "SELECT surface, count(*) FROM mentions WHERE entity_id = ? GROUP BY ALL", [entity]))
    assert surfaces.get("Vuçiç", 0) >= 1
    split = kronika("entities", "split-alias", "Vučić", "vuçiç", env=built["env"])  # the spelling in any case
    assert split.returncode == 0, split.stderr
    assert split.stdout.startswith(f"Split 'Vuçiç' off {entity} in {built['user_file']}.\n")
    assert run_and_count_reextracted(built) == marked_count(split.stdout) >= 1
    after = dict(query(built, "SELECT surface, count(*) FROM mentions WHERE entity_id = ? GROUP BY ALL", [entity]))
    assert after.get("Aleksandar Vuçiç") == surfaces.get("Aleksandar Vuçiç")
    # No gazetteer rule gives the spelling any more; what remains is the in-article short form, and only in
    # articles that name him in full first.
    rules = query(built, "SELECT DISTINCT match_rule FROM mentions WHERE entity_id = ? AND surface = 'Vuçiç'",
                  [entity])
    assert rules in ([], [("short_form",)])
    assert query(built, """SELECT count(*) FROM mentions s WHERE s.entity_id = ? AND s.surface = 'Vuçiç'
                           AND NOT EXISTS (SELECT 1 FROM mentions f WHERE f.article_id = s.article_id
                                           AND f.entity_id = s.entity_id AND f.surface LIKE 'Aleksandar %')""",
                 [entity]) == [(0,)]

    wrong = kronika("entities", "split-alias", entity, "Vuçiçx", env=built["env"])
    assert wrong.returncode == 2
    assert wrong.stderr.startswith(f"kronika: 'Vuçiçx' is not a spelling of {entity}; its spellings are ")
    assert "Did you mean 'Vuçiç" in wrong.stderr or "Did you mean 'Vuçiq" in wrong.stderr
    assert kronika("entities", "undo", env=built["env"]).returncode == 0
    kronika("run", "--quiet", env=built["env"])
    assert dict(query(built, "SELECT surface, count(*) FROM mentions WHERE entity_id = ? GROUP BY ALL",
                      [entity])) == surfaces


def test_undo_and_merge_errors_say_what_to_do(tmp_path, built):
    environment = {**built["env"], "KRONIKA_USER_GAZETTEER": str(tmp_path / "empty.tsv")}
    nothing = kronika("entities", "undo", env=environment)
    assert nothing.returncode == 2 and nothing.stderr == f"kronika: no changes to undo in {tmp_path / 'empty.tsv'}\n"
    listed = kronika("entities", "list-changes", env=environment)
    assert listed.returncode == 0 and listed.stdout == f"No curation changes in {tmp_path / 'empty.tsv'}.\n"
    same = kronika("entities", "merge", "Putin", "Putinit", env=environment)
    assert same.returncode == 2
    assert same.stderr == ("kronika: 'Putin' and 'Putinit' are the same entity (person:vladimir_putin): "
                           "nothing to merge\n")
    candidate = candidates(built)[0]
    into_candidate = kronika("entities", "merge", "Putin", candidate["entity_id"], env=environment)
    assert into_candidate.returncode == 2
    assert into_candidate.stderr.startswith(f"kronika: {candidate['entity_id']} is an unlinked candidate: promote it "
                                            "first")
    assert not (tmp_path / "empty.tsv").exists()  # a refused change writes nothing
