"""Resolution rules, one table per rule in both languages: shared names decided by the article's country, short
forms and acronyms linked to the full name the article gives, identity keys across articles, and the cases that
must stay unlinked (never a guess)."""

import polars as pl
import pytest

from pipelines.lib.entities import TextBuffer, candidate_key, extract_mentions
from pipelines.lib.entities.article_links import link_within_articles
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
    # other stop words still end a name ('Sipas' after a name): tests/lib/test_entities.py::
    # test_only_a_tail_word_continues_a_name (given tags; the typer's own reading of that capitalised 'Sipas'
    # flipped with a retrain, O 0.76 -> 0.14, so it is no test of the rule)
]


@pytest.mark.parametrize(("text", "language", "expected"), NAME_WITH_A_COMMON_WORD_CASES,
                         ids=[case[0][:40] for case in NAME_WITH_A_COMMON_WORD_CASES])
def test_a_common_word_at_the_end_of_a_name_stays_in_it(gazetteer, text, language, expected):
    found = article_mentions(gazetteer, {"a": text}, language).filter(~pl.col("linked"))
    assert found["surface"].to_list() == expected


# ---- within an article: the stage alone, over hand-built mention rows ------------------------------------------

def linked_within(texts, rows, columns=("entity_id", "match_rule", "linked")):
    """texts: one text per article (article number = position); rows: (article, surface, entity_id, match_rule,
    linked, candidate_type, occurrence) with occurrence = which appearance of the surface in the text (0 = first).
    Returns {(article, surface, occurrence): (entity_id, match_rule, linked)} after link_within_articles (or the
    other `columns` asked)."""
    frame = pl.DataFrame({"text": texts})
    buffer = TextBuffer.of(frame)
    records = []
    for article, surface, entity_id, match_rule, linked, candidate_type, occurrence in rows:
        encoded, needle, position = texts[article].encode(), surface.encode(), -1
        for _ in range(occurrence + 1):
            position = encoded.find(needle, position + 1)
        assert position >= 0, (surface, occurrence)
        start = buffer.text_starts[article] + position
        records.append({"row": article, "article": article, "start": start, "end": start + len(needle),
                        "surface": surface, "entity_id": entity_id, "match_rule": match_rule, "linked": linked,
                        "candidate_type": candidate_type, "occurrence": occurrence})
    mentions = pl.DataFrame(records, schema={
        "row": pl.Int64, "article": pl.Int64, "start": pl.Int64, "end": pl.Int64, "surface": pl.String,
        "entity_id": pl.String, "match_rule": pl.String, "linked": pl.Boolean, "candidate_type": pl.String,
        "occurrence": pl.Int64})
    out = link_within_articles(mentions, buffer, load_gazetteer().entities)
    assert out.columns == mentions.columns and out.height == mentions.height
    return {(row["article"], row["surface"], row["occurrence"]): tuple(row[column] for column in columns)
            for row in out.iter_rows(named=True)}


def cand(surface, occurrence=0, article=0, candidate_type=None):
    return (article, surface, candidate_key(surface), "candidate", False, candidate_type, occurrence)


SHORT_FORM_CASES = [
    # (texts, rows, the (article, surface, occurrence) asked, expected (entity_id, match_rule, linked))
    pytest.param(["Stephen Miller spoke. Later Miller left."], [cand("Stephen Miller"), cand("Miller")],
                 (0, "Miller", 0), ("cand:stephen_miller", "short_form", False), id="en unknown person"),
    pytest.param(["Blerina Gashi foli. Sipas Gashit, jo."], [cand("Blerina Gashi"), cand("Gashit")],
                 (0, "Gashit", 0), ("cand:blerina_gash", "short_form", False), id="sq inflected surname"),
    pytest.param(["Albin Kurti foli. Kurtit i tha."],
                 [(0, "Albin Kurti", "person:albin_kurti", "alias", True, None, 0), cand("Kurtit")],
                 (0, "Kurtit", 0), ("person:albin_kurti", "short_form", True), id="sq gazetteer person"),
    pytest.param(["Miller: no deal. Stephen Miller said so."], [cand("Miller"), cand("Stephen Miller")],
                 (0, "Miller", 0), ("cand:stephen_miller", "short_form", False), id="title before the full name"),
    # the full name decides, whatever type the typer gave the bare word
    pytest.param(["Kanye West spoke. West said more."], [cand("Kanye West", candidate_type="PERSON"),
                                                          cand("West", 1, candidate_type="GPE")],
                 (0, "West", 1), ("cand:kanye_wes", "short_form", False), id="en bare surname typed a place"),
    pytest.param(["Jason Volta erdhi. Në jahtin e Voltës, jo."], [cand("Jason Volta", candidate_type="PERSON"),
                                                                  cand("Voltës", candidate_type="ORG")],
                 (0, "Voltës", 0), ("cand:jason_vol", "short_form", False), id="sq inflected surname typed an org"),
    pytest.param(["Tom Daley and Robert Black-Daley wed. Daley said."],
                 [cand("Tom Daley"), cand("Robert Black-Daley"), cand("Daley", 1)],
                 (0, "Daley", 1), ("cand:tom_daley", "short_form", False), id="a double-barrelled name is no holder"),
    pytest.param(["Sayfullo Saipov came. Sayfullo Habibullaevic Saipov was charged. Saipov denied."],
                 [cand("Sayfullo Saipov"), cand("Sayfullo Habibullaevic Saipov"), cand("Saipov", 2)],
                 (0, "Saipov", 2), ("cand:sayfullo_saipov", "short_form", False), id="one person with a middle name"),
    # never a guess: two full names share the surname, or the full name is a place or organisation
    pytest.param(["Bujar Koval and Arben Koval met. Koval left."],
                 [cand("Bujar Koval"), cand("Arben Koval"), cand("Koval", 2, candidate_type="ORG")],
                 (0, "Koval", 2), ("cand:koval", "candidate", False), id="en two holders, bare word typed an org"),
    pytest.param(["Ardian Hoxha dhe Besnik Hoxhës. Hoxha tha."],
                 [cand("Ardian Hoxha"), cand("Besnik Hoxhës"), cand("Hoxha", 1, candidate_type="GPE")],
                 (0, "Hoxha", 1), ("cand:hoxh", "candidate", False), id="sq two holders, bare word typed a place"),
    pytest.param(["Bujar Koval and Arben Koval met. Koval left."],
                 [cand("Bujar Koval"), cand("Arben Koval"), cand("Koval")],
                 (0, "Koval", 0), ("cand:koval", "candidate", False), id="en two holders"),
    pytest.param(["Ardian Hoxha dhe Besnik Hoxhës. Hoxha tha."],
                 [cand("Ardian Hoxha"), cand("Besnik Hoxhës"), cand("Hoxha")],
                 (0, "Hoxha", 0), ("cand:hoxh", "candidate", False), id="sq two holders, one inflected"),
    pytest.param(["Northwind Traders Ltd grew. Ltd fell."], [cand("Northwind Traders Ltd", candidate_type="ORG"),
                                                              cand("Ltd")],
                 (0, "Ltd", 0), ("cand:ltd", "candidate", False), id="an organisation lends no surname"),
    pytest.param(["Stephen Miller spoke.", "Miller left."], [cand("Stephen Miller"), cand("Miller", article=1)],
                 (1, "Miller", 0), ("cand:miller", "candidate", False), id="another article's full name"),
    pytest.param(["Stephen Miller spoke. Stephen left."], [cand("Stephen Miller"), cand("Stephen", 1)],
                 (0, "Stephen", 1), (candidate_key("Stephen"), "candidate", False), id="a first name is no surname"),
    # an Arabic article before the surname is no part of it
    pytest.param(["Presidenti Ahmed al-Sharaa erdhi. Trumpi e quajti al-Sharaan të fortë."],
                 [(0, "Ahmed al-Sharaa", "person:ahmed_al_sharaa", "alias", True, None, 0), cand("Sharaan")],
                 (0, "Sharaan", 0), ("person:ahmed_al_sharaa", "short_form", True), id="sq al- surname"),
    pytest.param(["Omar el-Masri was charged. Masri denied it."], [cand("Omar el-Masri"), cand("Masri")],
                 (0, "Masri", 0), (candidate_key("Omar el-Masri"), "short_form", False), id="en el- surname"),
    # a full name without its first word
    pytest.param(["His son, Donald Trump Jr., went further. Trump Jr. is no member."],
                 [(0, "Donald Trump Jr.", "person:donald_trump_jr", "alias", True, None, 0), cand("Trump Jr.")],
                 (0, "Trump Jr.", 0), ("person:donald_trump_jr", "short_form", True), id="en Trump Jr."),
    pytest.param(["Vizita e Donald Trump Jr. në Nuuk. Trump Jr. foli."],
                 [(0, "Donald Trump Jr.", "person:donald_trump_jr", "alias", True, None, 0), cand("Trump Jr.")],
                 (0, "Trump Jr.", 0), ("person:donald_trump_jr", "short_form", True), id="sq Trump Jr."),
    # a bare word the typer took for a person shortens a candidate it typed otherwise, in both languages
    pytest.param(["Për Evo Morales, presidentin. Retorika e Morales u rrit."],
                 [cand("Evo Morales", candidate_type="ORG"), cand("Morales", 1, candidate_type="PERSON")],
                 (0, "Morales", 1), (candidate_key("Evo Morales"), "short_form", False), id="sq full name typed an org"),
    pytest.param(["Rick Santorum ran. Santorum lost."],
                 [cand("Rick Santorum", candidate_type="LOC"), cand("Santorum", 1, candidate_type="PERSON")],
                 (0, "Santorum", 1), (candidate_key("Rick Santorum"), "short_form", False), id="en full name typed a place"),
    # ... but a bare word typed an organisation does not take an organisation's last word
    pytest.param(["Banco Morales grew. Morales fell."],
                 [cand("Banco Morales", candidate_type="ORG"), cand("Morales", 1, candidate_type="ORG")],
                 (0, "Morales", 1), (candidate_key("Morales"), "candidate", False), id="organisation and org word"),
    # an organisation named after the person does not compete with the person
    pytest.param(["Shoqata Cromwell protestoi. Statuja e Oliver Cromwell mbetet. Sipas Cromwell, jo."],
                 [cand("Shoqata Cromwell", candidate_type="ORG"), cand("Oliver Cromwell", candidate_type="PERSON"),
                  cand("Cromwell", 2, candidate_type="PERSON")],
                 (0, "Cromwell", 2), (candidate_key("Oliver Cromwell"), "short_form", False),
                 id="sq a person beside an organisation of the surname"),
    # a sentence opened by a common word before the surname is no second holder
    pytest.param(["Eduard Hitzig was born in Berlin. Apparently Hitzig erred. Hitzig left."],
                 [cand("Eduard Hitzig", candidate_type="PERSON"), cand("Apparently Hitzig", candidate_type="PERSON"),
                  cand("Hitzig", 2, candidate_type="PERSON")],
                 (0, "Hitzig", 2), (candidate_key("Eduard Hitzig"), "short_form", False), id="en common opener"),
    pytest.param(["Eduard Hitzig was born in Berlin. Apparently Hitzig erred. Hitzig left."],
                 [cand("Eduard Hitzig", candidate_type="PERSON"), cand("Apparently Hitzig", candidate_type="PERSON"),
                  cand("Hitzig", 2, candidate_type="PERSON")],
                 (0, "Apparently Hitzig", 0), (candidate_key("Eduard Hitzig"), "short_form", False),
                 id="en common opener takes the full name"),
    pytest.param(["Ardian Hoxha foli. Megjithatë Hoxha nuk erdhi. Hoxha tha."],
                 [cand("Ardian Hoxha", candidate_type="PERSON"), cand("Megjithatë Hoxha", candidate_type="PERSON"),
                  cand("Hoxha", 2, candidate_type="PERSON")],
                 (0, "Hoxha", 2), (candidate_key("Ardian Hoxha"), "short_form", False), id="sq common opener"),
]


@pytest.mark.parametrize(("texts", "rows", "asked", "expected"), SHORT_FORM_CASES)
def test_short_forms(texts, rows, asked, expected):
    assert linked_within(texts, rows)[asked] == expected


def test_a_full_name_its_person_typed_surnames_shorten_becomes_a_person():
    linked = linked_within(["Për Evo Morales, presidentin. Retorika e Morales u rrit. Evo Morales foli."],
                           [cand("Evo Morales", candidate_type="ORG"), cand("Morales", 1, candidate_type="PERSON"),
                            cand("Evo Morales", 1, candidate_type="ORG")],
                           columns=("entity_id", "candidate_type"))
    assert set(linked.values()) == {(candidate_key("Evo Morales"), "PERSON")}


def test_a_linked_surname_takes_the_person_type():
    linked = linked_within(["Kanye West spoke. West said more."],
                           [cand("Kanye West", candidate_type="PERSON"), cand("West", 1, candidate_type="GPE")],
                           columns=("entity_id", "candidate_type"))
    assert linked[(0, "West", 1)] == ("cand:kanye_wes", "PERSON")


ACRONYM_CASES = [
    pytest.param(["Komisioni Qendror i Zgjedhjeve (KQZ) njoftoi. Sipas KQZ-së, jo."],
                 [cand("Komisioni Qendror i Zgjedhjeve"), cand("KQZ"), cand("KQZ-së")],
                 {(0, "KQZ", 0): ("cand:komisio_qendror_zgjedhje", "acronym", False),
                  (0, "KQZ-së", 0): ("cand:komisio_qendror_zgjedhje", "acronym", False)}, id="sq candidate"),
    pytest.param(["The Central Election Commission (CEC) said. CEC will count."],
                 [cand("Central Election Commission"), cand("CEC"), cand("CEC", 1)],
                 {(0, "CEC", 0): ("cand:central_election_commissio", "acronym", False),
                  (0, "CEC", 1): ("cand:central_election_commissio", "acronym", False)}, id="en candidate"),
    pytest.param(["Kosovo Liberation Army(KLA) fought. The KLA won."],
                 [cand("Kosovo Liberation Army"), cand("KLA"), cand("KLA", 1)],
                 {(0, "KLA", 1): ("cand:kosovo_liberation_army", "acronym", False)}, id="no space before bracket"),
    pytest.param(["Zyra e Rregullatorit të Energjisë (ZRRE) vendosi. ZRRE tha."],
                 [cand("Zyra e Rregullatorit të Energjisë"), (0, "ZRRE", "org:zrre", "acronym", True, None, 0),
                  (0, "ZRRE", "org:zrre", "acronym", True, None, 1)],
                 {(0, "Zyra e Rregullatorit të Energjisë", 0): ("org:zrre", "acronym", True)},
                 id="only the acronym is known: the name takes it"),
    # never a guess
    pytest.param(["Hashim Thaçi (PDK) foli. PDK tha."],
                 [(0, "Hashim Thaçi", "person:hashim_thaci", "alias", True, None, 0), cand("PDK", 0), cand("PDK", 1)],
                 {(0, "PDK", 0): ("cand:pdk", "candidate", False)}, id="a party after a person is no expansion"),
    pytest.param(["Central Election Commission (CEC) and Civic Education Centre (CEC) met. CEC said."],
                 [cand("Central Election Commission"), cand("CEC"), cand("Civic Education Centre"), cand("CEC", 1),
                  cand("CEC", 2)],
                 {(0, "CEC", 2): ("cand:cec", "candidate", False)}, id="defined twice in one article"),
    pytest.param(["Central Election Commission (CEC) said.", "CEC counted."],
                 [cand("Central Election Commission"), cand("CEC"), cand("CEC", article=1)],
                 {(1, "CEC", 0): ("cand:cec", "candidate", False)}, id="another article's definition"),
]


@pytest.mark.parametrize(("texts", "rows", "expected"), ACRONYM_CASES)
def test_acronyms(texts, rows, expected):
    linked = linked_within(texts, rows)
    assert {key: linked[key] for key in expected} == expected


def test_short_form_through_the_whole_stage(gazetteer):
    """End to end, with what the candidate stage finds without a model: a titled single word."""
    for text, language, surname, expected in [
        ("Stephen Koval spoke. Mr. Koval said more.", "en", "Koval", "cand:stephen_koval"),
        ("Matteo Rinaldi shkroi. Ambasadori Rinaldit i tha.", "sq", "Rinaldit", candidate_key("Matteo Rinaldi")),
    ]:
        found = article_mentions(gazetteer, {"a": text}, language).filter(pl.col("surface") == surname)
        assert found.select("entity_id", "match_rule").rows() == [(expected, "short_form")]


@pytest.mark.parametrize("text, language, full_name, surname", [
    # sentence-initial, after a comma, before a verb: words the typer alone leaves out of every name
    ("Prosecutors charged Timur Baskakov on Monday.\nBaskakov, 31, denied it.", "en", "Timur Baskakov", "Baskakov"),
    ("The jury heard from Odile Farnsworth-Quill. Later, Farnsworth-Quill left.", "en", "Odile Farnsworth-Quill",
     "Farnsworth-Quill"),
    ("Policia arrestoi Dritan Velaj të hënën.\nVelaj pretendon se është i pafajshëm.", "sq", "Dritan Velaj", "Velaj"),
    ("Rrëfimi i Jasmin Korbit u botua. Brenda shtëpisë së Korbit-s u gjetën letra.", "sq", "Jasmin Korbit",
     "Korbit-s"),
])
def test_a_bare_surname_the_typer_left_out_still_links_to_the_full_name(gazetteer, text, language, full_name,
                                                                        surname):
    found = article_mentions(gazetteer, {"a": text}, language)
    full = found.filter(pl.col("surface") == full_name)["entity_id"].to_list()
    assert len(full) == 1
    assert found.filter(pl.col("surface") == surname).select("entity_id", "match_rule").rows() == [
        (full[0], "short_form")]


def test_an_untagged_word_is_no_mention_without_a_full_name_it_shortens(gazetteer):
    """The surname pass adds mentions only where it links them: the same sentences without the full name give
    the bare word no short form (the typer alone decides whether it is a candidate), and 'May' the month is no
    mention at all."""
    found = article_mentions(gazetteer, {
        "a": "Baskakov, 31, denied it.", "b": "Velaj pretendon se është i pafajshëm.",
        "c": "Marta Linden spoke in May. In May the vote came."}, "en")
    assert "short_form" not in found["match_rule"].to_list()
    assert found.filter(pl.col("surface") == "May").is_empty()
    assert "untagged_word" not in found["match_rule"].to_list()


@pytest.mark.parametrize("text, language, full_name, common_noun", [
    ("Gjykata dëgjoi Arben Vendimi të hënën.\nVendimi, sipas ligjit, është përfundimtar; vendimi u shpall sot.", "sq",
     "Arben Vendimi", "Vendimi"),
])
def test_an_untagged_word_the_article_also_writes_in_lower_case_is_no_surname(gazetteer, text, language, full_name,
                                                                            common_noun):
    """A sentence-initial common noun that happens to end a full name stays out: the article writes it lower-cased
    elsewhere, so it is a word, not the person."""
    found = article_mentions(gazetteer, {"a": text}, language)
    assert found.filter(pl.col("surface") == full_name).height == 1
    assert found.filter(pl.col("surface") == common_noun).is_empty()


# The typer must take the word alone for a name (checked below), so the cases are ones it does: trained on the
# right sentence context, it now leaves most sentence-initial Albanian common nouns out by itself ('Marinën tonë').
@pytest.mark.parametrize("text, language, common_noun", [
    ("Emperor says the realm is safe.\nThe emperor had no power.", "en", "Emperor"),
    ("Marshal says the realm is safe.\nThe marshal left the hall.", "en", "Marshal"),
])
def test_a_one_word_name_opening_a_sentence_is_a_common_noun_when_the_article_writes_it_lower_cased(
        gazetteer, text, language, common_noun):
    """The typer reads one sentence and takes the capitalised opener for a name; the article's lower-case use of
    the same word says it is a noun. Without that use the typer's choice stands."""
    assert article_mentions(gazetteer, {"a": text}, language).filter(pl.col("surface") == common_noun).is_empty()
    alone = article_mentions(gazetteer, {"a": text.split("\n")[0]}, language)
    assert alone.filter(pl.col("surface") == common_noun)["match_rule"].to_list() == ["candidate"]


@pytest.mark.parametrize("inflected, nominative", [
    ("Arben Krasniqit", "Arben Krasniqi"), ("Dorina Malajt", "Dorina Malaj"), ("Besnik Hoxhës", "Besnik Hoxha"),
    ("Komisionit Qendror të Zgjedhjeve", "Komisioni Qendror i Zgjedhjeve"),
])
def test_a_case_ending_folds_into_the_nominative_key_for_names_nobody_listed(inflected, nominative):
    assert candidate_key(inflected) == candidate_key(nominative)
    assert candidate_key(inflected) != candidate_key("Arben Gashi")


# ---- a candidate that is an inflected gazetteer name the rules do not generate -----------------------------------

@pytest.mark.parametrize("text, surface, expected", [
    ("Për çipat e avancuar të Nvidias palët do të flasin më vonë.", "Nvidias", "org:nvidia"),
    ("Nafta vjen nga Kroacia dhe rafineria e Pançevës ka ndaluar punën në dhjetor.", "Pançevës", "gpe:pancevo"),
    ("Kurti foli me Ramush Haradinajt për koalicionin.", "Ramush Haradinajt", "person:ramush_haradinaj"),
    ("Heqja e plotë e ligjit kërkon një votim në Kongres.", "Kongres", "org:us_congress"),
])
def test_an_inflected_form_outside_the_rules_links_by_its_stem(gazetteer, text, surface, expected):
    found = article_mentions(gazetteer, {"a": text}, "sq").filter(pl.col("surface") == surface)
    assert found.select("entity_id", "match_rule", "linked", "entity_type").rows() == [
        (expected, "stem", True, gazetteer.entities.filter(pl.col("entity_id") == expected)["entity_type"][0])]


@pytest.mark.parametrize("text, language, surface", [
    # English has no case endings: a demonym's stem is no place
    ("Prime Minister Spajić said that three quarters of Montenegrins back membership.", "en", "Montenegrins"),
    # a word that is a gazetteer name cut short carries no ending ('Fordo' is Fordow)
    ("Kompania Ford njoftoi fitime më të larta.", "sq", "Ford"),
    # an English-only spelling does not stem Albanian words ('Roseau' is 'Roso' in Albanian)
    ("Rose Mariani fitoi çmimin e parë.", "sq", "Rose Mariani"),
])
def test_a_stem_link_needs_an_albanian_ending(gazetteer, text, language, surface):
    found = article_mentions(gazetteer, {"a": text}, language)
    assert "stem" not in found["match_rule"].to_list()
    assert not found.filter(pl.col("surface").str.contains(surface.split()[0]))["linked"].any()


# ---- a common noun opening a sentence before a known name does not swallow it ------------------------------------

def test_a_common_noun_and_a_genitive_before_a_known_name_leave_the_known_name():
    """'Buxheti i Ministrisë së Mbrojtjes arrin ...' is the ministry's budget: the article writes 'buxheti' in lower
    case, so the typer's name around the ministry gives way to the ministry. Without that evidence the typer's
    choice stands; an organisation word ('Universiteti i Prishtinës') is a name even so."""
    text = ("Mbrojtja merr rritjen më të madhe. Buxheti i Ministrisë së Mbrojtjes arrin në 61 miliardë lekë. "
            "Qeveria tha se buxheti është i qëndrueshëm.")
    found = article_mentions(load_gazetteer(), {"a": text}, "sq")
    assert found.select("surface", "entity_id").rows() == [("Ministrisë së Mbrojtjes", "org:albanian_defence_ministry")]
    alone = article_mentions(load_gazetteer(), {"a": text.rsplit(" Qeveria", 1)[0]}, "sq")
    assert alone["surface"].to_list() == ["Buxheti i Ministrisë së Mbrojtjes"]
    university = article_mentions(load_gazetteer(), {"a": "Studentët protestuan. Universiteti i Prishtinës mbylli "
                                                           "dyert. Rektori tha se universiteti do të rihapet."}, "sq")
    assert university["surface"].to_list() == ["Universiteti i Prishtinës"]


def test_an_albanian_head_noun_straight_before_a_known_name_leaves_the_known_name():
    """Albanian puts the head noun before the name it governs without a connector too ('Kompania NIS, që furnizon
    ...': the company NIS, gold article g22); the article writes 'kompania' in lower case, so NIS stands. In English
    an opener before a known name is the name's own ('Old Athens'), even where the article writes 'old'."""
    text = ("Serbia mund të mbetet pa naftë. Kompania NIS, që furnizon rreth 80 për qind të tregut serb të karburanteve, "
            "është nën sanksione amerikane që nga 9 tetori 2025. Qeveria tha se kompania do të shitet.")
    found = article_mentions(load_gazetteer(), {"a": text}, "sq")
    assert found.select("surface", "entity_id").rows() == [("Serbia", "gpe:iso:RS"), ("NIS", "org:nis_serbia")]
    english = article_mentions(load_gazetteer(), {"a": "We toured the city. Old Athens is small. The old town sleeps."},
                               "en")
    assert english["surface"].to_list() == ["Old Athens"]


@pytest.mark.parametrize("text, language, expected", [
    ("Deputetët e Kuvendit të Kosovës votuan ligjin.", "sq", [("Kuvendit të Kosovës", "org:assembly_of_kosovo")]),
    ("Members of the European Parliament voted.", "en", [("European Parliament", "org:european_parliament")]),
])
def test_an_opener_usually_written_in_lower_case_leaves_the_known_name(text, language, expected):
    """One sentence cannot show the opener in lower case, but a word the common-word lexicon knows as usually written
    so ('deputetët', 'members') is the head noun of a genitive, not the start of a name: the known name stands."""
    found = article_mentions(load_gazetteer(), {"a": text}, language)
    assert found.select("surface", "entity_id").rows() == expected


def test_a_common_noun_before_an_unknown_name_is_no_name_of_its_own():
    """'Zyrtarët e AKEP-it thanë ...' (the officials of AKEP): a one-word opener usually written in lower case, then a
    linking article and another name, is that name's head noun. An unknown opener stays (it may be a name)."""
    found = article_mentions(load_gazetteer(), {"a": "Zyrtarët e AKEP-it thanë se rrjeti funksionon."}, "sq")
    assert "Zyrtarët" not in found["surface"].to_list()
    assert any(surface.startswith("AKEP") for surface in found["surface"].to_list())
    university = article_mentions(load_gazetteer(), {"a": "Lidhja e Prizrenit u mblodh."}, "sq")
    assert university["surface"].to_list() == ["Lidhja e Prizrenit"]


# ---- issue 13, point 4 and 6, through the whole stage (typer included), in both languages -------------------------

@pytest.mark.parametrize("text, language, name, uses", [
    ("Sipas rezultateve të Komisionit Qendror të Zgjedhjeve (KQZ), pjesëmarrja ishte 40 për qind. KQZ-ja do të "
     "certifikojë rezultatet.", "sq", "Komisionit Qendror të Zgjedhjeve", ["KQZ", "KQZ-ja"]),
    ("Ushtria Çlirimtare e Kosovës (UÇK) luftoi deri në vitin 1999. UÇK-ja u shpërbë.", "sq",
     "Ushtria Çlirimtare e Kosovës", ["UÇK", "UÇK-ja"]),
    ("The Central Election Commission (CEC) published the first results. According to the CEC, turnout was 40 "
     "percent.", "en", "Central Election Commission", ["CEC", "CEC"]),
    ("The Kosovo Liberation Army (KLA) fought until 1999. The KLA was disbanded.", "en", "Kosovo Liberation Army",
     ["KLA", "KLA"]),
])
def test_an_acronym_after_its_expansion_is_the_expansion_and_the_place_inside_is_not_mentioned(
        gazetteer, text, language, name, uses):
    found = article_mentions(gazetteer, {"a": text}, language)
    full = found.filter(pl.col("surface") == name)
    assert full.height == 1
    assert found.filter(pl.col("surface").is_in(uses)).select("entity_id", "match_rule").rows() == [
        (full["entity_id"][0], "acronym")] * len(uses)
    assert "gpe:iso:XK" not in found["entity_id"].to_list()  # Kosovo inside the organisation's name is no mention


@pytest.mark.parametrize("text, language, organisation, place", [
    ("Gjykata Themelore e Prizrenit dënoi dy persona.", "sq", "Gjykata Themelore e Prizrenit", "gpe:prizren"),
    ("Radio Tirana transmetoi lajmin.", "sq", "Radio Tirana", "gpe:tirana"),
    ("Shareholders of Tirana Bank met on Monday.", "en", "Tirana Bank", "gpe:tirana"),
    ("Radio Tirana reported it first.", "en", "Radio Tirana", "gpe:tirana"),
])
def test_a_place_inside_an_organisation_name_is_not_the_place(gazetteer, text, language, organisation, place):
    found = article_mentions(gazetteer, {"a": text}, language)
    assert found.filter(pl.col("surface") == organisation)["entity_type"].to_list() == ["ORG"]
    assert place not in found["entity_id"].to_list()


@pytest.mark.parametrize("text, language, expected", [
    ("Kuvendi i Kosovës nuk u mblodh. Kuvendi do të mblidhet të hënën.", "sq", "org:assembly_of_kosovo"),
    ("Kuvendi miratoi buxhetin e Shqipërisë për vitin 2026.", "sq", "org:albanian_parliament"),
    ("In Pristina, the Kuvendi failed again to elect a speaker, Kosovo media said.", "en", "org:assembly_of_kosovo"),
    ("Albania's Kuvendi passed the budget for 2026.", "en", "org:albanian_parliament"),
    ("The Kuvendi failed again to elect a speaker.", "en", None),
    ("Kuvendi votoi sot.", "sq", None),
])
def test_bare_kuvendi_is_the_article_country_s_or_unlinked(gazetteer, text, language, expected):
    found = article_mentions(gazetteer, {"a": text}, language).filter(pl.col("surface") == "Kuvendi")
    assert found.height >= 1
    if expected is None:
        assert found.select("linked", "match_rule").unique().rows() == [(False, "ambiguous")]
    else:
        assert set(found["entity_id"]) == {expected}


@pytest.mark.parametrize("text, head", [
    ("Kriza ka prekur edhe gazin. Kontrata e Serbisë me Gazprom skadon në mars.", "Kontrata"),
    ("A do të jetë ky argumenti ynë? Vizita e Donald Trump Jr. në Nuuk u duk si shfaqje.", "Vizita"),
])
def test_a_one_word_albanian_name_governing_a_known_name_is_a_common_noun(gazetteer, text, head):
    """A proper name of one word is not followed by a genitive; a head noun opening a sentence is ('Kontrata e
    Serbisë': Serbia's contract). The typer took these for names; the known name after them stands."""
    found = article_mentions(gazetteer, {"a": text}, "sq")
    assert head not in found["surface"].to_list()
    assert found["linked"].all()


@pytest.mark.parametrize("title, body, language, expected", [
    ("VELAJ: NUK JAM FAJTOR", "Policia arrestoi Dritan Velaj të hënën. Velaj pretendon se është i pafajshëm.", "sq",
     {"VELAJ": candidate_key("Dritan Velaj")}),
    ("TAKIMI I KURTIT ME RAMËN", "Albin Kurti dhe Edi Rama u takuan sot në Tiranë.", "sq",
     {"KURTIT": "person:albin_kurti", "RAMËN": "person:edi_rama"}),
    ("KURTI: NUK DO TË HEQIM DORË", "Albin Kurti foli sot në Prishtinë.", "sq", {"KURTI": "person:albin_kurti"}),
    ("KOVAL SAYS NO", "Stephen Koval spoke on Monday. Koval said more.", "en", {"KOVAL": "cand:stephen_koval"}),
])
def test_a_surname_in_an_all_caps_headline_links_to_the_full_name_in_the_body(gazetteer, title, body, language,
                                                                              expected):
    frame = pl.DataFrame({"article_id": ["a", "a"], "field": ["title", "body"], "text": [title, body],
                          "language": [language, language]})
    found = extract_mentions(frame, gazetteer).filter(pl.col("field") == "title")
    assert {surface: entity for surface, entity in found.select("surface", "entity_id").rows()
            if surface in expected} == expected
    # An unknown person's surname links as a short form; a listed person's may already match the gazetteer's
    # surname, read in capitals (matcher.matches_in_capitals): the same entity either way.
    for surface, rule in found.filter(pl.col("surface").is_in(list(expected))).select("surface", "match_rule").rows():
        assert rule == "short_form" if expected[surface].startswith("cand:") else rule in ("surname", "short_form")


@pytest.mark.parametrize("text, language, surname, expected", [
    # the only full name with the surname is someone nobody listed: the bare surname is that person, not the default
    ("Liridona Berisha fitoi garën e maratonës. Berisha tha se u përgatit dy vjet.", "sq", "Berisha",
     candidate_key("Liridona Berisha")),
    ("Liridona Berisha won the marathon. Berisha said she trained for two years.", "en", "Berisha",
     candidate_key("Liridona Berisha")),
    # the default holder named in full, or a listed relative, keeps the default its surname
    ("Sali Berisha spoke. Liridona Berisha ran. Berisha said no.", "en", "Berisha", "person:sali_berisha"),
    ("Melania Trump visited a school. Trump said more.", "en", "Trump", "person:donald_trump"),
])
def test_a_default_surname_after_an_unlisted_full_name_is_that_person(gazetteer, text, language, surname, expected):
    found = article_mentions(gazetteer, {"a": text}, language).filter(pl.col("surface") == surname)
    assert found["entity_id"].to_list() == [expected]
