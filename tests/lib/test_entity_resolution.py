"""Resolution rules, one table per rule in both languages: shared names decided by the article's country, short
forms and acronyms linked to the full name the article gives, identity keys across articles, and the cases that
must stay unlinked (never a guess)."""

import polars as pl
import pytest

from pipelines.lib.entities import extract_mentions
from pipelines.lib.gazetteer import build_gazetteer, load_gazetteer


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def article_mentions(gazetteer, texts, language):
    """texts: {article_id: text}, every text a body of its own article."""
    frame = pl.DataFrame(
        {"article_id": list(texts), "field": ["body"] * len(texts), "text": list(texts.values()),
         "language": [language] * len(texts)},
        schema={"article_id": pl.String, "field": pl.String, "text": pl.String, "language": pl.String})
    found = extract_mentions(frame, gazetteer)
    for row in found.iter_rows(named=True):
        assert texts[row["article_id"]][row["char_start"]:row["char_end"]] == row["surface"]
    return found


def ids_of(gazetteer, text, language, surface):
    found = article_mentions(gazetteer, {"a": text}, language)
    return found.filter(pl.col("surface") == surface)["entity_id"].to_list()


# ---- gazetteer fixes -------------------------------------------------------------------------------------------

KUVENDI_CASES = [
    # (text, surface, expected entity of every mention with that surface)
    ("Kosova pret. Deputetët e Kosovës nuk e zgjodhën kryetarin e Kuvendit.", "Kuvendit", "org:assembly_of_kosovo"),
    ("Kuvendi miratoi buxhetin e Shqipërisë për vitin 2026.", "Kuvendi", "org:albanian_parliament"),
    # named in full: the holder the article names wins, even against the country count
    ("Kuvendi i Shqipërisë miratoi ligjin. Kosova dhe Kosova protestuan. Kuvendi votoi.", "Kuvendi",
     "org:albanian_parliament"),
    ("Seanca e Kuvendit të Kosovës dështoi. Kuvendi nuk u mblodh.", "Kuvendi", "org:assembly_of_kosovo"),
    # the indefinite form is the same name
    ("Kosova ende nuk ka Kuvend funksional.", "Kuvend", "org:assembly_of_kosovo"),
]


@pytest.mark.parametrize(("text", "surface", "expected"), KUVENDI_CASES, ids=[case[0][:40] for case in KUVENDI_CASES])
def test_kuvendi_is_decided_by_the_article_country(gazetteer, text, surface, expected):
    assert set(ids_of(gazetteer, text, "sq", surface)) == {expected}


@pytest.mark.parametrize("text", [
    "Kuvendi votoi sot.",  # no country named: never a guess
    "Kuvendi votoi. Shqipëria dhe Kosova nënshkruan marrëveshjen.",  # a tie
])
def test_kuvendi_without_a_deciding_country_stays_unlinked(gazetteer, text):
    found = article_mentions(gazetteer, {"a": text}, "sq").filter(pl.col("surface") == "Kuvendi")
    assert found.select("linked", "match_rule").rows() == [(False, "ambiguous")]


def test_assembly_of_kosovo_full_name_links_in_both_languages(gazetteer):
    assert ids_of(gazetteer, "Kuvendi i Kosovës nuk arriti të zgjedhë kryetarin.", "sq", "Kuvendi i Kosovës") == [
        "org:assembly_of_kosovo"]
    assert ids_of(gazetteer, "The Kosovo Parliament failed again.", "en", "Kosovo Parliament") == [
        "org:assembly_of_kosovo"]


def test_no_two_institutions_or_people_share_a_canonical_name(gazetteer):
    """A name listed for two entities never links (the Assembly of Kosovo was listed twice). Places are left out:
    a capital may share its country's name (Xhibuti), which the shared-name rules resolve."""
    listed = gazetteer.entities.filter(pl.col("entity_type") != "GPE")
    names = pl.concat([
        listed.select("entity_id", pl.col("name").alias("canonical")),
        listed.select("entity_id", pl.col("name_sq").alias("canonical")),
    ]).drop_nulls().unique()
    shared = names.group_by("canonical").agg(pl.col("entity_id").n_unique().alias("holders")).filter(
        pl.col("holders") > 1)
    assert shared.is_empty(), shared


def test_country_flag_must_name_a_gpe(tmp_path):
    (tmp_path / "x.tsv").write_text(
        "entity_id\tentity_type\tname\tname_sq\twikidata_id\taliases\n"
        "org:senate_x\tORG\tSenate X\t\t\tSenati {sq,country=gpe:atlantis}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="gpe:atlantis"):
        build_gazetteer(tmp_path)


NAME_WITH_A_COMMON_WORD_CASES = [
    ("He told Sky News that the club lost.", "en", ["Sky News"]),
    ("Sheffield Wednesday lost at home.", "en", ["Sheffield Wednesday"]),
    ("Ai i tha Top Channel Lajme se do të vijë.", "sq", ["Top Channel Lajme"]),
    # a stop word alone or leading a run is still no name
    ("On Wednesday the club lost.", "en", []),
    ("News of the deal spread.", "en", []),
    ("Lajme të mira për qytetin.", "sq", []),
    # other stop words still end a name: 'Sipas' ('according to') opens the next clause
    ("Ardian Kadrijaj Sipas burimeve, u largua.", "sq", ["Ardian Kadrijaj"]),
]


@pytest.mark.parametrize(("text", "language", "expected"), NAME_WITH_A_COMMON_WORD_CASES,
                         ids=[case[0][:40] for case in NAME_WITH_A_COMMON_WORD_CASES])
def test_a_common_word_at_the_end_of_a_name_stays_in_it(gazetteer, text, language, expected):
    found = article_mentions(gazetteer, {"a": text}, language).filter(~pl.col("linked"))
    assert found["surface"].to_list() == expected
