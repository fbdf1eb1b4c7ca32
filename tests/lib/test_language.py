"""Tests for pipelines.lib.language: body language (stop words, langdetect fallback) and header language.
Snippets are short texts written for these tests (tests/fixtures/language/snippets.tsv)."""

from pathlib import Path

import polars as pl
import pytest

from pipelines.lib.language import (
    detect_header_language,
    detect_language,
    detect_language_langdetect_only,
    stopword_scores,
)

SNIPPETS = Path(__file__).resolve().parent.parent / "fixtures" / "language" / "snippets.tsv"


def load_snippets() -> pl.DataFrame:
    rows = [line.split("\t", 1) for line in SNIPPETS.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return pl.DataFrame({"language": [row[0] for row in rows], "text": [row[1] for row in rows]})


def test_every_english_and_albanian_snippet_is_detected():
    snippets = load_snippets().filter(pl.col("language").is_in(["en", "sq"]))
    assert snippets.height >= 50
    detected = detect_language(snippets["text"])
    wrong = snippets.with_columns(detected.alias("detected")).filter(pl.col("detected") != pl.col("language"))
    assert wrong.height == 0, wrong.to_dicts()


def test_stop_words_never_contradict_the_true_language():
    snippets = load_snippets()
    verdicts = snippets.with_columns(stopword_scores(snippets["text"])["stopword_language"].alias("verdict"))
    decided = verdicts.filter(pl.col("verdict").is_not_null())
    assert decided.height >= 40  # the cheap path settles most en/sq snippets
    assert decided.filter(pl.col("verdict") != pl.col("language")).height == 0


@pytest.mark.parametrize(("language", "text"), [
    ("it", "Il presidente del Consiglio ha detto che il governo aumenterà gli stipendi degli insegnanti a partire da gennaio."),
    ("de", "Die Regierung hat am Montag angekündigt, dass die Gehälter der Lehrer ab Januar erhöht werden sollen."),
])
def test_other_languages_fall_back_to_langdetect(language, text):
    assert stopword_scores(pl.Series([text]))["stopword_language"][0] is None
    assert detect_language(pl.Series([text]))[0] == language


def test_null_and_blank_texts_have_no_language():
    result = detect_language(pl.Series("body", [None, "", "   ", "12 345 67"], dtype=pl.String))
    assert result.to_list() == [None, None, None, None]
    assert result.dtype == pl.String


def test_only_the_sample_is_read():
    albanian_start = "Qeveria tha se do të ketë ndryshime në buxhet për vitin që vjen. " * 3
    english_rest = "The government said there will be changes to the budget next year. " * 50
    assert detect_language(pl.Series([albanian_start + english_rest]), sample_chars=150)[0] == "sq"
    assert detect_language(pl.Series([albanian_start + english_rest]), sample_chars=4000)[0] == "en"


def test_langdetect_only_path_is_seeded_and_repeatable():
    texts = load_snippets()["text"].head(6)
    assert detect_language_langdetect_only(texts).to_list() == detect_language_langdetect_only(texts).to_list()


@pytest.mark.parametrize(("header", "expected"), [
    ("2025-10-17 20:51:01Pikëpamje SHKRUAR NGA ETTORE SEQUI\nBy Ettore Sequi - La Stampa", "mixed"),
    ("Publikuar: 17 tetor 2025, 20:51\nNga: Ardian Çela", "sq"),
    ("PERDITESUAR: 5 QERSHOR 2025", "sq"),
    ("Published October 14, 2025\nBy Helen Marsh - Reuters", "en"),
    ("Updated: Friday, 17 Oct 2025", "en"),
    ("17.10.2025 20:51", None),
    ("", None),
    ("Kuvendi miraton buxhetin e ri pas një nate të gjatë", "sq"),
    ("Parliament approves the new budget after a long night", "en"),
])
def test_detect_header_language(header, expected):
    assert detect_header_language(header) == expected


@pytest.mark.parametrize("header", [
    "SHKRUAR NGA ARDIAN ÇELA | Opinione", "Written by Jane Doe", "e hënë, 17 tetor 2025", "Op-Ed | Middle East",
    "Publikuar më 3 mars 2025 | Updated on 4 March", "nga bota", "Lindja e Mesme", "2025-10-17 Video", "",
])
def test_header_evidence_word_lookup_equals_regex_scan(header):
    from pipelines.lib.language import _header_vocabulary_pattern, header_language_evidence
    from pipelines.lib.metadata import fold_text

    pattern, vocabulary = _header_vocabulary_pattern()
    assert header_language_evidence(header) == {vocabulary[m.group(1)] for m in pattern.finditer(fold_text(header))}
