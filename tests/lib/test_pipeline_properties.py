"""Property tests over the whole text path: decode → parse_article → extract_articles never raise, offsets stay valid.

Arbitrary bytes and text, and text built from header and name pieces in both languages, so the rules actually fire."""

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.lib.decode import QuarantineError, decode_bytes
from pipelines.lib.extract import extract_articles
from pipelines.lib.gazetteer import load_gazetteer
from pipelines.lib.metadata import parse_article

EXAMPLES = 200
PROPERTY_SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Pieces that make the header parser, the entity matcher and the figure reader do real work.
PIECES = [
    "2025-10-17 20:51:01", "Pikëpamje", "SHKRUAR NGA", "By", "- La Stampa", "Publikuar:", "17 tetor 2025, 20:51",
    "date 2026-02-02", "Video", "Updated", "Tiranë", "Tirana", "Kosovës", "Kosova", "NATO", "BE", "Bashkimi Evropian",
    "Rusia", "Ukrainë", "Edi Rama", "Albin Kurti", "Çela", "Ëndrra", "Washington", "Brussels", "Serbia", "Beogradi",
    "5%", "3,5 për qind", "€2.4 billion", "1.200 euro", "2 milionë", "12 km", "40 barrels a day", "gjysma", "1/3",
    "rreth 300", "over 10,000 troops", "2024", "janar", "March 3", "Mr.", "Dr.", "z.", "U.S.", ".", ",", ";", ":", "!",
    "?", "“", "”", "„", "«", "»", "—", "-", "(", ")", "'", "\"", "\n", "\n\n", "\t", " ", "  ", "ë", "ç", "Ë", "Ç",
    "\u200b", "\u00a0", "🙂", "İ", "ß", "ﬁ", "Σ", "中文",
]
ALBANIAN_ALPHABET = "abcçdeëfghijklmnopqrstuvxyzABCÇDEËFGHIJKLMNOPQRSTUVXYZ0123456789 .,;:!?%€$-–—'\"“”„\n\t"

pieced_text = st.lists(st.sampled_from(PIECES) | st.text(ALBANIAN_ALPHABET, max_size=12), max_size=80).map(
    lambda parts: " ".join(parts))
any_text = st.text(max_size=400)
body_language = st.sampled_from(["en", "sq", None])


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def field_texts(title: str | None, body: str) -> dict[str, str]:
    return {"title": title or "", "body": body or ""}


def assert_offsets_valid(frame: pl.DataFrame, texts: dict[str, str], *, check_surface: bool) -> None:
    for row in frame.iter_rows(named=True):
        text = texts[row["field"]]
        assert 0 <= row["char_start"] < row["char_end"] <= len(text), (row, len(text))
        if check_surface:
            assert text[row["char_start"]:row["char_end"]] == row["surface"], row


def run_text_path(text: str, language: str | None, gazetteer) -> None:
    parsed = parse_article(text)
    articles = pl.DataFrame({"article_id": ["a1"], "title": [parsed.title], "body": [parsed.body],
                             "body_language": [language]},
                            schema={"article_id": pl.String, "title": pl.String, "body": pl.String,
                                    "body_language": pl.String})
    extraction = extract_articles(articles, gazetteer)
    texts = field_texts(parsed.title, parsed.body)
    assert_offsets_valid(extraction.sentences, texts, check_surface=False)
    assert_offsets_valid(extraction.mentions, texts, check_surface=True)
    assert_offsets_valid(extraction.figures, texts, check_surface=True)


@PROPERTY_SETTINGS
@given(raw=st.binary(max_size=600), language=body_language)
def test_arbitrary_bytes_are_refused_or_flow_through_with_valid_offsets(raw, language, gazetteer):
    try:
        decoded = decode_bytes(raw)
    except QuarantineError as error:
        assert str(error)
        return
    assert "\ufffd" not in decoded.text and "\r" not in decoded.text
    run_text_path(decoded.text, language, gazetteer)


@PROPERTY_SETTINGS
@given(text=any_text, language=body_language)
def test_arbitrary_text_flows_through_with_valid_offsets(text, language, gazetteer):
    run_text_path(text, language, gazetteer)


@PROPERTY_SETTINGS
@given(text=pieced_text, language=body_language)
def test_header_and_name_pieces_flow_through_with_valid_offsets(text, language, gazetteer):
    run_text_path(text, language, gazetteer)


@PROPERTY_SETTINGS
@given(text=pieced_text, encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1250", "cp1252", "iso8859-2"]),
       language=body_language)
def test_encoded_articles_decode_and_flow_through(text, encoding, language, gazetteer):
    raw = ("Titulli i lajmit\n2025-10-17 20:51\n\n" + text + " Qeveria miratoi buxhetin sot.").encode(
        encoding, errors="ignore")
    try:
        decoded = decode_bytes(raw)
    except QuarantineError as error:
        assert str(error)
        return
    run_text_path(decoded.text, language, gazetteer)
