"""The user gazetteer layered over the shipped one (promote, merge, split-alias, reject) and the articles a change
marks stale: only those containing a changed spelling."""

import duckdb
import polars as pl
import pytest

from pipelines.lib.curation import CURATION_STALE_VERSION, changed_spellings, mark_affected_articles, new_change
from pipelines.lib.curation import write_user_changes
from pipelines.lib.extract import extract_articles
from pipelines.lib.gazetteer import DEFAULT_DIRECTORY, build_gazetteer, load_gazetteer


def layered(tmp_path, *changes):
    user_file = tmp_path / "gazetteer.tsv"
    write_user_changes(user_file, list(changes))
    return build_gazetteer(DEFAULT_DIRECTORY, user_file)


def aliases_of(gazetteer, entity_id: str) -> set[str]:
    return set(gazetteer.aliases.filter(pl.col("entity_id") == entity_id)["alias"])


def test_no_user_file_is_the_shipped_gazetteer(tmp_path):
    shipped = build_gazetteer(DEFAULT_DIRECTORY)
    absent = build_gazetteer(DEFAULT_DIRECTORY, tmp_path / "none.tsv")
    assert absent.version == shipped.version and absent.aliases.equals(shipped.aliases)


def test_promote_adds_an_entity_with_its_spellings_and_surname(tmp_path):
    gazetteer = layered(tmp_path, new_change("promote", entity_id="person:arta_dervishi", entity_type="PERSON",
                                             name="Arta Dervishi", aliases="Arta Dervishi | A. Dervishi"))
    assert {"Arta Dervishi", "A. Dervishi", "Dervishi"} <= aliases_of(gazetteer, "person:arta_dervishi")
    assert gazetteer.version != build_gazetteer(DEFAULT_DIRECTORY).version
    mentions = extract_articles(pl.DataFrame({"article_id": ["a"], "title": ["Arta Dervishi fitoi"],
                                              "body": ["Dervishi tha se do të vazhdojë."], "body_language": ["sq"]}),
                                gazetteer).mentions
    assert set(mentions["entity_id"]) == {"person:arta_dervishi"}


def test_merge_moves_aliases_and_renames_the_old_id(tmp_path):
    shipped = build_gazetteer(DEFAULT_DIRECTORY)
    gazetteer = layered(tmp_path, new_change("merge", entity_id="person:melania_trump",
                                             into_entity_id="person:donald_trump"))
    assert "person:melania_trump" not in set(gazetteer.entities["entity_id"])
    assert "Melania Trump" in aliases_of(gazetteer, "person:donald_trump")
    assert gazetteer.renames.filter(pl.col("old_entity_id") == "person:melania_trump")["entity_id"].to_list() == [
        "person:donald_trump"]
    assert gazetteer.renames.height == shipped.renames.height + 1
    with pytest.raises(ValueError, match="person:nobody is not an entity"):
        layered(tmp_path, new_change("merge", entity_id="person:nobody", into_entity_id="person:donald_trump"))


def test_split_alias_and_reject_remove_spellings(tmp_path):
    gazetteer = layered(tmp_path, new_change("split-alias", entity_id="person:donald_trump", surface="Donald J. Trump"),
                        new_change("reject", surface="Shiko Videon"))
    assert "Donald J. Trump" not in aliases_of(gazetteer, "person:donald_trump")
    assert "Donald Trump" in aliases_of(gazetteer, "person:donald_trump")
    assert gazetteer.rejected_surfaces == ("Shiko Videon",)


def test_changed_spellings_are_the_difference_only(tmp_path):
    before = build_gazetteer(DEFAULT_DIRECTORY)
    after = layered(tmp_path, new_change("split-alias", entity_id="person:donald_trump", surface="Donald J. Trump"))
    spellings, removed = changed_spellings(before, after)
    assert "Donald J. Trump" in spellings and "Donald Trump" not in spellings and removed == []
    merged = layered(tmp_path, new_change("merge", entity_id="person:melania_trump", into_entity_id="person:donald_trump"))
    spellings, removed = changed_spellings(before, merged)
    assert "Melania Trump" in spellings and removed == ["person:melania_trump"]


def test_mark_affected_articles_marks_only_articles_containing_a_spelling():
    connection = duckdb.connect()
    connection.execute("CREATE TABLE articles (article_id VARCHAR, title VARCHAR, body VARCHAR, extraction_version VARCHAR)")
    connection.execute("CREATE TABLE mentions (article_id VARCHAR, entity_id VARCHAR, surface VARCHAR)")
    connection.execute("""INSERT INTO articles VALUES ('a', 'Shiko Videon', 'x', 'v'), ('b', 'x', 'Sipas Dervishit, (a+b)', 'v'),
                          ('c', 'nothing', 'Videon e re', 'v'), ('d', 'x', 'ADervishi', 'v'), ('e', 'x', 'y', 'v')""")
    connection.execute("INSERT INTO mentions VALUES ('e', 'person:gone', 'Gone')")
    assert mark_affected_articles(connection, ["Shiko Videon", "Dervishi", "(a+b)"], ["person:gone"]) == 3
    assert connection.sql("SELECT article_id FROM articles WHERE extraction_version = ? ORDER BY 1",
                          params=[CURATION_STALE_VERSION]).fetchall() == [("a",), ("b",), ("e",)]
    assert mark_affected_articles(connection, [], []) == 0


def test_a_changed_name_marks_the_articles_whose_candidates_share_its_stem():
    """'Pançevës' links to 'Pančevo' by its stem, though the text never contains 'Pančevo': promoting, merging or
    removing that name must re-extract the article too."""
    connection = duckdb.connect()
    connection.execute("CREATE TABLE articles (article_id VARCHAR, title VARCHAR, body VARCHAR, extraction_version VARCHAR)")
    connection.execute("CREATE TABLE mentions (article_id VARCHAR, entity_id VARCHAR, surface VARCHAR)")
    connection.execute("""INSERT INTO articles VALUES ('a', 'x', 'rafineria e Pançevës ndaloi', 'v'),
                          ('b', 'x', 'Pançova e re', 'v')""")
    connection.execute("INSERT INTO mentions VALUES ('a', 'cand:pancev', 'Pançevës'), ('b', 'cand:pancov', 'Pançova')")
    assert mark_affected_articles(connection, ["Pančevo"], []) == 1
    assert connection.sql("SELECT article_id FROM articles WHERE extraction_version = ?",
                          params=[CURATION_STALE_VERSION]).fetchall() == [("a",)]


def test_load_gazetteer_reads_the_user_file_from_the_setting(tmp_path, monkeypatch):
    user_file = tmp_path / "mine.tsv"
    write_user_changes(user_file, [new_change("promote", entity_id="org:zrre", entity_type="ORG", name="ZRRE",
                                              aliases="ZRRE")])
    monkeypatch.setenv("KRONIKA_USER_GAZETTEER", str(user_file))
    assert "org:zrre" in set(load_gazetteer().entities["entity_id"])
    monkeypatch.setenv("KRONIKA_USER_GAZETTEER", str(tmp_path / "absent.tsv"))
    assert "org:zrre" not in set(load_gazetteer().entities["entity_id"])
