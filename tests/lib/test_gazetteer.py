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
    # Curated ids are readable slugs; countries are `gpe:iso:` + their ISO 3166 alpha-2 code.
    assert ids.str.contains(r"^((person|org|gpe|loc|event|other):[a-z0-9_]+|gpe:iso:[A-Z]{2})$").all()


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
    assert by_id["gpe:iso:UA"] == "Q212"
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
    countries = gazetteer.entities.filter(pl.col("entity_id").is_in(["gpe:iso:AL", "gpe:iso:XK", "gpe:iso:RU"]))
    assert dict(zip(countries["entity_id"], countries["name_sq"])) == {
        "gpe:iso:AL": "Shqipëri", "gpe:iso:XK": "Kosovë", "gpe:iso:RU": "Rusi"}


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
    us_aliases = set(gazetteer.aliases.filter(pl.col("entity_id") == "gpe:iso:US")["alias"])
    assert {"United States", "SHBA", "US", "U.S.", "Shtetet e Bashkuara"} <= us_aliases


def test_parse_alias_item_flags():
    assert parse_alias_item("Putin {surname,default}") | {} == {
        "alias": "Putin", "language": "any", "alias_kind": "surname", "is_default": True,
        "noinflect": False, "fold": True, "country": None}
    assert parse_alias_item("OKB {sq}")["alias_kind"] == "acronym"
    with pytest.raises(ValueError):
        parse_alias_item("Putin {famous}")


def test_slug_and_fold():
    assert slugify("Vučić") == "vucic"
    assert slugify("Bosnia and Herzegovina") == "bosnia_and_herzegovina"
    assert fold_diacritics("Shqipëri Çela Erdoğan") == "Shqiperi Cela Erdogan"


def test_generated_file_is_up_to_date():
    """The committed countries file equals what the generator writes now; when a Babel/pycountry version or a
    source edit changes it, the failure lists the rows that changed (re-run the generator and review them)."""
    committed_rows = gazetteer_build.read_generated_rows()
    fresh_rows = gazetteer_build.country_rows()
    changes = gazetteer_build.describe_changes(committed_rows, fresh_rows)
    assert not changes, ("countries.generated.tsv is stale; run `python -m pipelines.lib.gazetteer_build`. "
                         "Changed rows:\n" + "\n".join(changes))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(gazetteer_build.GAZETTEER_COLUMNS), delimiter="\t",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(fresh_rows)
    committed = (DEFAULT_DIRECTORY / "countries.generated.tsv").read_text(encoding="utf-8")
    assert committed.split("\n", 1)[1] == buffer.getvalue()


def test_a_renamed_territory_in_a_newer_cldr_changes_no_entity_id():
    """What Babel 2.19 did to Heard Island, done to more names: the ids stay, only names and aliases move."""
    from babel import Locale

    english = dict(Locale("en").territories)
    albanian = dict(Locale("sq").territories)
    english["HM"] = "Heard and McDonald Isles"
    english["TR"] = "Turkey"
    english["CZ"] = "Czech Republic"
    albanian["MK"] = "Maqedonia"
    before = gazetteer_build.country_rows()
    after = gazetteer_build.country_rows(english=english, albanian=albanian)
    assert [row["entity_id"] for row in after] == [row["entity_id"] for row in before]
    changes = gazetteer_build.describe_changes(before, after)
    assert not [line for line in changes if line.startswith(("- removed", "+ added"))]
    assert "~ gpe:iso:TR name: 'Türkiye' -> 'Turkey'" in changes
    assert any(line.startswith("~ gpe:iso:MK name_sq:") for line in changes)
    by_id = {row["entity_id"]: row for row in after}
    assert "Czech Republic {en}" in by_id["gpe:iso:CZ"]["aliases"]


def test_describe_changes_shows_an_id_change_as_a_removal_and_an_addition():
    before = [{"entity_id": "gpe:old_slug", "entity_type": "GPE", "name": "Old", "name_sq": "", "wikidata_id": "",
               "aliases": ""}]
    after = [dict(before[0], entity_id="gpe:iso:OL")]
    assert gazetteer_build.describe_changes(before, after) == ["- removed gpe:old_slug (Old)", "+ added gpe:iso:OL (Old)"]


def test_country_ids_are_iso_codes_and_capitals_keep_their_ids(gazetteer):
    by_id = dict(gazetteer.entities.select("entity_id", "name").iter_rows())
    assert by_id["gpe:iso:AL"] == "Albania" and by_id["gpe:iso:XK"] == "Kosovo"
    assert by_id["gpe:tirana"] == "Tirana" and by_id["gpe:washington_d_c"].startswith("Washington")
    assert "gpe:iso:MC" in by_id and "gpe:monaco" not in by_id  # a city-state is one entity


def test_every_old_country_id_resolves_to_one_current_entity(gazetteer):
    renames = gazetteer.renames
    live = set(gazetteer.entities["entity_id"])
    assert renames.height >= 250
    assert dict(renames.select("old_entity_id", "entity_id").iter_rows())["gpe:united_states"] == "gpe:iso:US"
    assert set(renames["entity_id"]) <= live and not set(renames["old_entity_id"]) & live
    assert renames["old_entity_id"].is_unique().all()


def test_a_rename_that_points_nowhere_is_a_clear_error(tmp_path):
    (tmp_path / "curated.tsv").write_text(
        "entity_id\tentity_type\tname\tname_sq\twikidata_id\taliases\norg:nato\tORG\tNATO\t\t\t\n", encoding="utf-8")
    (tmp_path / "renames").mkdir()
    (tmp_path / "renames" / "entity_id_renames.tsv").write_text(
        "old_entity_id\tentity_id\treason\norg:old_nato\torg:gone\ttest\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"new ids that are not entities \['org:gone'\]"):
        build_gazetteer(tmp_path)