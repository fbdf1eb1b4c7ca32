"""Behaviour of entity matching, Albanian inflection, per-article resolution and unknown-name candidates.
Hand-written sentences in English and Albanian, one rule (or trap) per case."""

import random

import numpy as np

import polars as pl
import pytest

from pipelines.lib.entities import (
    MENTION_SCHEMA,
    TextBuffer,
    alias_forms,
    build_matcher,
    candidate_entities,
    candidate_key,
    candidate_key_expression,
    extract_mentions,
    leftmost_longest_matches,
    match_frame,
    word_forms,
)
from pipelines.lib.entities.mentions import candidate_words
from pipelines.lib.gazetteer import load_gazetteer


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def mentions_of(gazetteer, text, language=None, field="body"):
    frame = pl.DataFrame({"article_id": ["a1"], "field": [field], "text": [text], "language": [language]},
                         schema={"article_id": pl.String, "field": pl.String, "text": pl.String, "language": pl.String})
    found = extract_mentions(frame, gazetteer)
    for row in found.iter_rows(named=True):
        assert text[row["char_start"]:row["char_end"]] == row["surface"]
    return found


def linked_ids(gazetteer, text, language=None):
    found = mentions_of(gazetteer, text, language).filter(pl.col("linked"))
    return found["entity_id"].to_list()


def pairs(gazetteer, text, language=None):
    found = mentions_of(gazetteer, text, language)
    return [(row["entity_id"], row["surface"]) for row in found.iter_rows(named=True)]


# --- one sentence, the entities it must link (in order) -------------------------------------------------
LINKED_CASES = [
    ("Putin met Trump in Alaska.", "en", ["person:vladimir_putin", "person:donald_trump", "gpe:alaska"]),
    ("Donald Trump Jr. spoke first.", "en", ["person:donald_trump_jr"]),
    ("Melania Trump visited a school.", "en", ["person:melania_trump"]),
    ("Donald Tusk met Donald Trump.", "en", ["person:donald_tusk", "person:donald_trump"]),
    ("Tusk and Trump disagreed.", "en", ["person:donald_tusk", "person:donald_trump"]),
    ("Let us hope the US agrees.", "en", ["gpe:iso:US"]),
    ("the United States, the US and the U.S. and America", "en", ["gpe:iso:US"] * 4),
    ("Voters in Washington State decided.", "en", ["gpe:washington_state"]),
    ("Voters in Washington state decided.", "en", ["gpe:washington_state"]),
    ("Zelensky flew to Washington.", "en", ["person:volodymyr_zelensky", "gpe:washington_d_c"]),
    ("Drones hit the Kyiv region overnight.", "en", ["loc:kyiv_oblast"]),
    ("Officials in Kyiv Oblast said.", "en", ["loc:kyiv_oblast"]),
    ("Kiev and Kyiv are one city.", "en", ["gpe:kyiv", "gpe:kyiv"]),
    ("Russian and American troops; Ukrainian drones.", "en", []),
    ("Russia's heartland and Ukraine's grain", "en", ["gpe:iso:RU", "gpe:iso:UA"]),
    ("The NATO summit opened.", "en", ["event:nato_summit"]),
    ("UNESCO listed it.", "en", ["org:unesco"]),
    ("Iranian officials met in Tirana.", "en", ["gpe:tirana"]),
    ("HIMARS, ATACMS and Tomahawk missiles", "en", ["other:himars", "other:atacms", "other:tomahawk"]),
    ("F-16s and a Leopard 2 tank", "en", ["other:f_16", "other:leopard_2"]),
    ("Erdogan and Erdoğan", "en", ["person:recep_tayyip_erdogan"] * 2),
    ("Vucic and Vučić", "en", ["person:aleksandar_vucic"] * 2),
    ("The Kremlin and the White House and the Pentagon", "en", ["org:kremlin", "org:white_house", "org:pentagon"]),
    ("Ursula von der Leyen spoke. Von der Leyen added.", "en", ["person:ursula_von_der_leyen"] * 2),
    ("SHBA dhe SHBA-të", "sq", ["gpe:iso:US"] * 2),
    ("Putin, Putini, Putinit, Putinin", "sq", ["person:vladimir_putin"] * 4),
    ("Trump-i dhe Trumpit", "sq", ["person:donald_trump"] * 2),
    ("NATO-s, BE-së, OKB-ja, FMN-ja", "sq", ["org:nato", "org:european_union", "org:united_nations", "org:imf"]),
    ("Ukrainë, Ukraina, Ukrainës, Ukrainën", "sq", ["gpe:iso:UA"] * 4),
    ("Rusi, Rusia, Rusisë, Rusinë", "sq", ["gpe:iso:RU"] * 4),
    ("Shqipëri, Shqipëria, Shqipërisë", "sq", ["gpe:iso:AL"] * 3),
    ("Evropë, Evropa, Evropës", "sq", ["loc:europe"] * 3),
    ("Kinë, Kina, Kinës", "sq", ["gpe:iso:CN"] * 3),
    ("Ramës, Kurtit, Vuçiçit", "sq", ["person:edi_rama", "person:albin_kurti", "person:aleksandar_vucic"]),
    ("trupat ruse, presidenti amerikan, ushtarët ukrainas", "sq", []),
    ("flet rusisht dhe Rusisht", "sq", []),
    ("Malit të Zi dhe Mali i Zi", "sq", ["gpe:iso:ME"] * 2),
    ("Maqedonia e Veriut dhe Maqedonisë së Veriut", "sq", ["gpe:iso:MK"] * 2),
    ("Shtëpia e Bardhë dhe Shtëpisë së Bardhë", "sq", ["org:white_house"] * 2),
    ("Bashkimi Evropian dhe Bashkimit Evropian", "sq", ["org:european_union"] * 2),
    ("Kremlini dhe Kremlinit", "sq", ["org:kremlin"] * 2),
    ("Kosova, Kosovës, Kosovë", "sq", ["gpe:iso:XK"] * 3),
    ("Uashingtoni dhe Moska", "sq", ["gpe:washington_d_c", "gpe:moscow"]),
    ("Lindja e Mesme dhe Ballkani", "sq", ["loc:middle_east", "loc:balkans"]),
    # a feminine noun in -ja takes -jen in the accusative (Lindjen), -jes in the genitive
    ("paqja në Lindjen e Mesme dhe kriza e Lindjes së Mesme", "sq", ["loc:middle_east"] * 2),
    # a person's English spelling takes Albanian endings too; another English-only spelling does not
    ("regjimin e Bashar al-Assadit dhe deklarata e Marco Rubios", "sq",
     ["person:bashar_al_assad", "person:marco_rubio"]),
    # Albanian writes adjectives of nationality in lower case
    ("Zëdhënësja e Ministrisë së Jashtme ruse foli. Kongresi amerikan votoi.", "sq",
     ["org:russian_foreign_ministry", "org:us_congress"]),
]


@pytest.mark.parametrize(("text", "language", "expected"), LINKED_CASES, ids=[case[0][:40] for case in LINKED_CASES])
def test_links(gazetteer, text, language, expected):
    assert linked_ids(gazetteer, text, language) == expected


def test_bare_surname_after_full_name(gazetteer):
    text = "Edi Rama arrived. Later Rama said the talks went well."
    assert linked_ids(gazetteer, text, "en") == ["person:edi_rama", "person:edi_rama"]


def test_default_holder_keeps_surname_next_to_a_relative(gazetteer):
    text = "Putin offered praise for Melania Trump. " + "Trump listened. " * 20
    found = mentions_of(gazetteer, text, "en")
    counts = dict(found.group_by("entity_id").len().iter_rows())
    assert counts["person:donald_trump"] == 20
    assert counts["person:melania_trump"] == 1


def test_non_default_surname_resolves_to_the_one_named_holder(gazetteer):
    text = "Bujar Osmani met reporters. Osmani said the plan was ready."
    assert linked_ids(gazetteer, text, "en") == ["person:bujar_osmani", "person:bujar_osmani"]


def test_non_default_surname_with_two_named_holders_stays_unlinked(gazetteer):
    text = "Vjosa Osmani and Bujar Osmani spoke. Osmani then left."
    found = mentions_of(gazetteer, text, "en")
    last = found.row(-1, named=True)
    assert (last["surface"], last["linked"], last["match_rule"]) == ("Osmani", False, "surname_unresolved")
    assert last["entity_id"].startswith("cand:")


def test_non_default_surname_without_holder_is_unlinked(gazetteer):
    found = mentions_of(gazetteer, "Johnson said he would resign.", "en")
    assert found.select("entity_id", "linked").rows() == [("cand:johnso", False)]


def test_surname_resolves_across_fields(gazetteer):
    frame = pl.DataFrame({"article_id": ["a", "a"], "field": ["title", "body"],
                          "text": ["Osmani warns", "Bujar Osmani said on Monday."]})
    found = extract_mentions(frame, gazetteer).filter(pl.col("field") == "title")
    assert found["entity_id"].to_list() == ["person:bujar_osmani"]


def test_washington_is_ambiguous_when_the_state_is_named(gazetteer):
    text = "Washington State sued. The case reached Washington."
    found = mentions_of(gazetteer, text, "en")
    assert found["entity_id"].to_list()[0] == "gpe:washington_state"
    assert found.row(1, named=True)["linked"] is False
    assert found.row(1, named=True)["match_rule"] == "ambiguous"


def test_georgia_alone_is_not_guessed(gazetteer):
    found = mentions_of(gazetteer, "Georgia voted on Sunday.", "en")
    assert found.select("linked", "match_rule").rows() == [(False, "ambiguous")]


def test_georgia_resolved_by_an_unambiguous_name_in_the_article(gazetteer):
    found = mentions_of(gazetteer, "Protests in the Republic of Georgia grew. Georgia's president spoke.", "en")
    assert found["entity_id"].to_list() == ["gpe:iso:GE", "gpe:iso:GE"]


def test_offsets_are_characters_on_albanian_text(gazetteer):
    text = "Çështja e Ukrainës u diskutua nga Vučić dhe Arben Çela në Shkodër."
    found = mentions_of(gazetteer, text, "sq")
    by_surface = {row["surface"]: (row["char_start"], row["char_end"]) for row in found.iter_rows(named=True)}
    assert by_surface["Ukrainës"] == (text.index("Ukrainës"), text.index("Ukrainës") + 8)
    assert by_surface["Vučić"] == (text.index("Vučić"), text.index("Vučić") + 5)
    assert by_surface["Arben Çela"] == (text.index("Arben"), text.index("Arben") + 10)


def test_albanian_letters_are_word_characters(gazetteer):
    # 'Rusi' inside 'Rusisë' must not be cut at 'ë'; 'Iran' inside 'Iranë...' neither.
    assert linked_ids(gazetteer, "Rusisëx dhe Rusiç", "sq") == []


def test_acronyms_are_case_sensitive(gazetteer):
    assert linked_ids(gazetteer, "Nato and un and eu and us", "en") == []


def test_sentence_initial_capitals_are_not_candidates(gazetteer):
    text = "However, the talks ended. Meanwhile prices rose. Megjithatë, bisedimet vazhduan. Sipas raportit."
    assert mentions_of(gazetteer, text).is_empty()


def test_pronouns_and_plural_demonyms_are_not_candidates(gazetteer):
    text = "Us Europeans must act, he said. Russians and Ukrainians met. Albanians voted."
    assert mentions_of(gazetteer, text).filter(~pl.col("linked")).is_empty()


def test_albanian_office_titles_are_not_part_of_a_candidate_name(gazetteer):
    found = mentions_of(gazetteer, "Ministri i Jashtëm Hoxha foli sot.", "sq").filter(~pl.col("linked"))
    assert found["surface"].to_list() == ["Hoxha"]
    assert found["candidate_type"].to_list() == ["PERSON"]


@pytest.mark.parametrize("text, language, expected", [
    ("Ministri i Mbrojtjes, Artan Hoxha, tha se jo.", "sq", ["Artan Hoxha"]),
    ("Sekretari i Thesarit, Scott Bessent, tha se marrëveshja shmang tarifat.", "sq", ["Scott Bessent"]),
    ("Zëvendësministri i Ekonomisë, Valon Krasniqi, tha se qeveria ka plane.", "sq", ["Valon Krasniqi"]),
    ("The Minister of Defence, Ben Wallace, said no.", "en", ["Ben Wallace"]),
    # an acronym or a place after the title is a name of its own
    ("Drejtori i FBI-së, Kash Patel, tha se jo.", "sq", ["FBI-së", "Kash Patel"]),
    ("The Mayor of Brampton, Susan Fennell, said no.", "en", ["Brampton", "Susan Fennell"]),
])
def test_a_portfolio_between_a_title_and_a_comma_is_no_name(gazetteer, text, language, expected):
    """'Ministri i Mbrojtjes, Artan Hoxha': the capitalised word after the title is the office, the name follows the
    comma; the typer used to take 'Mbrojtjes' ('of Defence') for a person."""
    assert mentions_of(gazetteer, text, language)["surface"].to_list() == expected


@pytest.mark.parametrize("text, language", [
    ("Borxhi publik ka rënë nën 55 për qind të PBB-së, tha ministri.", "sq"),
    ("TVSH-ja mbetet 20 për qind.", "sq"),
    ("Poland already spends about 4.7 percent of GDP on defence.", "en"),
])
def test_an_abbreviation_of_a_common_noun_is_no_name(gazetteer, text, language):
    """GDP / PBB (prodhimi i brendshëm bruto) are written in capitals but name nothing; an Albanian ending after a
    hyphen leaves the stop word a stop word."""
    surfaces = mentions_of(gazetteer, text, language)["surface"].to_list()
    assert not [surface for surface in surfaces if surface.startswith(("PBB", "TVSH", "GDP"))], surfaces


def test_video_is_not_a_candidate(gazetteer):
    assert mentions_of(gazetteer, "Video").is_empty()
    assert mentions_of(gazetteer, "Watch the Video here.").is_empty()


def test_two_word_unknown_name_is_a_candidate(gazetteer):
    found = mentions_of(gazetteer, "The envoy Ettore Sequi wrote this.", "en")
    assert found.select("entity_id", "surface", "match_rule", "linked").rows() == [
        ("cand:ettore_seq", "Ettore Sequi", "candidate", False)]


def test_honorific_makes_a_person_candidate(gazetteer):
    found = mentions_of(gazetteer, "Yesterday Mr Kowalczyk resigned.", "en")
    assert found.select("surface", "candidate_type").rows() == [("Kowalczyk", "PERSON")]


def test_albanian_honorific_makes_a_person_candidate(gazetteer):
    found = mentions_of(gazetteer, "Deklaroi zoti Gjergji Pali dje.", "sq")
    assert found.select("surface", "candidate_type").rows() == [("Gjergji Pali", "PERSON")]


def test_title_before_a_known_name_adds_no_candidate(gazetteer):
    found = mentions_of(gazetteer, "Prime Minister Edi Rama and Russian President Vladimir Putin", "en")
    assert found.select("entity_id", "linked").rows() == [("person:edi_rama", True), ("person:vladimir_putin", True)]


def test_corporate_suffix_makes_an_org_candidate(gazetteer):
    found = mentions_of(gazetteer, "Shares of Northwind Traders Ltd fell. Albtelecom sh.p.k. said so.", "en")
    assert dict(found.select("surface", "candidate_type").rows()) == {
        "Northwind Traders Ltd": "ORG", "Albtelecom sh.p.k.": "ORG"}


def test_inflected_candidates_collapse_in_albanian(gazetteer):
    text = "Ettore Sequi shkroi. Analiza e Ettore Sequit u botua."
    # Whatever the typer makes of the sentence, the two forms of the name get one key.
    found = mentions_of(gazetteer, text, "sq").filter(pl.col("surface").str.starts_with("Ettore"))
    assert found.height >= 1
    keys = pl.DataFrame({"surface": ["Ettore Sequi", "Ettore Sequit"], "language": ["sq", "sq"]}).select(
        candidate_key_expression(pl.col("surface")))
    assert keys.to_series().to_list() == ["cand:ettore_seq", "cand:ettore_seq"]
    assert set(found["entity_id"].to_list()) == {"cand:ettore_seq"}


def test_listed_names_only_inflect_by_the_rows_that_do_not_fold_keys():
    """-jen inflects a listed -ja noun (Lindjen e Mesme) but is no case ending of unknown names: as one it would fold
    'Allen' and 'Allan' to one candidate."""
    keys = pl.DataFrame({"surface": ["Allen", "Allan", "Lindja", "Lindjes"]}).select(
        candidate_key_expression(pl.col("surface"))).to_series().to_list()
    assert keys[0] != keys[1]
    assert keys == [candidate_key(name) for name in ("Allen", "Allan", "Lindja", "Lindjes")]


def test_candidate_entities_rows(gazetteer):
    frame = pl.DataFrame({"article_id": ["a", "b"], "field": ["body", "body"],
                          "text": ["Mr Kowalczyk spoke.", "Then Jan Kowalczyk and Northwind Traders Ltd."]})
    entities = candidate_entities(extract_mentions(frame, gazetteer))
    assert entities.columns == ["entity_id", "name", "entity_type", "wikidata_id", "name_sq"]
    rows = {row["entity_id"]: (row["name"], row["entity_type"]) for row in entities.iter_rows(named=True)}
    assert rows["cand:kowalczyk"] == ("Kowalczyk", "PERSON")
    assert all(entity_type in ("PERSON", "ORG", "GPE", "LOC", "EVENT", "OTHER") for _, entity_type in rows.values())
    assert entities["wikidata_id"].is_null().all()


def test_every_mention_has_a_type_and_a_score(gazetteer):
    found = mentions_of(gazetteer, "Putin met Jan Kowalczyk of Northwind Traders Ltd in Vienna.", "en")
    assert found["entity_type"].null_count() == 0
    linked = found.filter(pl.col("linked"))
    assert (linked["type_score"] == 1.0).all()
    assert found.filter(~pl.col("linked"))["type_score"].is_between(0.0, 1.0).all()


def test_a_known_organisation_keeps_a_place_inside_it(gazetteer):
    # 'England' is a gazetteer place, but here it is part of a bank's name: the name replaces the place.
    found = mentions_of(gazetteer, "The Bank of England raised rates.", "en")
    assert "gpe:england" not in found["entity_id"].to_list() or found.height == 1


def words_of(gazetteer, text, language="en"):
    frame = pl.DataFrame({"article_id": ["a1"], "field": ["body"], "text": [text], "language": [language]})
    return candidate_words(frame, gazetteer)


def test_single_unknown_words_and_acronyms_are_candidates(gazetteer):
    # The candidate stage proposes every capitalised word outside the gazetteer, single words and acronyms too;
    # the typer then decides.
    words = words_of(gazetteer, "Officials from the KPK said Kowalczyk met the Ministry of Energy.")
    assert {"KPK", "Kowalczyk", "Energy"} <= set(words["name_word"].to_list())
    assert words.filter(pl.col("name_word") == "KPK")["shape"].to_list() == ["A"]


def test_possessive_is_trimmed_and_splits_adjacent_names(gazetteer):
    words = words_of(gazetteer, "Kowalczyk's Northwind Traders won.")
    assert words["name_word"].to_list() == ["Kowalczyk", "Northwind", "Traders"]
    assert words["group"].n_unique() == 2


def test_names_do_not_cross_a_sentence_end(gazetteer):
    found = mentions_of(gazetteer, "The deal was signed by Kowalczyk. Northwind Traders Ltd denied it.", "en")
    assert not any(". " in surface for surface in found["surface"].to_list())
    words = words_of(gazetteer, "The deal was signed by Kowalczyk. Northwind Traders Ltd denied it.")
    first_group = words.filter(pl.col("name_word") == "Kowalczyk")["group"][0]
    assert words.filter(pl.col("group") == first_group)["name_word"].to_list() == ["Kowalczyk"]
    assert words.filter(pl.col("name_word") == "Northwind")["sentence_start"].to_list() == [True]


def test_output_schema_and_empty_input(gazetteer):
    empty = pl.DataFrame(schema={"article_id": pl.String, "field": pl.String, "text": pl.String})
    assert extract_mentions(empty, gazetteer).schema == pl.Schema(MENTION_SCHEMA)
    found = mentions_of(gazetteer, "Putin spoke.")
    assert found.schema == pl.Schema(MENTION_SCHEMA)


def test_language_column_is_optional(gazetteer):
    frame = pl.DataFrame({"article_id": ["a"], "field": ["body"], "text": ["Putinit i foli Kurti."]})
    assert extract_mentions(frame, gazetteer).filter(pl.col("linked"))["entity_id"].to_list() == [
        "person:vladimir_putin", "person:albin_kurti"]


def test_many_capitalised_words_on_one_line(gazetteer):
    # A pathological single line: 20,000 capitalised words come back from one bounded pass, as names that do not
    # overlap and lie inside the text (the typer decides how the run is cut; mentions_of checks the offsets).
    text = " ".join(["Alpha", "Beta", "Gamma", "Delta"] * 5000)
    found = mentions_of(gazetteer, text, "en")
    assert found.height <= 20000
    ends = found["char_end"].to_list()
    assert all(start >= end for start, end in zip(found["char_start"].to_list()[1:], ends))


def test_word_forms_follow_the_rule_table():
    assert {"Putini", "Putinit", "Putinin", "Putin-it"} <= set(word_forms("Putin", "sq"))
    assert {"Ukraina", "Ukrainës", "Ukrainën"} <= set(word_forms("Ukrainë", "sq"))
    assert {"NATO-s", "NATO-ja"} <= set(word_forms("NATO", "acronym"))
    assert "NATOs" not in word_forms("NATO", "acronym")
    assert "Rusian" not in word_forms("Rusi", "sq")


def test_alias_forms_inflect_the_right_word():
    assert "Edi Ramës" in alias_forms("Edi Rama", "sq", "PERSON", "any")
    assert "Malit të Zi" in alias_forms("Mali i Zi", "sq", "GPE", "sq")
    assert alias_forms("United States", "none", "GPE", "en") == ["United States"]


def test_unknown_first_name_before_a_known_surname_is_someone_else(gazetteer):
    found = mentions_of(gazetteer, "Yesterday Liridona Berisha wrote the report.", "en")
    assert found.select("entity_id", "surface", "linked").rows() == [("cand:liridona_berish", "Liridona Berisha", False)]


def test_known_full_name_and_bare_surname_still_link(gazetteer):
    text = "Sali Berisha spoke. Later Berisha left."
    assert linked_ids(gazetteer, text, "en") == ["person:sali_berisha"] * 2


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("Analistja Drita Morina tha se afati kaloi.", "sq", ("Drita Morina", "PERSON")),
    ("Sipas ekonomistit, ekonomisti Gent Mullaj parashikon rritje.", "sq", ("Gent Mullaj", "PERSON")),
    ("The envoy Piotr Nowak arrived.", "en", ("Piotr Nowak", "PERSON")),
])
def test_occupational_titles_are_trimmed(gazetteer, text, language, expected):
    found = mentions_of(gazetteer, text, language)
    assert found.select("surface", "candidate_type").rows() == [expected]


def test_title_phrases_alone_are_not_candidates(gazetteer):
    text = "The Vice President met the Japanese Prime Minister and the Majority Leader on Wednesday."
    assert mentions_of(gazetteer, text, "en").is_empty()


def test_title_modifiers_inside_a_name_are_the_names_own(gazetteer):
    # 'of', 'State', 'General', 'Finance' are stripped in a title phrase (one that opens the run, holds a title or
    # follows a known name), but after another word of the run they belong to the name: the whole name stays one
    # group for the typer. Invented names, so no list can know them.
    def groups(text):
        words = words_of(gazetteer, text)
        return [" ".join(group["name_word"]) for _, group in words.group_by("group", maintain_order=True)]

    assert groups("She studied at the Academy of Zelvian Arts in 1990.") == ["Academy of Zelvian Arts"]
    assert groups("He joined the Ministry of Finance of Varnesia then.") == ["Ministry of Finance of Varnesia"]
    assert groups("They revered the Drovnic State for years.") == ["Drovnic State"]
    assert groups("Secretary of State Jane Kowalczyk spoke.") == ["Jane Kowalczyk"]
    assert groups("The UN Secretary General Ana Kowalczyk spoke.")[-1] == "Ana Kowalczyk"
    assert groups("Then Varnesia's Foreign Minister Ana Kowalczyk spoke.") == ["Varnesia", "Ana Kowalczyk"]


def test_a_name_does_not_cross_a_line_break(gazetteer):
    # A headline or caption line without a full stop, then the body: the words on each side are separate runs.
    def groups(text):
        words = words_of(gazetteer, text)
        return [" ".join(group["name_word"]) for _, group in words.group_by("group", maintain_order=True)]

    assert groups("Protests in Zelvania Harbour\nKowalczyk Rebel said nothing.")[-2:] == ["Zelvania Harbour",
                                                                                       "Kowalczyk Rebel"]
    # A closing quote before the sentence's dot is no part of the name.
    assert groups("It was led by the ‘Drovnic Imperial Youth’.\nAna Kowalczyk spoke.")[-2:] == [
        "Drovnic Imperial Youth", "Ana Kowalczyk"]


def test_a_stop_word_before_a_connector_opens_no_name(gazetteer):
    # A month, day or demonym followed by a connector is no name's first word ('in October on Rosneft and Lukoil'):
    # the known names after it stay the gazetteer's.
    text = "Sanctions were imposed in October on Rosneft and Lukoil."
    assert "October" not in words_of(gazetteer, text)["name_word"].to_list()
    assert mentions_of(gazetteer, text, "en").select("entity_id", "linked").rows() == [
        ("org:rosneft", True), ("org:lukoil", True)]


def test_a_batch_gives_the_same_mentions_as_one_article_at_a_time(gazetteer):
    texts = [
        ("a1", "title", "Kurti në Bruksel", "sq"),
        ("a1", "body", "“Putinit” i foli Vučić; zoti Gjergji Pali dhe Ettore Sequit.", "sq"),
        ("a2", "body", "Mr Kowalczyk met Vjosa Osmani and Bujar Osmani. Osmani left.", "en"),
        ("a3", "body", "", "en"),
        ("a4", "body", "Çela\u00a0Shkodër — Ukrainës, NATO-s dhe BE-së.\nJohn Smith of Acme Ltd", "sq"),
    ]
    schema = {"article_id": pl.String, "field": pl.String, "text": pl.String, "language": pl.String}
    batch = extract_mentions(pl.DataFrame(texts, schema=schema, orient="row"), gazetteer)
    one_by_one = pl.concat([extract_mentions(pl.DataFrame([row], schema=schema, orient="row"), gazetteer) for row in texts])
    assert batch.height > 8
    assert batch.sort("article_id", "field", "char_start").equals(one_by_one.sort("article_id", "field", "char_start"))


def test_every_text_of_a_batch_gets_its_own_context(gazetteer):
    # Each text of a batch is cut into pieces (gap, run, ..., gap); every other text starts on an odd piece of the
    # batch, so context read by the batch-wide piece count was lost there: its first run opened a sentence and
    # had no previous word. Every text must get the context it has alone.
    texts = ["Kowalczyk spoke.", "He said Zielinski agreed.", "Then the Brzeziny Council met.", "Only Nowak."]
    frame = pl.DataFrame({"article_id": [f"a{index}" for index in range(len(texts))], "field": ["body"] * len(texts),
                          "text": texts, "language": ["en"] * len(texts)})
    columns = ["char_start", "name_word", "previous_word", "next_word", "sentence_start"]
    batch = candidate_words(frame, gazetteer)
    for row, text in enumerate(texts):
        alone = words_of(gazetteer, text).select(columns)
        assert batch.filter(pl.col("row") == row).select(columns).equals(alone), text
    second = batch.filter(pl.col("row") == 1)
    assert second.select("name_word", "previous_word", "sentence_start").rows() == [("Zielinski", "said", False)]


def test_stacked_frames_and_nul_characters_keep_offsets(gazetteer):
    text = "Edi Rama\x00 met Arben Çela in Tiranë."
    stacked = pl.concat([pl.DataFrame({"article_id": [f"a{index}"], "field": ["body"], "text": [text]}) for index in range(3)])
    found = extract_mentions(stacked, gazetteer)
    assert found.height == 9
    for row in found.iter_rows(named=True):
        assert text[row["char_start"]:row["char_end"]] == row["surface"]


def test_quotes_and_dashes_are_word_edges_but_letters_are_not(gazetteer):
    assert linked_ids(gazetteer, "„Putin“ and «Rama» met —Kurti— in ‘Tirana’.", "en") == [
        "person:vladimir_putin", "person:edi_rama", "person:albin_kurti", "gpe:tirana"]
    assert linked_ids(gazetteer, "Putinë Ramaç ÇKurti", "sq") == []


def test_wikipedia_style_titles_are_aliases(gazetteer):
    text = "The United States Senate and the United States Department of the Treasury."
    assert linked_ids(gazetteer, text, "en") == ["org:us_senate", "org:us_treasury"]


# --- the two split automata must find exactly what one automaton over every pattern finds ----------------
def test_a_name_inside_a_longer_name_of_the_other_automaton_is_not_a_mention(gazetteer):
    # capitalised patterns and patterns starting otherwise are scanned by different automata
    assert pairs(gazetteer, "Sipas Milo Đukanović, Ahmed al-Sharaa takoi Mohamed bin Salman.", "sq") == [
        ("person:milo_djukanovic", "Milo Đukanović"), ("person:ahmed_al_sharaa", "Ahmed al-Sharaa"),
        ("person:mohammed_bin_salman", "Mohamed bin Salman")]


def test_partly_overlapping_names_keep_the_leftmost(gazetteer):
    # 'state of Washington' and 'Washington Agreement' overlap on 'Washington': the leftmost wins, as one scan does
    found = mentions_of(gazetteer, "Officials in the state of Washington Agreement talks.", "en")
    assert found.filter(pl.col("linked"))["surface"].to_list() == ["state of Washington"]


def test_split_automata_match_one_automaton_over_every_pattern(gazetteer):
    matcher = build_matcher(gazetteer)
    surfaces = matcher.patterns["surface"].to_list()
    not_capitalised = [surface for surface in surfaces if not "A" <= surface[0] <= "Z"]
    generator = random.Random(7)
    texts = []
    for _ in range(300):
        pieces = []
        for _ in range(generator.randint(1, 10)):
            surface = generator.choice(not_capitalised if generator.random() < 0.5 else surfaces)
            if generator.random() < 0.3:  # a tail of a pattern, so that matches overlap partly
                surface = surface[generator.randint(0, len(surface) - 1):]
            pieces += [surface, generator.choice(["", " ", "-", " i ", "ë", "s "])]
        texts.append("".join(pieces))
    buffer = TextBuffer.of(pl.DataFrame({"text": texts}))
    one_automaton = match_frame(matcher.automaton.find_matches_as_indexes(buffer.data))
    assert one_automaton.height > 1000
    assert leftmost_longest_matches(buffer, matcher).equals(one_automaton)


def test_mentions_come_sorted_by_article_field_and_offset_whatever_the_input_order(gazetteer):
    texts = pl.DataFrame({
        "article_id": ["b", "a", "a", "a"],
        "field": ["title", "body", "body", "title"],
        "text": ["Rama spoke.", "Putin met Trump.", "Trump met Putin.", "Kurti"],
    })
    found = extract_mentions(texts, gazetteer)
    # two texts with the same article and field interleave by offset
    assert found.select("article_id", "field", "char_start", "surface").rows() == [
        ("a", "body", 0, "Putin"), ("a", "body", 0, "Trump"), ("a", "body", 10, "Trump"), ("a", "body", 10, "Putin"),
        ("a", "title", 0, "Kurti"), ("b", "title", 0, "Rama")]


def test_a_place_inside_an_organisation_name_is_part_of_it(gazetteer):
    # The gazetteer knows the city, not the paper, the broadcaster or the court: the name the typer makes around
    # the match takes its place, and the city is not counted as mentioned.
    for text, language, name in [
        ("Reporters from the Tirana Times asked about it.", "en", "Tirana Times"),
        ("Ai punon për Radio Tirana prej vitesh.", "sq", "Radio Tirana"),
        ("Gjykata Themelore e Prizrenit e dënoi të pandehurin.", "sq", "Gjykata Themelore e Prizrenit"),
    ]:
        found = mentions_of(gazetteer, text, language)
        assert found.select("surface", "entity_type", "linked").rows() == [(name, "ORG", False)], text
    # An inflected form of the same organisation gets the same candidate id.
    inflected = mentions_of(gazetteer, "Kryetari i Gjykatës Themelore të Prizrenit foli.", "sq")
    assert inflected["entity_id"].to_list() == ["cand:gjyk_themelore_prizre"]


def test_known_names_joined_by_a_connector_stay_the_gazetteers(gazetteer):
    for text, language in [("Germany and Austria signed the accord on Monday.", "en"),
                           ("Gjermania dhe Austria nënshkruan marrëveshjen.", "sq")]:
        found = mentions_of(gazetteer, text, language)
        assert found.select("entity_id", "linked").rows() == [("gpe:iso:DE", True), ("gpe:iso:AT", True)], text


def test_an_acronym_with_an_albanian_ending_can_end_a_sentence(gazetteer):
    found = mentions_of(gazetteer, "Trupat u bashkuan me forcat e NATO-s. Komandantët thanë se stërvitja vazhdon.", "sq")
    assert found.select("surface", "entity_id").rows() == [("NATO-s", "org:nato")]
    words = words_of(gazetteer, "Trupat u bashkuan me forcat e NATO-s. Komandantët thanë se stërvitja vazhdon.", "sq")
    assert words.filter(pl.col("name_word") == "Komandantët")["sentence_start"].to_list() == [True]


def test_a_name_with_a_hyphenated_albanian_ending_can_end_a_sentence(gazetteer):
    """'Volta-s.' ends its sentence as 'NATO-s.' does: the next sentence's opener is no part of the name, and the
    surname links to the full name."""
    text = "Ai luan Jason Voltën. Të gjithë hynë në shtëpinë e Volta-s. Pastaj dolën."
    found = mentions_of(gazetteer, text, "sq")
    assert found.select("surface", "entity_id", "match_rule").rows() == [
        ("Jason Voltën", "cand:jason_vol", "candidate"), ("Volta-s", "cand:jason_vol", "short_form")]


def test_a_connector_never_ends_a_name():
    # Two names of different types back to back with a connector between ('Lidhja e | Kosovës'): the connector
    # goes with neither. Tags are given here, so the rule is tested without the model.
    from pipelines.lib.entities.typer import tag_names

    classes = ("O", "B-ORG", "I-ORG", "B-GPE", "I-GPE")
    words = pl.DataFrame({
        "row": [0, 0, 0, 0], "group": [1, 1, 1, 1], "start": [0, 7, 16, 18], "end": [6, 15, 17, 25],
        "is_connector": [False, False, True, False], "is_tail_word": [False] * 4, "is_stopword": [False] * 4,
        "covered": [False] * 4, "match_opens": [False] * 4, "match_closes": [False] * 4,
    })
    probabilities = np.array([[0.0, 0.9, 0.1, 0.0, 0.0], [0.0, 0.0, 0.9, 0.1, 0.0], [0.1, 0.0, 0.8, 0.0, 0.1],
                              [0.0, 0.0, 0.1, 0.9, 0.0]])
    names = tag_names(words, probabilities, classes)
    assert names.select("start", "end", "entity_type").rows() == [(0, 15, "ORG"), (18, 25, "GPE")]


def test_only_a_tail_word_continues_a_name():
    # 'Top Channel Lajme' and 'Ardian Kadrijaj Sipas': both last words tagged O, both stop words; only the tail word
    # (name_tail_words.txt) continues the name before it. Tags are given, so the rule is tested without the model.
    from pipelines.lib.entities.typer import tag_names

    classes = ("O", "B-ORG", "I-ORG", "B-PERSON", "I-PERSON")
    words = pl.DataFrame({
        "row": [0] * 6, "group": [1, 1, 1, 2, 2, 2], "start": [0, 4, 12, 30, 37, 46], "end": [3, 11, 17, 36, 45, 51],
        "is_connector": [False] * 6, "is_tail_word": [False, False, True, False, False, False],
        "is_stopword": [False, False, True, False, False, True], "covered": [False] * 6,
        "match_opens": [False] * 6, "match_closes": [False] * 6,
    })
    probabilities = np.array([[0.1, 0.8, 0.1, 0.0, 0.0], [0.1, 0.0, 0.9, 0.0, 0.0], [0.9, 0.0, 0.1, 0.0, 0.0],
                              [0.0, 0.0, 0.0, 0.9, 0.1], [0.1, 0.0, 0.0, 0.0, 0.9], [0.9, 0.0, 0.1, 0.0, 0.0]])
    names = tag_names(words, probabilities, classes)
    assert names.select("start", "end", "entity_type").rows() == [(0, 17, "ORG"), (30, 45, "PERSON")]


def test_a_role_word_before_a_full_name_is_no_part_of_the_person():
    # Roles no title list holds, before invented names: the name starts at the given name.
    found = mentions_of(gazetteer=load_gazetteer(), language="en", text=(
        "Striker Zelvan Kowalczyk scored twice on Sunday. Representative Ana Drovnic said the vote would wait."))
    people = found.filter(pl.col("entity_type") == "PERSON")["surface"].to_list()
    assert "Zelvan Kowalczyk" in people and "Ana Drovnic" in people
    assert not any(surface.startswith(("Striker", "Representative")) for surface in found["surface"].to_list())


def test_role_trimming_keeps_given_names_that_are_common_words():
    from pipelines.lib.entities.mentions import given_names, without_leading_role_words

    texts = ["Will Kowalczyk spoke.", "Striker Zelvan Kowalczyk spoke.", "Bill de Blasio spoke.", "Ri Yong Ho spoke."]
    names = ["Will Kowalczyk", "Striker Zelvan Kowalczyk", "Bill de Blasio", "Ri Yong Ho"]
    buffer = TextBuffer.of(pl.DataFrame({"text": texts}))
    starts = buffer.text_starts.to_list()
    frame = pl.DataFrame({"start": starts, "end": [start + len(name.encode()) for start, name in zip(starts, names)],
                          "entity_type": ["PERSON"] * len(names), "surface": names})
    kept = without_leading_role_words(frame, given_names(load_gazetteer()))
    # Two words keep a common first word ('Will'); 'Bill' is a gazetteer person's given name; 'Ri' is too short.
    assert kept["surface"].to_list() == ["Will Kowalczyk", "Zelvan Kowalczyk", "Bill de Blasio", "Ri Yong Ho"]
    assert (kept["end"] - kept["start"]).to_list() == [len(name.encode()) for name in kept["surface"].to_list()]


def test_names_in_an_all_caps_headline_link_to_the_gazetteer(gazetteer):
    # The scan is case-sensitive; a headline in capitals is read through a title-cased view with the same offsets.
    found = mentions_of(gazetteer, "KURTI TAKON RAMËN NË TIRANË", language="sq", field="title")
    assert found.select("surface", "entity_id").rows() == [
        ("KURTI", "person:albin_kurti"), ("RAMËN", "person:edi_rama"), ("TIRANË", "gpe:tirana")]
    found = mentions_of(gazetteer, "PUTIN MAY VISIT CHINA IN MAY", language="en", field="title")
    # 'MAY' is a stop word, no surname; the acronym-like words stay as written.
    assert found.select("surface", "entity_id").rows() == [("PUTIN", "person:vladimir_putin"), ("CHINA", "gpe:iso:CN")]
    found = mentions_of(gazetteer, "SHBA PARALAJMËRON RUSINË PËR UKRAINËN", language="sq", field="title")
    assert found["entity_id"].to_list() == ["gpe:iso:US", "gpe:iso:RU", "gpe:iso:UA"]


def test_a_wire_dateline_in_capitals_links_its_place(gazetteer):
    found = mentions_of(gazetteer, "LONDON, Oct 17 (Reuters) - Shares of Northwind rose.", language="en")
    assert found.filter(pl.col("surface") == "LONDON")["entity_id"].to_list() == ["gpe:london"]


def test_a_name_around_a_match_replaces_it_in_prose_only(gazetteer):
    # In prose the typer's name holds the place ('Tirana Times' is a newspaper); in capitals it cannot see where a
    # name ends, so the match stands.
    prose = mentions_of(gazetteer, "The Tirana Times reported it on Monday.", language="en")
    assert "gpe:tirana" not in prose["entity_id"].to_list()
    caps = mentions_of(gazetteer, "KRYEMINISTRI RAMA TAKON ZELENSKIN NË KIEV", language="sq", field="title")
    assert caps["entity_id"].to_list() == ["person:edi_rama", "person:volodymyr_zelensky", "gpe:kyiv"]


def test_the_title_cased_view_keeps_every_offset():
    from pipelines.lib.entities.matcher import title_cased_view

    texts = pl.Series(["KURTI TAKON RAMËN", "Prose with NATO only.", "İSTANBUL DHE ANKARA", "LONDON, Oct 17 (Reuters)"])
    view = title_cased_view(texts)
    assert view.to_list() == ["Kurti Takon Ramën", "Prose with NATO only.", "İstanbul Dhe Ankara", "London, Oct 17 (Reuters)"]
    assert (view.str.len_bytes() == texts.str.len_bytes()).all()


def test_a_word_of_digits_and_capitals_is_one_candidate_and_a_capital_inside_a_word_is_none(gazetteer):
    # A radio call sign or a brand ('6PR', '3AW', '3M') is one word; the capital inside 'iPhone', 'eBay' or '12kWh'
    # starts no name (it used to give the candidates 'PR', 'AW', 'Phone', 'Bay').
    words = words_of(gazetteer, "Zelvan Radio bought 6PR and 3AW, then sold iPhone cases on eBay to 3M for 12kWh.")
    assert words["name_word"].to_list() == ["Zelvan", "Radio", "6PR", "and", "3AW", "3M"]
    assert all("PR" != word and "Phone" != word for word in words["name_word"])
