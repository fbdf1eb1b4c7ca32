"""Tests for pipelines.lib.sentences: boundaries, abbreviations, paragraphs and character offsets."""

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.lib.sentences import SENTENCE_SCHEMA, assign_sentences, load_abbreviations, split_sentences


def sentences_of(text: str, field: str = "body") -> list[str]:
    frame = split_sentences(pl.DataFrame({"article_id": ["a1"], "field": [field], "text": [text]}))
    return [text[start:end] for start, end in zip(frame["char_start"], frame["char_end"])]


def paragraphs_of(text: str) -> list[list[str]]:
    frame = split_sentences(pl.DataFrame({"article_id": ["a1"], "field": ["body"], "text": [text]}))
    grouped: dict[int, list[str]] = {}
    for paragraph, start, end in frame.select("paragraph_index", "char_start", "char_end").rows():
        grouped.setdefault(paragraph, []).append(text[start:end])
    return [grouped[index] for index in sorted(grouped)]


def test_english_titles_and_abbreviations_do_not_end_sentences():
    text = "Mr. Smith met Dr. Jones and Prof. Rossi on Jan. 5 in St. Louis. They agreed on a plan."
    assert sentences_of(text) == ["Mr. Smith met Dr. Jones and Prof. Rossi on Jan. 5 in St. Louis.", "They agreed on a plan."]


def test_latin_phrases_and_versus_stay_inside_the_sentence():
    text = "Some allies, e.g. Poland, paid more, i.e. 4% of output. The case Trump vs. Harris ended. Done."
    assert sentences_of(text) == [
        "Some allies, e.g. Poland, paid more, i.e. 4% of output.",
        "The case Trump vs. Harris ended.",
        "Done.",
    ]


def test_case_sensitive_abbreviation_does_not_swallow_an_ordinary_word():
    assert sentences_of("Resolution No. 12 passed. He said no. Then he left.") == [
        "Resolution No. 12 passed.",
        "He said no.",
        "Then he left.",
    ]


def test_dotted_country_abbreviation_and_initials():
    text = "J. D. Vance visited the U.S. Senate with George W. Bush. Reporters waited."
    assert sentences_of(text) == ["J. D. Vance visited the U.S. Senate with George W. Bush.", "Reporters waited."]


def test_albanian_abbreviations():
    text = (
        "Kryeministri z. Rama dhe zj. Hoxha folën p.sh. për ligjin nr. 45. "
        "Çmimet u rritën në Tiranë, Durrës etj. Qytetarët protestuan. Dr. Berisha nuk foli."
    )
    assert sentences_of(text) == [
        "Kryeministri z. Rama dhe zj. Hoxha folën p.sh. për ligjin nr. 45.",
        "Çmimet u rritën në Tiranë, Durrës etj.",
        "Qytetarët protestuan.",
        "Dr. Berisha nuk foli.",
    ]


def test_decimals_and_thousands_do_not_split():
    text = "Growth was 0.8 percent. Output reached 1.200 tonnes, or 3,5 për qind. Next year 2.1 is expected."
    assert sentences_of(text) == [
        "Growth was 0.8 percent.",
        "Output reached 1.200 tonnes, or 3,5 për qind.",
        "Next year 2.1 is expected.",
    ]


def test_closing_quotes_belong_to_the_sentence_they_close():
    text = (
        "Ai tha: „Nuk do të heqim dorë!“ Pastaj u largua. "
        "Ministri pyeti «A ka zgjidhje?» Askush nuk u përgjigj. "
        "He said “we are ready.” Then silence. “Why?” she asked."
    )
    assert sentences_of(text) == [
        "Ai tha: „Nuk do të heqim dorë!“",
        "Pastaj u largua.",
        "Ministri pyeti «A ka zgjidhje?»",
        "Askush nuk u përgjigj.",
        "He said “we are ready.”",
        "Then silence.",
        "“Why?” she asked.",
    ]


def test_question_exclamation_and_ellipsis():
    text = "A do të ketë marrëveshje? Askush nuk e di! Ndoshta… ose jo. Pritja vazhdon… Fund."
    assert sentences_of(text) == [
        "A do të ketë marrëveshje?",
        "Askush nuk e di!",
        "Ndoshta… ose jo.",
        "Pritja vazhdon…",
        "Fund.",
    ]


def test_lower_case_after_a_full_stop_continues_the_sentence():
    assert sentences_of("The firm (Acme Inc. in Ohio) grew. Sales rose.") == [
        "The firm (Acme Inc. in Ohio) grew.",
        "Sales rose.",
    ]


def test_paragraphs_split_on_blank_lines_even_with_spaces():
    text = "Paragrafi i parë. Fjalia e dytë.\n\nParagrafi i dytë.\n   \n\t\nParagrafi i tretë."
    assert paragraphs_of(text) == [
        ["Paragrafi i parë.", "Fjalia e dytë."],
        ["Paragrafi i dytë."],
        ["Paragrafi i tretë."],
    ]


def test_single_newline_ends_a_header_line_but_not_wrapped_prose():
    text = "Titulli i artikullit\nBy Jane Doe - Reuters\n\nThe minister said the\nplan was ready. It was."
    assert paragraphs_of(text) == [
        ["Titulli i artikullit", "By Jane Doe - Reuters"],
        ["The minister said the\nplan was ready.", "It was."],
    ]


def test_offsets_are_characters_not_bytes_in_non_ascii_text():
    text = "  Çështja „ëëë“ është e vështirë. Ëndrra çmohet shumë.  "
    frame = split_sentences(pl.DataFrame({"article_id": ["x"], "field": ["body"], "text": [text]}))
    assert frame.select("char_start", "char_end").rows() == [(2, 33), (34, 54)]
    assert text[2:33] == "Çështja „ëëë“ është e vështirë."
    assert text[34:54] == "Ëndrra çmohet shumë."


def test_indices_restart_per_article_and_field_and_keep_the_schema():
    texts = pl.DataFrame({
        "article_id": ["a", "a", "b"],
        "field": ["title", "body", "body"],
        "text": ["Titulli", "Një. Dy.\n\nTre.", "One. Two."],
    })
    frame = split_sentences(texts)
    assert frame.schema == pl.Schema(SENTENCE_SCHEMA)
    assert frame.select("article_id", "field", "paragraph_index", "sentence_index").rows() == [
        ("a", "title", 0, 0),
        ("a", "body", 0, 0),
        ("a", "body", 0, 1),
        ("a", "body", 1, 2),
        ("b", "body", 0, 0),
        ("b", "body", 0, 1),
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n", None])
def test_empty_texts_give_no_sentences(text):
    frame = split_sentences(pl.DataFrame({"article_id": ["a"], "field": ["body"], "text": [text]}, schema={"article_id": pl.String, "field": pl.String, "text": pl.String}))
    assert frame.height == 0
    assert frame.schema == pl.Schema(SENTENCE_SCHEMA)


def test_text_without_final_punctuation_is_one_sentence():
    assert sentences_of("Kurti dhe Vuçiç në Bruksel", field="title") == ["Kurti dhe Vuçiç në Bruksel"]


def test_five_megabyte_single_line_text_is_split_completely():
    sentence = "Ministri z. Rama tha se rritja ishte 3.5 për qind në vitin 2025. "
    repeats = 5_000_000 // len(sentence.encode()) + 1
    text = sentence * repeats
    frame = split_sentences(pl.DataFrame({"article_id": ["big"], "field": ["body"], "text": [text]}))
    assert frame.height == repeats
    assert frame["sentence_index"].to_list()[-1] == repeats - 1
    assert frame["char_end"].to_list()[-1] == len(text.rstrip())


def test_abbreviation_list_is_reference_data():
    exact, any_case = load_abbreviations()
    assert {"No.", "U.S.", "z.", "Jan."} <= exact
    assert {"mr.", "dr.", "p.sh.", "e.g."} <= any_case


ALPHABET = st.sampled_from(list("abcëç ABCËÇ12.,!?…„“”«»\"'()\n\t") + ["Mr.", "z.", "p.sh.", "0.8", "\n\n", " J. "])


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_sentences_are_trimmed_ordered_disjoint_and_cover_every_word(text):
    frame = split_sentences(pl.DataFrame({"article_id": ["p"], "field": ["body"], "text": [text]}))
    covered = [False] * len(text)
    previous_end = 0
    for sentence_index, (paragraph_index, start, end) in enumerate(frame.select("paragraph_index", "char_start", "char_end").rows()):
        sentence = text[start:end]
        assert sentence and sentence == sentence.strip()
        assert start >= previous_end
        previous_end = end
        for position in range(start, end):
            covered[position] = True
    assert frame["sentence_index"].to_list() == list(range(frame.height))
    paragraphs = frame["paragraph_index"].to_list()
    assert paragraphs == sorted(paragraphs) and (not paragraphs or paragraphs[0] == 0)
    assert all(later - earlier in (0, 1) for earlier, later in zip(paragraphs, paragraphs[1:]))
    assert all(covered[position] or character.isspace() for position, character in enumerate(text))


def test_assign_sentences_finds_the_sentence_of_each_span_and_keeps_row_order():
    text = "Rama foli. Kurti heshti.\n\nVuçiç u largua."
    sentences = split_sentences(pl.DataFrame({"article_id": ["a", "a"], "field": ["body", "title"], "text": [text, "Titulli"]}))
    spans = pl.DataFrame({
        "article_id": ["a", "a", "a", "a", "a"],
        "field": ["body", "body", "body", "title", "body"],
        "char_start": [26, 0, 11, 0, 10],
        "surface": ["Vuçiç", "Rama", "Kurti", "Titulli", " "],
    })
    assigned = assign_sentences(spans, sentences)
    assert assigned.select("surface", "sentence_index", "paragraph_index").rows() == [
        ("Vuçiç", 2, 1),
        ("Rama", 0, 0),
        ("Kurti", 1, 0),
        ("Titulli", 0, 0),
        (" ", 0, 0),  # whitespace between two sentences belongs to the earlier one
    ]
    assert assigned.columns == ["article_id", "field", "char_start", "surface", "sentence_index", "paragraph_index"]
