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


# Glued boundaries: (text, sentences). A lower-case word, terminators and a capital with no space
# between them are a sentence boundary (a scraper lost the space or the paragraph break), except in
# abbreviations, initials, decimals, URLs, e-mail addresses and domain names.
GLUED_CASES = [
    # Albanian: lost paragraph breaks
    ("Ai publikoi një studim.Këto të dhëna janë të reja.", ["Ai publikoi një studim.", "Këto të dhëna janë të reja."]),
    ("Qeveria miratoi buxhetin.Opozita e kundërshtoi.", ["Qeveria miratoi buxhetin.", "Opozita e kundërshtoi."]),
    ("Protesta vazhdoi deri vonë.Çmimet janë rritur.", ["Protesta vazhdoi deri vonë.", "Çmimet janë rritur."]),
    ("Kjo është e vështirë.Ëndrra mbetet.", ["Kjo është e vështirë.", "Ëndrra mbetet."]),
    ("Situata është e rëndë në Vlorë.Ministri vizitoi qytetin.", ["Situata është e rëndë në Vlorë.", "Ministri vizitoi qytetin."]),
    ("Zgjedhjet mbahen në pranverë.BE e mirëpriti vendimin.", ["Zgjedhjet mbahen në pranverë.", "BE e mirëpriti vendimin."]),
    ("Delegacioni u nis drejt SHBA-ve.NATO nuk komentoi.", ["Delegacioni u nis drejt SHBA-ve.", "NATO nuk komentoi."]),
    ("Ai mbërriti në Prishtinë.E hëna është festë.", ["Ai mbërriti në Prishtinë.", "E hëna është festë."]),
    ("Sipas INSTAT, rritja u ngadalësua.Eksportet ranë.", ["Sipas INSTAT, rritja u ngadalësua.", "Eksportet ranë."]),
    ("Ministri i tha 35-vjeçarit.Ai nuk u përgjigj.", ["Ministri i tha 35-vjeçarit.", "Ai nuk u përgjigj."]),
    ("Nuk ka zgjidhje pa dialog.Dialogu duhet të vazhdojë.\n\nParagrafi tjetër.", ["Nuk ka zgjidhje pa dialog.", "Dialogu duhet të vazhdojë.", "Paragrafi tjetër."]),
    ("Mbledhja s'ka.Asgjë nuk ndryshoi.", ["Mbledhja s'ka.", "Asgjë nuk ndryshoi."]),
    # English
    ("The minister resigned.The party chose a successor.", ["The minister resigned.", "The party chose a successor."]),
    ("Talks ended without a deal.Negotiators will meet again.", ["Talks ended without a deal.", "Negotiators will meet again."]),
    ("He denied the charges.A court will rule in May.", ["He denied the charges.", "A court will rule in May."]),
    ("Prices rose again.I think it will continue, she said.", ["Prices rose again.", "I think it will continue, she said."]),
    ("The vote was delayed.UN officials were not surprised.", ["The vote was delayed.", "UN officials were not surprised."]),
    ("It was the third attack on NATO-led forces.Officials said.", ["It was the third attack on NATO-led forces.", "Officials said."]),
    # question marks, exclamation marks, ellipses, several terminators
    ("A do të ketë marrëveshje?Askush nuk e di.", ["A do të ketë marrëveshje?", "Askush nuk e di."]),
    ("Mjaft më!Qytetarët dolën në rrugë.", ["Mjaft më!", "Qytetarët dolën në rrugë."]),
    ("Will the truce hold?Nobody knows.", ["Will the truce hold?", "Nobody knows."]),
    ("Enough is enough!The crowd shouted.", ["Enough is enough!", "The crowd shouted."]),
    ("Pritja vazhdon…Pastaj erdhi lajmi.", ["Pritja vazhdon…", "Pastaj erdhi lajmi."]),
    ("Pritja vazhdon...Pastaj erdhi lajmi.", ["Pritja vazhdon...", "Pastaj erdhi lajmi."]),
    ("Vërtet?!Po, vërtet.", ["Vërtet?!", "Po, vërtet."]),
    # closing quotes and brackets after the terminator stay with the sentence they close
    ("Ai tha: „Nuk do të heqim dorë!“Pastaj u largua.", ["Ai tha: „Nuk do të heqim dorë!“", "Pastaj u largua."]),
    ("He said “we are ready.”Then he left.", ["He said “we are ready.”", "Then he left."]),
    ("Ministri pyeti «A ka zgjidhje?»Askush nuk foli.", ["Ministri pyeti «A ka zgjidhje?»", "Askush nuk foli."]),
    ('She said "no."The room went quiet.', ['She said "no."', "The room went quiet."]),
    ("Vendimi u mor (me shumicë.)Opozita u largua.", ["Vendimi u mor (me shumicë.)", "Opozita u largua."]),
    ("Ai e quajti „tradhti“.Pastaj u largua.", ["Ai e quajti „tradhti“.", "Pastaj u largua."]),
    # an opening quote or bracket after the terminator starts the next sentence
    ("Ai heshti.„Nuk kam koment“, tha më vonë.", ["Ai heshti.", "„Nuk kam koment“, tha më vonë."]),
    ("The talks ended.(Reporting by Jane Doe.)", ["The talks ended.", "(Reporting by Jane Doe.)"]),
    ("Lajmi u konfirmua.«Jemi gati», tha ai.", ["Lajmi u konfirmua.", "«Jemi gati», tha ai."]),
    # several glued boundaries in one text, and one after a word that follows a space
    ("Fillimi.Mesi i tekstit ka fjalë.Fundi vjen tani.", ["Fillimi.", "Mesi i tekstit ka fjalë.", "Fundi vjen tani."]),
    ("studim.Këto studim.Pastaj studim.Ok", ["studim.", "Këto studim.", "Pastaj studim.", "Ok"]),
    ("Ai foli.Ajo foli. Ata heshtën.", ["Ai foli.", "Ajo foli.", "Ata heshtën."]),
    # a glued boundary in a title
    ("Kurti takon Vuçiçin.Dialogu rifillon", ["Kurti takon Vuçiçin.", "Dialogu rifillon"]),
    # exceptions: abbreviations and titles
    ("Dr.Berisha foli në Kuvend.", ["Dr.Berisha foli në Kuvend."]),
    ("Mr.Smith met Mrs.Jones in St.Louis.", ["Mr.Smith met Mrs.Jones in St.Louis."]),
    ("Kryeministri z.Rama dhe zj.Hoxha folën.", ["Kryeministri z.Rama dhe zj.Hoxha folën."]),
    ("Prof.Dr.Ismail Kadare u nderua.", ["Prof.Dr.Ismail Kadare u nderua."]),
    ("Zyra është në rr.Myslym Shyri në Tiranë.", ["Zyra është në rr.Myslym Shyri në Tiranë."]),
    ("The case Trump vs.Harris ended.", ["The case Trump vs.Harris ended."]),
    ("Gen.Milley and Sen.Warren spoke on Jan.Fifth.", ["Gen.Milley and Sen.Warren spoke on Jan.Fifth."]),
    ("Some allies, e.g.Poland, paid more.", ["Some allies, e.g.Poland, paid more."]),
    ("Çmimet p.sh.Tirana i ka më të larta.", ["Çmimet p.sh.Tirana i ka më të larta."]),
    ("She holds a Ph.D. from Oxford.", ["She holds a Ph.D. from Oxford."]),
    ("Ai ka një Ph.D.Vjen nga Shkodra.", ["Ai ka një Ph.D.Vjen nga Shkodra."]),
    # exceptions: initials and dotted country names
    ("J.K.Rowling wrote a new book.", ["J.K.Rowling wrote a new book."]),
    ("J.K. Rowling wrote a new book.", ["J.K. Rowling wrote a new book."]),
    ("The U.S.Senate voted.", ["The U.S.Senate voted."]),
    ("The U.S. Senate voted and the U.K.Government waited.", ["The U.S. Senate voted and the U.K.Government waited."]),
    # exceptions: decimals and numbers
    ("Rritja ishte 3.5 për qind.", ["Rritja ishte 3.5 për qind."]),
    ("Growth was 0.8 percent, and 1.200 tonnes were sold.", ["Growth was 0.8 percent, and 1.200 tonnes were sold."]),
    ("Versioni 2.0 doli sot.", ["Versioni 2.0 doli sot."]),
    # exceptions: URLs, e-mail addresses, domain names, file and package names
    ("Lexoni më shumë në www.rtsh.al sot.", ["Lexoni më shumë në www.rtsh.al sot."]),
    ("Lexoni më shumë në www.Rtsh.al sot.", ["Lexoni më shumë në www.Rtsh.al sot."]),
    ("See https://example.org/News.Html for details.", ["See https://example.org/News.Html for details."]),
    ("Shkruani në info@x.al për pyetje.", ["Shkruani në info@x.al për pyetje."]),
    ("Shkruani në redaksia.Lajme@gazeta.al për pyetje.", ["Shkruani në redaksia.Lajme@gazeta.al për pyetje."]),
    ("Portali Kosova.net raportoi lajmin.", ["Portali Kosova.net raportoi lajmin."]),
    ("Portali Kosova.Net raportoi lajmin.", ["Portali Kosova.Net raportoi lajmin."]),
    ("Sipas portalit gazeta.Shqip.com, ai dha dorëheqjen.", ["Sipas portalit gazeta.Shqip.com, ai dha dorëheqjen."]),
    ("The app is written in Node.js and runs fast.", ["The app is written in Node.js and runs fast."]),
    ("Shiko faqen youtube.com/watch?v=AbC për videon.", ["Shiko faqen youtube.com/watch?v=AbC për videon."]),
    # no capital after the terminator: not a boundary
    ("Ai tha se studim.këto nuk ka.", ["Ai tha se studim.këto nuk ka."]),
    # a one-letter word or a digit before the stop is not read as a glued boundary (see the module docstring)
    ("Në vitin 2025.Ky vit ishte i vështirë.", ["Në vitin 2025.Ky vit ishte i vështirë."]),
]


@pytest.mark.parametrize(("text", "expected"), GLUED_CASES)
def test_glued_boundaries(text, expected):
    assert sentences_of(text) == expected


def test_glued_boundary_offsets_are_those_of_the_original_text():
    text = "Çështja u mbyll.Ëndrra mbetet. Ai foli.Ajo heshti."
    frame = split_sentences(pl.DataFrame({"article_id": ["x"], "field": ["body"], "text": [text]}))
    assert frame.select("char_start", "char_end").rows() == [(0, 16), (16, 30), (31, 39), (39, 50)]
    assert frame["paragraph_index"].to_list() == [0, 0, 0, 0]


def test_a_nul_character_in_the_input_is_not_taken_for_a_glue_mark():
    text = "Ai foli\x00Ajo heshti. Fund."
    assert sentences_of(text) == ["Ai foli\x00Ajo heshti.", "Fund."]


ALPHABET = st.sampled_from(list("abcëç ABCËÇ12.,!?…„“”«»\"'()\n\t") + ["Mr.", "z.", "p.sh.", "0.8", "\n\n", " J. ", "studim.Këto", "ai.„Po", "www.Rtsh.al", "Dr.Berisha"])


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
