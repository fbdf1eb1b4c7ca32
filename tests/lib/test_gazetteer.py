"""Schema and content checks for the gazetteer files and their loader.
They guard the data contract other stages rely on: unique ids, valid types, aliases that point somewhere."""

import csv
import io
import re

import polars as pl
import pytest

from pipelines.lib.gazetteer import (
    ENTITY_TYPES,
    DEFAULT_DIRECTORY,
    build_gazetteer,
    fold_diacritics,
    load_gazetteer,
    parse_alias_item,
    slugify,
)
from pipelines.lib import gazetteer_build


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def test_entity_ids_are_unique_and_readable(gazetteer):
    ids = gazetteer.entities["entity_id"]
    assert ids.n_unique() == gazetteer.entities.height
    assert ids.str.contains(r"^(person|org|gpe|loc|event|other):[a-z0-9_]+$").all()


def test_entity_types_are_valid(gazetteer):
    assert set(gazetteer.entities["entity_type"].unique()) <= ENTITY_TYPES


def test_every_entity_has_a_name(gazetteer):
    assert gazetteer.entities.filter(pl.col("name").is_null() | (pl.col("name") == "")).is_empty()


def test_every_alias_points_at_an_entity(gazetteer):
    orphans = gazetteer.aliases.join(gazetteer.entities, on="entity_id", how="anti")
    assert orphans.is_empty()


def test_no_empty_or_padded_alias(gazetteer):
    aliases = gazetteer.aliases["alias"]
    assert (aliases.str.len_chars() > 0).all()
    assert (aliases == aliases.str.strip_chars()).all()


def test_wikidata_ids_have_the_q_shape(gazetteer):
    wikidata = gazetteer.entities["wikidata_id"].drop_nulls()
    assert wikidata.str.contains(r"^Q\d+$").all()
    assert wikidata.n_unique() == wikidata.len()


def test_known_wikidata_ids(gazetteer):
    by_id = dict(zip(gazetteer.entities["entity_id"], gazetteer.entities["wikidata_id"]))
    assert by_id["person:vladimir_putin"] == "Q7747"
    assert by_id["person:donald_trump"] == "Q22686"
    assert by_id["gpe:ukraine"] == "Q212"
    assert by_id["org:nato"] == "Q7184"


def test_alias_columns_hold_known_values(gazetteer):
    aliases = gazetteer.aliases
    assert set(aliases["language"].unique()) <= {"en", "sq", "any"}
    assert set(aliases["alias_kind"].unique()) <= {"name", "surname", "acronym", "variant"}
    assert set(aliases["inflect"].unique()) <= {"sq", "acronym", "none"}
    assert aliases.select("entity_id", "alias").is_duplicated().sum() == 0


def test_gazetteer_is_broad(gazetteer):
    assert gazetteer.entities.height >= 600
    assert gazetteer.aliases.height >= 3000
    assert set(gazetteer.entities["entity_type"]) == ENTITY_TYPES


def test_every_country_has_albanian_and_english_names(gazetteer):
    countries = gazetteer.entities.filter(pl.col("entity_id").is_in(["gpe:albania", "gpe:kosovo", "gpe:russia"]))
    assert dict(zip(countries["entity_id"], countries["name_sq"])) == {
        "gpe:albania": "Shqipëri", "gpe:kosovo": "Kosovë", "gpe:russia": "Rusi"}


def test_at_most_one_default_holder_per_alias(gazetteer):
    defaults = gazetteer.aliases.filter(pl.col("is_default")).group_by("alias").len()
    assert defaults.filter(pl.col("len") > 1).is_empty()


def test_version_is_sixteen_hex(gazetteer):
    assert re.fullmatch(r"[0-9a-f]{16}", gazetteer.version)


def test_loader_is_cached(gazetteer):
    assert load_gazetteer() is gazetteer


def test_version_changes_with_the_data(tmp_path):
    (tmp_path / "a.tsv").write_text(
        "entity_id\tentity_type\tname\tname_sq\twikidata_id\taliases\nperson:x_y\tPERSON\tXan Yun\t\t\t\n",
        encoding="utf-8")
    first = build_gazetteer(tmp_path)
    (tmp_path / "a.tsv").write_text(
        "entity_id\tentity_type\tname\tname_sq\twikidata_id\taliases\nperson:x_y\tPERSON\tXan Yun\t\t\tXY\n",
        encoding="utf-8")
    second = build_gazetteer(tmp_path)
    assert first.version != second.version
    assert "XY" in second.aliases["alias"].to_list()


def test_implied_aliases_surname_and_folding(tmp_path):
    (tmp_path / "a.tsv").write_text(
        "entity_id\tentity_type\tname\tname_sq\twikidata_id\taliases\n"
        "person:zoran_milic\tPERSON\tZoran Milić\t\t\t\n", encoding="utf-8")
    aliases = build_gazetteer(tmp_path).aliases
    rows = {row["alias"]: row["alias_kind"] for row in aliases.iter_rows(named=True)}
    assert rows == {"Zoran Milić": "name", "Milić": "surname", "Zoran Milic": "name", "Milic": "surname"}


def test_curated_line_extends_a_generated_country(gazetteer):
    us_aliases = set(gazetteer.aliases.filter(pl.col("entity_id") == "gpe:united_states")["alias"])
    assert {"United States", "SHBA", "US", "U.S.", "Shtetet e Bashkuara"} <= us_aliases


def test_parse_alias_item_flags():
    assert parse_alias_item("Putin {surname,default}") | {} == {
        "alias": "Putin", "language": "any", "alias_kind": "surname", "is_default": True,
        "noinflect": False, "fold": True}
    assert parse_alias_item("OKB {sq}")["alias_kind"] == "acronym"
    with pytest.raises(ValueError):
        parse_alias_item("Putin {famous}")


def test_slug_and_fold():
    assert slugify("Vučić") == "vucic"
    assert slugify("Bosnia and Herzegovina") == "bosnia_and_herzegovina"
    assert fold_diacritics("Shqipëri Çela Erdoğan") == "Shqiperi Cela Erdogan"


def test_generated_file_is_up_to_date():
    """The committed countries file equals what the generator writes now (run the generator after edits)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(gazetteer_build.GAZETTEER_COLUMNS), delimiter="\t",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(gazetteer_build.country_rows())
    committed = (DEFAULT_DIRECTORY / "countries.generated.tsv").read_text(encoding="utf-8")
    assert committed.split("\n", 1)[1] == buffer.getvalue()
