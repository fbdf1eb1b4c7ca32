"""Tests for pipelines.lib.metadata: header variants in Albanian and English, every field asserted.
Each case is a header written for this test, followed by a neutral body paragraph in the same language."""

import json
from datetime import datetime

import polars as pl
import pytest

from pipelines.lib.metadata import (
    ParsedArticle,
    benchmark_parse,
    clean_body,
    clean_title,
    fold_text,
    may_hold_inline_links,
    parse_article,
    parse_articles,
    proper_case_name,
)

EN_BODY = (
    "The government said on Monday that it would present a new budget to parliament next week. "
    "Officials expect the debate to last several days, and the opposition has promised to table amendments.\n\n"
    "Analysts said the plan was unlikely to change the deficit by much."
)
SQ_BODY = (
    "Qeveria njoftoi të hënën se do të paraqesë një buxhet të ri në parlament javën e ardhshme. "
    "Zyrtarët presin që debati të zgjasë disa ditë, ndërsa opozita ka premtuar amendamente.\n\n"
    "Analistët thanë se plani nuk do ta ndryshojë shumë deficitin."
)

FIELDS = ("title", "caption", "published_at", "published_precision", "updated_at", "author",
          "outlet", "section", "section_norm", "header_language")


def case(case_id, header, body=EN_BODY, **expected):
    """One table row: the header, the body that follows it, and every expected field (default None)."""
    values = {name: expected.pop(name, None) for name in FIELDS}
    assert not expected, f"unknown fields {expected}"
    return pytest.param(header, body, values, id=case_id)


T_EN = "Parliament approves the new budget after a long night"
T_SQ = "Kuvendi miraton buxhetin e ri pas një nate të gjatë"

CASES = [
    # ---------------------------------------------------------------- glued fields
    case("glued_datetime_section_byline", f"{T_EN}\n\n2025-10-17 20:51:01Pikëpamje SHKRUAR NGA ETTORE SEQUI\nPutin and Trump\n\nBy Ettore Sequi - La Stampa",
         title=T_EN, caption="Putin and Trump", published_at="2025-10-17T20:51:01+02:00", published_precision="second",
         author="Ettore Sequi", outlet="La Stampa", section="Pikëpamje", section_norm="opinion", header_language="mixed"),
    case("date_label_glued_title", " date 2026-02-02 The policy of personal diplomacy has reached a strategic impasse",
         title="The policy of personal diplomacy has reached a strategic impasse", published_at="2026-02-02T00:00:00+01:00",
         published_precision="day", header_language="en"),
    case("glued_section_only", f"{T_SQ}\n2025-10-17 20:51:01Sport", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T20:51:01+02:00", published_precision="second", section="Sport",
         section_norm="sport", header_language="sq"),
    case("glued_unlisted_section_before_byline", f"{T_SQ}\n2025-10-17 20:51:01Kuriozitete SHKRUAR NGA ELONA DUKA", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T20:51:01+02:00", published_precision="second", author="Elona Duka",
         section="Kuriozitete", header_language="sq"),
    case("glued_opinione_nga_upper", f"{T_SQ}\n2025-11-03 09:15:22Opinione Nga ARBEN XHAFERI", SQ_BODY,
         title=T_SQ, published_at="2025-11-03T09:15:22+01:00", published_precision="second", author="Arben Xhaferi",
         section="Opinione", section_norm="opinion", header_language="sq"),
    case("glued_no_diacritics_section", f"{T_SQ}\n2025-10-17 20:51:01Pikepamje SHKRUAR NGA ARDIAN ÇELA", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T20:51:01+02:00", published_precision="second", author="Ardian Çela",
         section="Pikepamje", section_norm="opinion", header_language="sq"),
    # ---------------------------------------------------------------- Albanian dates
    case("publikuar_words_time", f"{T_SQ}\n\nPublikuar: 17 tetor 2025, 20:51\nNga: Ardian Çela\nBurimi: Reuters", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T20:51:00+02:00", published_precision="minute", author="Ardian Çela",
         outlet="Reuters", header_language="sq"),
    case("weekday_words_section", f"e premte, 17 tetor 2025, 20:51 | Ekonomi\n\n{T_SQ}", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T20:51:00+02:00", published_precision="minute", section="Ekonomi",
         section_norm="economy", header_language="sq"),
    case("capitalised_month_ora", f"{T_SQ}\n17 Tetor 2025 ora 20:51", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T20:51:00+02:00", published_precision="minute", header_language="sq"),
    case("nentor_without_diacritic", f"{T_SQ}\n17 nentor 2025", SQ_BODY,
         title=T_SQ, published_at="2025-11-17T00:00:00+01:00", published_precision="day", header_language="sq"),
    case("nentor_with_diacritic_upper", f"{T_SQ}\n17 NËNTOR 2025", SQ_BODY,
         title=T_SQ, published_at="2025-11-17T00:00:00+01:00", published_precision="day", header_language="sq"),
    case("abbreviated_month_tet", f"{T_SQ}\n17 tet 2025, 08:05", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T08:05:00+02:00", published_precision="minute", header_language="sq"),
    case("publikuar_me_and_perditesuar", f"{T_SQ}\nPublikuar më 3 mars 2025, 08:05\nPërditësuar: 4 mars 2025, 10:00", SQ_BODY,
         title=T_SQ, published_at="2025-03-03T08:05:00+01:00", published_precision="minute",
         updated_at="2025-03-04T10:00:00+01:00", header_language="sq"),
    case("updated_first_published_wins", f"{T_SQ}\nPerditesuar: 5 qershor 2025 14:30\nPublikuar: 4 qershor 2025 09:00", SQ_BODY,
         title=T_SQ, published_at="2025-06-04T09:00:00+02:00", published_precision="minute",
         updated_at="2025-06-05T14:30:00+02:00", header_language="sq"),
    case("shkurt_lajme", f"{T_SQ}\nLajme\nPublikuar: 2 shkurt 2026, 07:05", SQ_BODY,
         title=T_SQ, published_at="2026-02-02T07:05:00+01:00", published_precision="minute", section="Lajme",
         section_norm="news", header_language="sq"),
    case("dhjetor_weekday_no_comma", f"{T_SQ}\nE diel 21 dhjetor 2025", SQ_BODY,
         title=T_SQ, published_at="2025-12-21T00:00:00+01:00", published_precision="day", header_language="sq"),
    case("month_year_only_labelled", f"{T_SQ}\nPublikuar: tetor 2025", SQ_BODY,
         title=T_SQ, published_at="2025-10-01T00:00:00+02:00", published_precision="month", header_language="sq"),
    case("korrik_gusht_shtator", f"{T_SQ}\nPublikuar: 1 korrik 2025 | Përditësuar: 2 gusht 2025", SQ_BODY,
         title=T_SQ, published_at="2025-07-01T00:00:00+02:00", published_precision="day",
         updated_at="2025-08-02T00:00:00+02:00", header_language="sq"),
    case("janar_prill_maj", f"{T_SQ}\nData: 5 maj 2025\nPërditësuar: 6 maj 2025", SQ_BODY,
         title=T_SQ, published_at="2025-05-05T00:00:00+02:00", published_precision="day",
         updated_at="2025-05-06T00:00:00+02:00", header_language="sq"),
    # ---------------------------------------------------------------- numeric and ISO dates
    case("numeric_dotted_time", f"{T_SQ}\n17.10.2025 20:51", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T20:51:00+02:00", published_precision="minute", header_language="sq"),
    case("numeric_slash_date", f"{T_SQ}\n17/10/2025", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T00:00:00+02:00", published_precision="day", header_language="sq"),
    case("numeric_pipe_time_photo_credit", f"{T_SQ}\n\n17.10.2025 | 20:51\nFoto: LSA", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T20:51:00+02:00", published_precision="minute", header_language="sq"),
    case("iso_t_minute", f"{T_EN}\n2025-10-17T20:51",
         title=T_EN, published_at="2025-10-17T20:51:00+02:00", published_precision="minute", header_language="en"),
    case("iso_zulu", f"{T_EN}\n2025-10-17T18:51:00Z",
         title=T_EN, published_at="2025-10-17T18:51:00+00:00", published_precision="second", header_language="en"),
    case("iso_offset", f"{T_EN}\nPublished: 2025-10-17T20:51:00+03:00",
         title=T_EN, published_at="2025-10-17T20:51:00+03:00", published_precision="second", header_language="en"),
    case("dst_before_switch", f"{T_SQ}\n30.03.2025 01:30", SQ_BODY,
         title=T_SQ, published_at="2025-03-30T01:30:00+01:00", published_precision="minute", header_language="sq"),
    case("dst_after_switch", f"{T_SQ}\n30.03.2025 03:30", SQ_BODY,
         title=T_SQ, published_at="2025-03-30T03:30:00+02:00", published_precision="minute", header_language="sq"),
    case("leading_time_then_date", f"{T_SQ}\n17:30 | 12/10/2025", SQ_BODY,
         title=T_SQ, published_at="2025-10-12T17:30:00+02:00", published_precision="minute", header_language="sq"),
    case("day_first_sq_ambiguous", f"{T_SQ}\nPublikuar: 03/04/2025", SQ_BODY,
         title=T_SQ, published_at="2025-04-03T00:00:00+02:00", published_precision="day", header_language="sq"),
    case("day_first_en_without_us_evidence", f"{T_EN}\nPublished: 03/04/2025",
         title=T_EN, published_at="2025-04-03T00:00:00+02:00", published_precision="day", header_language="en"),
    case("month_first_en_with_ampm", f"{T_EN}\nPublished: 03/04/2025 8:15 PM",
         title=T_EN, published_at="2025-03-04T20:15:00+01:00", published_precision="minute", header_language="en"),
    case("month_first_forced_by_range", f"{T_EN}\nPublished: 04/25/2025",
         title=T_EN, published_at="2025-04-25T00:00:00+02:00", published_precision="day", header_language="en"),
    # ---------------------------------------------------------------- English dates
    case("en_month_first_pm", f"{T_EN}\nBy Jane Doe\nOctober 17, 2025 8:51 PM",
         title=T_EN, published_at="2025-10-17T20:51:00+02:00", published_precision="minute", author="Jane Doe",
         header_language="en"),
    case("en_abbrev_with_dot", f"{T_EN}\nOct. 17, 2025",
         title=T_EN, published_at="2025-10-17T00:00:00+02:00", published_precision="day", header_language="en"),
    case("en_day_month_abbrev", f"{T_EN}\nPublished on 17 Oct 2025",
         title=T_EN, published_at="2025-10-17T00:00:00+02:00", published_precision="day", header_language="en"),
    case("en_updated_only", f"{T_EN}\nUpdated: October 18, 2025 9:00 AM",
         title=T_EN, updated_at="2025-10-18T09:00:00+02:00", header_language="en"),
    case("en_ordinal_at_pm", f"{T_EN}\nPublished: 17th October 2025 at 8:51 pm",
         title=T_EN, published_at="2025-10-17T20:51:00+02:00", published_precision="minute", header_language="en"),
    case("en_weekday_zone_cest", f"{T_EN}\nFriday, 17 October 2025 20:51 CEST",
         title=T_EN, published_at="2025-10-17T20:51:00+02:00", published_precision="minute", header_language="en"),
    case("en_published_and_updated_lines", f"{T_EN}\n\nBy Helen Marsh - Reuters\nPublished October 14, 2025\nUpdated: October 14, 2025 6:40 PM",
         title=T_EN, published_at="2025-10-14T00:00:00+02:00", published_precision="day", updated_at="2025-10-14T18:40:00+02:00",
         author="Helen Marsh", outlet="Reuters", header_language="en"),
    case("date_colon_label", f"{T_EN}\nDate: 2026-02-02",
         title=T_EN, published_at="2026-02-02T00:00:00+01:00", published_precision="day", header_language="en"),
    case("posted_on_by_section", f"Posted on 14 October 2025 by Marta Keller | Middle East\n\n{T_EN}",
         title=T_EN, published_at="2025-10-14T00:00:00+02:00", published_precision="day", author="Marta Keller",
         section="Middle East", section_norm="world", header_language="en"),
    case("date_byline_agency_segments", f"{T_EN}\n17 October 2025 | By Jane Doe | Reuters",
         title=T_EN, published_at="2025-10-17T00:00:00+02:00", published_precision="day", author="Jane Doe",
         outlet="Reuters", header_language="en"),
    case("updated_relative_is_not_a_date", f"{T_EN}\nUpdated 2 hours ago",
         title=T_EN, header_language="en"),
    # ---------------------------------------------------------------- bylines and outlets
    case("written_by_apostrophe_upper", f"{T_EN}\nWritten by JOHN O'BRIEN",
         title=T_EN, author="John O'Brien", header_language="en"),
    case("particle_van_upper", f"{T_EN}\nBy LUDWIG VAN DER BERG",
         title=T_EN, author="Ludwig van der Berg", header_language="en"),
    case("autor_hyphenated_upper", f"{T_SQ}\nAutor: ANNA-MARIA KOÇI", SQ_BODY,
         title=T_SQ, author="Anna-Maria Koçi", header_language="sq"),
    case("two_authors_and", f"{T_EN}\nBy Anna Smith and Mark Jones",
         title=T_EN, author="Anna Smith, Mark Jones", header_language="en"),
    case("two_authors_dhe", f"{T_SQ}\nNga Arben Xhaferi dhe Elona Duka", SQ_BODY,
         title=T_SQ, author="Arben Xhaferi, Elona Duka", header_language="sq"),
    case("agency_is_not_author", f"{T_EN}\nBy Reuters",
         title=T_EN, outlet="Reuters", header_language="en"),
    case("source_label", f"{T_EN}\nSource: AP",
         title=T_EN, outlet="AP", header_language="en"),
    case("author_comma_agency", f"{T_EN}\nBy Jane Doe, Associated Press",
         title=T_EN, author="Jane Doe", outlet="Associated Press", header_language="en"),
    case("author_mixed_case_particles_kept", f"{T_EN}\nAuthor: Carlos de la Vega",
         title=T_EN, author="Carlos de la Vega", header_language="en"),
    case("author_role_description_ignored", f"{T_EN}\nBy Jane Doe, former ambassador",
         title=T_EN, author="Jane Doe", header_language="en"),
    case("shkruar_nga_then_date", f"Analizë\n{T_SQ}\n\nShkruar nga Genc Morina | 9 janar 2026", SQ_BODY,
         title=T_SQ, published_at="2026-01-09T00:00:00+01:00", published_precision="day", author="Genc Morina",
         section="Analizë", section_norm="analysis", header_language="sq"),
    case("unlisted_outlet_after_dash", f"{T_EN}\nBy Jane Doe - Gazeta Tema",
         title=T_EN, author="Jane Doe", outlet="Gazeta Tema", header_language="en"),
    case("section_after_pipe_is_not_outlet", f"{T_EN}\nBy Jane Doe | World",
         title=T_EN, author="Jane Doe", section="World", section_norm="world", header_language="en"),
    case("date_byline_unlisted_outlet_after_pipe", f"{T_EN}\n4 April 2025 | By Olivia Holloway | Gazeta Tema",
         title=T_EN, published_at="2025-04-04T00:00:00+02:00", published_precision="day", author="Olivia Holloway",
         outlet="Gazeta Tema", header_language="en"),
    case("date_then_unknown_segments_kept", f"{T_SQ}\n17.10.2025 | 20:51 | lexuar 2,345 herë", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T20:51:00+02:00", published_precision="minute", header_language="sq"),
    case("staff_desk_is_nobody", f"{T_SQ}\nNga Redaksia\n17 tetor 2025", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T00:00:00+02:00", published_precision="day", header_language="sq"),
    case("source_two_agencies", f"{T_SQ}\nBurimi: Reuters, ATSH", SQ_BODY,
         title=T_SQ, outlet="Reuters, ATSH", header_language="sq"),
    case("nga_title_is_not_a_byline", "Nga Tirana në Prishtinë me tren, pas tridhjetë vjetësh\nPublikuar: 1 maj 2025", SQ_BODY,
         title="Nga Tirana në Prishtinë me tren, pas tridhjetë vjetësh", published_at="2025-05-01T00:00:00+02:00",
         published_precision="day", header_language="sq"),
    case("correspondent_role_words", f"Rajoni\n{T_SQ}\n\nKryeministri në Podgoricë\n\nPodgoricë, 12/12/2025 – Nga korrespondentja jonë Valbona Hysa", SQ_BODY,
         title=T_SQ, caption="Kryeministri në Podgoricë", published_at="2025-12-12T00:00:00+01:00", published_precision="day",
         author="Valbona Hysa", section="Rajoni", section_norm="region", header_language="sq"),
    # ---------------------------------------------------------------- sections, captions, titles
    case("section_line_opinion_numeric", f"Opinion\n{T_EN}\n\n17/10/2025\nWritten by Nora Lindqvist",
         title=T_EN, published_at="2025-10-17T00:00:00+02:00", published_precision="day", author="Nora Lindqvist",
         section="Opinion", section_norm="opinion", header_language="en"),
    case("caption_with_credit_and_dateline", f"World\n{T_EN}\n\nLeaders at the summit venue in The Hague. Photo: AFP\n\nTHE HAGUE, 25 June 2025 - Samuel Price",
         title=T_EN, caption="Leaders at the summit venue in The Hague.", published_at="2025-06-25T00:00:00+02:00",
         published_precision="day", author="Samuel Price", section="World", section_norm="world", header_language="en"),
    case("section_pipe_date_time", f"{T_SQ}\nKulturë | 17.10.2025 | 20:51", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T20:51:00+02:00", published_precision="minute", section="Kulturë",
         section_norm="culture", header_language="sq"),
    case("section_own_line_shendetesi", f"{T_SQ}\nShëndetësi\n17 tetor 2025", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T00:00:00+02:00", published_precision="day", section="Shëndetësi",
         section_norm="health", header_language="sq"),
    case("section_english_politics", f"Politics\n{T_EN}\nBy Jane Doe",
         title=T_EN, author="Jane Doe", section="Politics", section_norm="politics", header_language="en"),
    case("title_video_suffix", "Protesta para Kryeministrisë - Video\nPublikuar: 17 tetor 2025", SQ_BODY,
         title="Protesta para Kryeministrisë", published_at="2025-10-17T00:00:00+02:00", published_precision="day",
         header_language="sq"),
    case("title_pipe_video_upper", "Protesta para Kryeministrisë | VIDEO\n17.10.2025", SQ_BODY,
         title="Protesta para Kryeministrisë", published_at="2025-10-17T00:00:00+02:00", published_precision="day",
         header_language="sq"),  # no label, a short title: the body's stop words tell the language
    case("title_video_prefix", "VIDEO: Floods hit the north of the country\nBy Jane Doe",
         title="Floods hit the north of the country", author="Jane Doe", header_language="en"),
    case("outlet_line", f"{T_SQ}\nEuronews Albania\nPublikuar: 17 tetor 2025", SQ_BODY,
         title=T_SQ, published_at="2025-10-17T00:00:00+02:00", published_precision="day", outlet="Euronews Albania",
         header_language="sq"),
    case("title_only_header", T_EN, title=T_EN, header_language="en"),
    case("title_only_header_sq", T_SQ, SQ_BODY, title=T_SQ, header_language="sq"),
]


@pytest.mark.parametrize(("header", "body", "expected"), CASES)
def test_header_variants(header, body, expected):
    parsed = parse_article(header + "\n\n" + body + "\n")
    assert isinstance(parsed, ParsedArticle)
    for name in FIELDS:
        actual = getattr(parsed, name)
        wanted = expected[name]
        if name in ("published_at", "updated_at") and wanted is not None:
            wanted = datetime.fromisoformat(wanted)
            assert actual is not None and actual.tzinfo is not None, name
            assert actual == wanted and actual.utcoffset() == wanted.utcoffset(), (name, actual, wanted)
        else:
            assert actual == wanted, (name, actual, wanted)
    assert parsed.body == body
    for name in FIELDS:
        if getattr(parsed, name) is not None:
            assert name in parsed.metadata_rules, name


def test_at_least_sixty_header_variants():
    assert len(CASES) >= 60


def test_body_dates_are_not_publication_dates():
    text = (f"{T_EN}\n\n17 October 2025 will be remembered as the night the budget passed, said the speaker, "
            "who thanked the members.\n\nOn 18.10.2025 the president signed it.")
    parsed = parse_article(text)
    assert parsed.published_at is None and parsed.published_precision is None
    assert parsed.body.startswith("17 October 2025 will be remembered")


def test_byline_like_sentence_stays_in_body():
    text = f"{T_EN}\nBy 2030, the government wants every school connected.\n\n{EN_BODY}"
    parsed = parse_article(text)
    assert parsed.author is None and parsed.caption is None
    assert parsed.body.startswith("By 2030, the government")


def test_long_first_paragraph_is_not_a_title():
    paragraph = "Kryeministri tha sot se " + "qeveria do të vazhdojë reformat në drejtësi dhe ekonomi, " * 8
    parsed = parse_article(paragraph.strip() + "\n\n" + SQ_BODY)
    assert parsed.title is None
    assert parsed.body.startswith("Kryeministri tha sot")


def test_empty_text_has_no_fields():
    parsed = parse_article("")
    assert all(getattr(parsed, name) is None for name in FIELDS)
    assert parsed.body == "" and parsed.metadata_rules == {}


@pytest.mark.parametrize("tail", [
    "\n\nVideo",
    "\n\nLexo edhe:\nKallas: Masat do të hiqen hap pas hapi\nVuçiç paralajmëron protesta\nKomento",
    "\n\nRead more\n- IMF sees growth at 1.2% in 2026\nShare this article",
    "\n\nTags: budget, parliament\nShpërndaje",
    "\n\nRelated\nHeadline one about the budget\nHeadline two about taxes\nShare",
    "\n\nLexo më shumë\nShpërndaje",
])
def test_scraped_tail_is_removed(tail):
    parsed = parse_article(f"{T_EN}\n\n{EN_BODY}{tail}")
    assert parsed.body == EN_BODY
    assert parsed.metadata_rules["body"] == "scraped_tail_removed"


def test_inline_read_also_line_is_removed_but_paragraphs_kept():
    body, removed = clean_body("First paragraph.\n\nLexo edhe: Rama takon Kurtin\n\nSecond paragraph about Related topics.")
    assert removed
    assert "Lexo edhe" not in body
    assert body.startswith("First paragraph.") and body.endswith("Second paragraph about Related topics.")


def test_tail_marker_before_long_paragraph_is_kept():
    long_paragraph = "This paragraph keeps going well past the length of a related-headline list item " * 4
    body, removed = clean_body(f"Intro.\nRelated\n{long_paragraph}")
    assert not removed and "Related" in body


LONG_EN_BODY = "\n\n".join([EN_BODY] * 40)


@pytest.mark.parametrize("tail", [
    "", "\n\nVideo", "\n\nRelated\nHeadline one\nHeadline two\nShare", "\n\nKomento" + "\n" * 120,
    "\n\nShare\n" + "Facebook\n\n" * 100, "\n\nLexo edhe\n" + "Titull i shkurtër\n" * 30 + "Shpërndaje",
])
def test_tail_only_cleaning_equals_reading_every_line(tail):
    # inline_links=False reads only the last lines; it must agree with the full pass (None).
    for body in (f"{EN_BODY}{tail}", f"{LONG_EN_BODY}{tail}", tail, f"Video{tail}"):
        assert clean_body(body, inline_links=False) == clean_body(body, inline_links=None)


def test_may_hold_inline_links_flags_only_candidate_texts():
    texts = pl.Series([
        f"{EN_BODY}\nLexo edhe: Rama takon Kurtin\n{EN_BODY}",
        f"{EN_BODY}\n  READ ALSO » Markets rally\n",
        EN_BODY,
        "Të lexosh edhe: kjo nuk është lidhje\n" + SQ_BODY,
        None,
    ])
    assert may_hold_inline_links(texts).to_list() == [True, True, False, False, False]


def test_parse_articles_removes_inline_links_like_parse_article():
    text = f"{T_EN}\n\n{EN_BODY}\n\nRead also: Markets rally\n\n{EN_BODY}\n\nShare"
    row = parse_articles(pl.DataFrame({"source_path": ["a.txt"], "text": [text]})).row(0, named=True)
    assert row["body"] == parse_article(text).body == f"{EN_BODY}\n\n\n{EN_BODY}"


@pytest.mark.parametrize(("text", "folded"), [
    ("Përditësuar", "perditesuar"), ("PËRDITËSUAR", "perditesuar"), ("ÇELA", "cela"),
    ("O’Brien", "o'brien"), ("plain ascii", "plain ascii"), ("İstanbul", "i̇stanbul"),
])
def test_fold_text(text, folded):
    assert fold_text(text) == folded


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("Title - Video", "Title"), ("Title | VIDEO", "Title"), ("Title (FOTO)", "Title"),
    ("VIDEO/ Title", "Title"), ("Video", "Video"), ("Videos of the floods go viral", "Videos of the floods go viral"),
])
def test_clean_title(raw, cleaned):
    assert clean_title(raw) == cleaned


@pytest.mark.parametrize(("raw", "proper"), [
    ("ETTORE SEQUI", "Ettore Sequi"), ("ARDIAN ÇELA", "Ardian Çela"), ("JOHN O'BRIEN", "John O'Brien"),
    ("JEAN-PAUL DE LA TOUR", "Jean-Paul de la Tour"), ("DI MARIA", "Di Maria"), ("PAUL MCCARTNEY", "Paul McCartney"),
    ("Carlos de la Vega", "Carlos de la Vega"),
])
def test_proper_case_name(raw, proper):
    assert proper_case_name(raw) == proper


def test_default_timezone_is_configurable():
    parsed = parse_article(f"{T_EN}\n2025-01-15 12:00\n\n{EN_BODY}", default_timezone="America/New_York")
    assert parsed.published_at.utcoffset().total_seconds() == -5 * 3600


def test_parse_articles_frame_columns_and_types():
    frame = pl.DataFrame({
        "source_path": ["a.txt", "b.txt", "c.txt"],
        "text": [
            f"{T_SQ}\n\n2025-10-17 20:51:01Politikë SHKRUAR NGA ARBEN XHAFERI\n\n{SQ_BODY}\n\nVideo",
            f"{T_EN}\nBy Jane Doe - Reuters\nPublished: 17 October 2025\n\n{EN_BODY}",
            "",
        ],
    })
    result = parse_articles(frame)
    assert result.columns[:2] == ["source_path", "text"]
    assert result.schema["published_at"] == pl.Datetime("us", "UTC")
    assert result.schema["updated_at"] == pl.Datetime("us", "UTC")
    first, second, third = result.rows(named=True)
    assert first["published_at"].isoformat() == "2025-10-17T18:51:01+00:00"
    assert first["body_language"] == "sq" and second["body_language"] == "en" and third["body_language"] is None
    assert first["body"] == SQ_BODY and first["section_norm"] == "politics"
    assert json.loads(first["metadata_rules"])["author"] == "byline_shkruar_nga_upper"
    assert second["published_at"].isoformat() == "2025-10-16T22:00:00+00:00"
    assert second["outlet"] == "Reuters" and second["published_precision"] == "day"
    assert json.loads(third["metadata_rules"]) == {}


def test_benchmark_reports_cpu_per_ten_thousand():
    numbers = benchmark_parse(30)
    assert numbers["articles"] == 30
    assert numbers["cpu_s_per_10k_parse_article"] >= 0


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

HEADER_PIECES = st.sampled_from([
    "2025-10-17 20:51:01", "Pikëpamje", " SHKRUAR NGA ", "ETTORE SEQUI", "By ", "Jane Doe", " - ", " | ",
    "Publikuar: ", "17 tetor 2025", "31.02.2025", "25:99", "Updated: ", "Oct. 17, 2025", "8:51 PM", "\n",
    "Foto: ", "Video", "Lexo edhe", " date ", "Reuters", "and", "dhe", "99/99/2025", "Z", "+14:00", "ë", "",
    "+99", "UTC+24", "+2400", "GMT-13:00", " 2 orë më parë", "dje, 14:30", "para 3 orësh", "yesterday", "LONDON ",
    "(Reuters) - ", "Oct 17 ", "AL-AIN , United Arab Emirates ", "Nga: ", "Arsim", "Futboll", " > ", "…", "?",
])
PRECISIONS = (None, "second", "minute", "day", "month", "relative_second", "relative_minute", "relative_hour",
              "relative_day")


@settings(max_examples=300, deadline=None)
@given(st.lists(HEADER_PIECES, max_size=25), st.text(max_size=80), st.booleans())
def test_parser_never_raises_and_keeps_fields_typed(pieces, noise, with_crawl_time):
    crawled_at = datetime.fromisoformat("2026-01-09T11:30:00+00:00") if with_crawl_time else None
    parsed = parse_article("".join(pieces) + noise + "\n\n" + EN_BODY, crawled_at=crawled_at)
    assert isinstance(parsed.body, str)
    for name in ("published_at", "updated_at"):
        moment = getattr(parsed, name)
        assert moment is None or moment.tzinfo is not None
    assert (parsed.published_at is None) == (parsed.published_precision is None)
    assert parsed.published_precision in PRECISIONS
    assert parsed.authors == (tuple(parsed.author.split(", ")) if parsed.author else ())


@pytest.mark.parametrize("zone", ["+99", "UTC+24", "+2400", "-1300", "GMT+15", "+12:75", "+123"])
def test_out_of_range_offsets_are_rejected_not_raised(zone):
    """A zone no clock uses makes the date not-a-time with the rule recorded; the batch goes on."""
    texts = [f"{T_EN}\nPublished: 2025-10-17 20:51 {zone}\n\n{EN_BODY}", f"{T_EN}\n17 October 2025\n\n{EN_BODY}"]
    frame = parse_articles(pl.DataFrame({"source_path": ["bad.txt", "good.txt"], "text": texts}))
    bad, good = frame.rows(named=True)
    assert bad["published_at"] is None and "zone_out_of_range" in json.loads(bad["metadata_rules"])["date_rejected"]
    assert good["published_at"].isoformat() == "2025-10-16T22:00:00+00:00"


def test_parse_articles_resolves_relative_stamps_against_mtime_and_fills_new_columns():
    crawl = datetime.fromisoformat("2026-01-09T11:30:00+00:00")
    texts = [f"{T_SQ}\n2 orë më parë\nNga: Arsim dhe Blerta\n\n{SQ_BODY}",
             f"{T_EN}\nLONDON 1996-08-30\n\n{EN_BODY}", f"{T_SQ}\n2 orë më parë\n\n{SQ_BODY}"]
    mtime_ns = [int(crawl.timestamp() * 1e9), None, None]
    frame = parse_articles(pl.DataFrame({"source_path": ["a", "b", "c"], "text": texts, "mtime_ns": mtime_ns}))
    assert frame.schema["authors"] == pl.List(pl.String)
    first, second, third = frame.rows(named=True)
    assert first["published_at"].isoformat() == "2026-01-09T09:30:00+00:00"
    assert first["published_precision"] == "relative_hour"
    assert first["author"] == "Arsim, Blerta" and first["authors"] == ["Arsim", "Blerta"]
    assert second["dateline_place"] == "LONDON" and second["authors"] is None
    assert second["published_at"].isoformat() == "1996-08-29T22:00:00+00:00"
    # Without a crawl time a relative stamp gives no date, and says why.
    assert third["published_at"] is None
    assert json.loads(third["metadata_rules"])["date_rejected"].endswith("relative_without_crawl_time")
    with_column = parse_articles(pl.DataFrame({"source_path": ["c"], "text": [texts[2]],
                                               "crawled_at": [crawl]}))
    assert with_column["published_at"][0].isoformat() == "2026-01-09T09:30:00+00:00"


@pytest.mark.parametrize("title", [
    "Why St. Vincent cannot afford another year of drift",
    "U.S. and EU agree on steel quotas",
    "Dr. Berisha kthehet në Kuvend pas dy vitesh",
])
def test_abbreviation_with_dot_does_not_unmake_a_title(title):
    parsed = parse_article(f"{title}\n14.06.2024 10:25\n\n{EN_BODY}")
    assert parsed.title == title and parsed.caption is None
    assert parsed.published_at == datetime.fromisoformat("2024-06-14T10:25:00+02:00")


@pytest.mark.parametrize("place", ["THE HAGUE", "N'DJAMENA", "ST. VINCENT AND GRENADINES", "Podgoricë", "New York"])
def test_dateline_places_before_a_date(place):
    parsed = parse_article(f"{T_EN}\n\n{place}, 10 April 2025 - Nora Moretti\n\n{EN_BODY}")
    assert parsed.published_at == datetime.fromisoformat("2025-04-10T00:00:00+02:00")
    assert parsed.author == "Nora Moretti" and parsed.body == EN_BODY


def test_parse_articles_in_two_processes_equals_one():
    texts = [
        f"{T_SQ}\n\n2025-10-17 20:51:01Politikë SHKRUAR NGA ARBEN XHAFERI\n\n{SQ_BODY}\n\nVideo",
        f"{T_EN}\nBy Jane Doe - Reuters\nPublished: 17 October 2025\n\n{EN_BODY}\n\nRead also: More\n\n{EN_BODY}",
        None,
        f"{T_EN}\n17.10.2025 20:51\n\n{EN_BODY}",
        f"e premte, 17 tetor 2025, 20:51 | Ekonomi\n\n{T_SQ}\n\n{SQ_BODY}\n\nLexo edhe\nTitull\nShpërndaje",
    ]
    frame = pl.DataFrame({"source_path": [f"{index}.txt" for index in range(len(texts))], "text": texts})
    one = parse_articles(frame, workers=1)
    two = parse_articles(frame, workers=2)
    assert one.equals(two)
    assert two["source_path"].to_list() == frame["source_path"].to_list()
    assert two["published_at"].null_count() == 1 and two["author"][0] == "Arben Xhaferi"


def test_parse_workers_environment_variable(monkeypatch):
    from pipelines.lib import metadata

    monkeypatch.setenv(metadata.WORKERS_ENVIRONMENT_VARIABLE, "2")
    assert metadata.default_workers() == 2
    monkeypatch.setenv(metadata.WORKERS_ENVIRONMENT_VARIABLE, "not a number")
    assert metadata.default_workers() == 1  # one process unless asked for more
    monkeypatch.delenv(metadata.WORKERS_ENVIRONMENT_VARIABLE)
    assert metadata.default_workers() == 1
    assert metadata.split_evenly(list(range(5)), 2) == [[0, 1, 2], [3, 4]]
    assert metadata.split_evenly([], 2) == [[]]


@pytest.mark.parametrize(("stamp", "expected"), [
    ("dje, 23:59", "2026-01-08T23:59:00+01:00"), ("dje në orën 07:05", "2026-01-08T07:05:00+01:00"),
    ("Yesterday at 11:15 AM", "2026-01-08T11:15:00+01:00"), ("sot, 00:10", "2026-01-09T00:10:00+01:00"),
    ("Today 12:00:30", "2026-01-09T12:00:30+01:00"),
])
def test_day_word_with_clock_is_resolved_against_the_crawl_day(stamp, expected):
    parsed = parse_article(f"{T_SQ}\n{stamp}\n\n{SQ_BODY}", crawled_at=datetime.fromisoformat("2026-01-09T11:30:00+00:00"))
    assert parsed.published_at == datetime.fromisoformat(expected)
    assert parsed.published_precision.startswith("relative_")
