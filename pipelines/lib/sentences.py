"""Split article titles and bodies into paragraphs and sentences with character offsets.
Column expressions over all texts at once; abbreviations come from pipelines/reference/sentence_abbreviations.tsv.

How it works (no per-article Python):

1. One tiling regex (`extract_all`) cuts every text into *segments*, each ending at a candidate
   boundary: a run of terminators (`.`, `!`, `?`, `…`) with any closing quotes or brackets,
   followed by whitespace or the end of text; or a newline with the whitespace after it. A
   terminator *not* followed by whitespace (`0.8`, `1.200`, `U.S.`, `e.g.,`) stays inside the
   segment. The segments cover the text exactly, so cumulative character lengths give offsets
   (`len_chars`, so no byte-to-character conversion is needed).
2. Each candidate boundary is judged from its own segment and the next one:
   - a blank line (two or more newlines) ends the sentence and the paragraph;
   - a single newline ends the sentence unless the next line starts with a lower-case letter
     (hard-wrapped prose); so header lines (title, date, byline) are sentences of their own
     paragraph without needing a blank line after each;
   - a terminator run ends the sentence when the next segment starts with an upper-case letter,
     a digit, an opening quote or bracket, or a dash, unless the run is a lone `.` closing a
     listed abbreviation (`Mr.`, `z.`, `p.sh.`, `U.S.`, `Jan.` ...) or initials (`J.K.`, `J.` in
     `J. D. Vance`).
3. Segments are merged into sentences with a cumulative sum of "starts a sentence" flags, and
   surrounding whitespace is trimmed from the offsets.

Glued boundaries (`studim.Këto`, `said?The`, `vazhdon…Pastaj`, `tha.”Ai`: a scraper lost the
space or the paragraph break) are found before the tiling by one regex pass that puts a marker
character (`GLUE_MARK`) after the terminator run; the tiling ends a segment at the marker, and
segment lengths leave it out, so offsets are those of the original text. A glued boundary needs a
word of two or more letters ending in a lower-case letter before the terminator (so `U.S.`,
`J.K.Rowling`, `3.5`, `p.sh.` never match) and a capital after it. Two more passes take the marker
back where the word before is a listed abbreviation (`Dr.Berisha`, `www.`) or inside `Ph.D.`, or the word after
continues as an e-mail address, a path or a domain name (`Info.Al@x.com`, `Gazeta.Shqip.com`). URLs and e-mail addresses on the left never match,
since a word must start after whitespace or an opening quote, bracket or dash.

Known limits, chosen for precision: `Plan B. The` does not split (B. reads as an initial), nor
does a glued boundary after a digit (`2025.Ky`) or a one-letter word (`e.Pastaj`).
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import polars as pl

ABBREVIATIONS_FILE = Path(__file__).resolve().parent.parent / "reference" / "sentence_abbreviations.tsv"

TERMINATORS = ".!?…"
# “ and ‘ close Albanian quotes („Po!“) and open English ones; as closers they only matter
# right after a terminator, where they close.
CLOSERS = "\"'”’“‘»)\\]"
_CLUSTER = f"[{TERMINATORS}][{TERMINATORS}{CLOSERS}]*"
# segment = (plain text | a terminator cluster glued to the next character)* then a boundary.
# A glued boundary is marked with this character; the input's own NULs become spaces first.
GLUE_MARK = "\x00"
SEGMENT_PATTERN = (
    f"(?s)(?:[^{TERMINATORS}\\n{GLUE_MARK}]+|{_CLUSTER}[^\\s{TERMINATORS}{CLOSERS}{GLUE_MARK}])*"
    f"(?:{_CLUSTER}(?:\\s+|{GLUE_MARK}|$)|\\n\\s*|$)"
)
# Glued boundary: (start of text | whitespace | an opener) + a word of 2+ letters ending lower-case
# (closing quotes or brackets may follow it) + terminators and closers + (an opener) + a capital.
# Digits may sit inside the word (`COVID-19-ës`) but not end it, so `3.5` and `2025.Ky` stay whole.
_GLUE_OPENERS = "\"'„“«‘(\\[{–—-"
_GLUE_WORD_CHARS = "\\p{L}\\p{M}\\p{N}'’\\-"
GLUE_PATTERN = (
    f"(^|[\\s#{_GLUE_OPENERS}])([{_GLUE_WORD_CHARS}]+\\p{{Ll}}[{CLOSERS}]*)"
    f"([{TERMINATORS}][{TERMINATORS}{CLOSERS}]*)([„«‘(\\[]?\\p{{Lu}})"
)
# The word after a marker continues as an e-mail address, a path or a domain name: not the start
# of a sentence.
_GLUE_NOT_A_SENTENCE_AFTER = (
    f"{GLUE_MARK}(\\p{{Lu}}[\\p{{L}}\\p{{M}}\\p{{N}}_.\\-]*(?:@|/|\\.(?:com|net|org|info|al|eu|io)\\b)|(?i:com|net|org)\\b)"
)
_ENDS_WITH_CLUSTER = f"{_CLUSTER}\\s*$"
_ENDS_WITH_LONE_FULL_STOP = f"[^{TERMINATORS}]\\.\\s*$"
_LAST_TOKEN = r"(\S+)\s*$"
ABBREVIATION_TAIL_CHARS = 24
_OPENERS = "\"'„“«‘([–—-"
_STARTS_A_SENTENCE = "^[\\p{Lu}\\p{Lt}\\p{N}\"'„“”«‘’(\\[–—-]"
_STARTS_LOWER_CASE = "^\\p{Ll}"
_INITIAL = "^(?:\\p{Lu}\\.)+$"  # `J.` and `J.K.` (J.K. Rowling)

SENTENCE_SCHEMA = {
    "article_id": pl.String,
    "field": pl.String,
    "paragraph_index": pl.Int32,
    "sentence_index": pl.Int32,
    "char_start": pl.Int64,
    "char_end": pl.Int64,
}
TEXT_KEY_COLUMNS = ["article_id", "field"]


@lru_cache(maxsize=1)
def load_abbreviations() -> tuple[frozenset[str], frozenset[str]]:
    """(exact forms, lower-cased forms that match in any case) from sentence_abbreviations.tsv."""
    exact: set[str] = set()
    any_case: set[str] = set()
    with ABBREVIATIONS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(
            (line for line in handle if not line.startswith("#")), delimiter="\t", quoting=csv.QUOTE_NONE
        )
        for row in rows:
            if row["case"] == "any":
                any_case.add(row["abbreviation"].lower())
            else:
                exact.add(row["abbreviation"])
    return frozenset(exact), frozenset(any_case)


# Dotted abbreviations that GLUE_PATTERN would cut after their first part. They are not in
# sentence_abbreviations.tsv because with a space after them they often end a sentence.
GLUED_DOTTED_ABBREVIATIONS = ("Ph.D.", "Ph.D", "Dr.Sc.", "Mr.Sc.")


@lru_cache(maxsize=1)
def _glued_abbreviation_pattern() -> str:
    """A marker right after a listed abbreviation that GLUE_PATTERN can match (one full stop after
    letters: `Dr.`; `z.` is too short, `p.sh.` has an inner stop), after `www.`, or inside `Ph.D.`."""
    exact, any_case = load_abbreviations()
    def plain(forms) -> list[str]:
        return sorted((f for f in forms if f[:-1].isalpha() and f.endswith(".") and len(f) >= 3), key=len, reverse=True)
    exact_forms = "|".join(re.escape(form) for form in plain(exact))
    any_forms = "|".join(re.escape(form) for form in plain(any_case) + ["www."])
    dotted = sorted(GLUED_DOTTED_ABBREVIATIONS, key=len, reverse=True)
    heads = "|".join(dict.fromkeys(re.escape(form.split(".", 1)[0] + ".") for form in dotted))
    tails = "|".join(dict.fromkeys(re.escape(form.split(".", 1)[1]) for form in dotted))
    return (
        f"(^|[\\s#{_GLUE_OPENERS}])(?:((?:{exact_forms})|(?i:{any_forms})){GLUE_MARK}"
        f"|((?:{heads})){GLUE_MARK}((?:{tails})))"
    )


def mark_glued_boundaries(text: pl.Expr) -> pl.Expr:
    """`text` with GLUE_MARK after the terminators of every glued sentence boundary (and none elsewhere)."""
    return (
        text.str.replace_all(GLUE_MARK, " ", literal=True)
        .str.replace_all(GLUE_PATTERN, "${1}${2}${3}" + GLUE_MARK + "${4}")
        .str.replace_all(_glued_abbreviation_pattern(), "${1}${2}${3}${4}")
        .str.replace_all(_GLUE_NOT_A_SENTENCE_AFTER, "${1}")
    )


def split_sentences(texts: pl.DataFrame) -> pl.DataFrame:
    """texts: article_id, field ('title'|'body'), text. Returns one row per sentence:
    article_id, field, paragraph_index (Int32), sentence_index (Int32, 0-based per article+field, counting across paragraphs),
    char_start, char_end (Int64 CHARACTER offsets into text; text[char_start:char_end] is the sentence without surrounding whitespace)."""
    keyed_texts = texts.select(
        pl.col("article_id").cast(pl.String), pl.col("field").cast(pl.String), pl.col("text").fill_null("")
    ).with_row_index("text_id")
    segments = _segments(keyed_texts)
    if segments.height == 0:
        return pl.DataFrame(schema=SENTENCE_SCHEMA)
    sentences = _sentence_offsets(_judge_boundaries(segments))
    return (
        sentences.join(keyed_texts.select("text_id", *TEXT_KEY_COLUMNS), on="text_id", how="left", maintain_order="left")
        .select(list(SENTENCE_SCHEMA))
        .cast(SENTENCE_SCHEMA)  # type: ignore[arg-type]
    )


# Segments of one text are contiguous and in order, so "per text" is computed from the
# text_id column changing value, never with a group-by: a first-of-text value is carried down
# with forward_fill, and a neighbour is trusted only when it has the same text_id.
def _per_text_first(value: pl.Expr, is_first_of_text: pl.Expr) -> pl.Expr:
    return pl.when(is_first_of_text).then(value).forward_fill()


def _segments(keyed_texts: pl.DataFrame) -> pl.DataFrame:
    """One row per non-blank segment with its character start and length, in text order."""
    is_first_of_text = pl.col("text_id") != pl.col("text_id").shift(1).fill_null(-1)
    exclusive_total = pl.col("segment_chars").cum_sum() - pl.col("segment_chars")
    return (
        keyed_texts.lazy()
        .select("text_id", mark_glued_boundaries(pl.col("text")).str.extract_all(SEGMENT_PATTERN).alias("segment"))
        .explode("segment")
        .filter(pl.col("segment").str.len_bytes() > 0)  # the empty match at the end of a text
        # A glue marker is not a character of the text: it is left out of the length.
        .with_columns(
            (pl.col("segment").str.len_chars() - pl.col("segment").str.ends_with(GLUE_MARK)).cast(pl.Int64).alias("segment_chars")
        )
        .with_columns((exclusive_total - _per_text_first(exclusive_total, is_first_of_text)).alias("segment_start"))
        # A whitespace-only segment can only open a text (blank lines before the first word);
        # it carries no words and no break that matters, so it is dropped here.
        .filter(pl.col("segment").str.strip_chars().str.len_bytes() > 0)
        .collect()
    )


def _judge_boundaries(segments: pl.DataFrame) -> pl.DataFrame:
    exact, any_case = load_abbreviations()
    segment = pl.col("segment")
    # Every newline of a segment lies in its trailing whitespace: the pattern's text parts exclude \n.
    newlines_after = segment.str.count_matches("\n", literal=True)
    # Only the end of a segment can hold an abbreviation; reading its last few characters keeps
    # the token regex off the rest. A token longer than the tail is cut, which can only matter
    # for a glued run of characters, never for a listed abbreviation on its own.
    last_token = segment.str.tail(ABBREVIATION_TAIL_CHARS).str.extract(_LAST_TOKEN, 1).str.strip_chars_start(_OPENERS)
    is_abbreviation = (
        last_token.is_in(list(exact)) | last_token.str.to_lowercase().is_in(list(any_case)) | last_token.str.contains(_INITIAL)
    )
    same_text_next = pl.col("text_id").shift(-1) == pl.col("text_id")
    next_first_character = pl.when(same_text_next).then(segment.str.head(1).shift(-1))
    is_last_segment = same_text_next.fill_null(False).not_()
    next_starts_sentence = next_first_character.str.contains(_STARTS_A_SENTENCE).fill_null(True)
    next_starts_lower = next_first_character.str.contains(_STARTS_LOWER_CASE).fill_null(False)
    ends_with_cluster = segment.str.contains(_ENDS_WITH_CLUSTER)
    lone_full_stop = segment.str.contains(_ENDS_WITH_LONE_FULL_STOP)
    ends_sentence = (
        pl.when(is_last_segment | (newlines_after >= 2)).then(True)
        .when(newlines_after == 1).then(~next_starts_lower)
        .when(segment.str.ends_with(GLUE_MARK)).then(True)
        .when(ends_with_cluster & lone_full_stop & is_abbreviation).then(False)
        .when(ends_with_cluster).then(next_starts_sentence)
        .otherwise(False)
    )
    return segments.select(
        "text_id",
        "segment_start",
        ends_sentence.alias("ends_sentence"),
        (newlines_after >= 2).alias("ends_paragraph"),
        (segment.str.len_chars() - segment.str.strip_chars_start().str.len_chars()).alias("leading_chars"),
        (pl.col("segment_start") + segment.str.strip_chars_end(GLUE_MARK).str.strip_chars_end().str.len_chars()).alias("content_end"),
    )


def _sentence_offsets(judged: pl.DataFrame) -> pl.DataFrame:
    """text_id, paragraph_index, sentence_index, char_start, char_end from judged segments.

    Each sentence has exactly one first segment and one last segment, in the same order, so
    the two filtered frames line up row by row."""
    is_first_of_text = pl.col("text_id") != pl.col("text_id").shift(1).fill_null(-1)
    starts_sentence = is_first_of_text | pl.col("ends_sentence").shift(1)
    starts_paragraph = is_first_of_text | pl.col("ends_paragraph").shift(1)
    firsts = (
        judged.lazy()
        .with_columns(starts_sentence.alias("starts_sentence"), starts_paragraph.alias("starts_paragraph"))
        .filter(pl.col("starts_sentence"))
        .select(
            "text_id",
            (pl.col("segment_start") + pl.col("leading_chars")).alias("char_start"),
            "starts_paragraph",
        )
        .with_columns(is_first_of_text.alias("is_first_of_text"))
        .with_columns(
            pl.col("starts_paragraph").cast(pl.Int64).cum_sum().alias("paragraph_number"),
            pl.int_range(pl.len(), dtype=pl.Int64).alias("sentence_number"),
        )
        .select(
            "text_id",
            "char_start",
            (pl.col("paragraph_number") - _per_text_first(pl.col("paragraph_number"), pl.col("is_first_of_text"))).alias("paragraph_index"),
            (pl.col("sentence_number") - _per_text_first(pl.col("sentence_number"), pl.col("is_first_of_text"))).alias("sentence_index"),
        )
    )
    lasts = judged.lazy().filter(pl.col("ends_sentence")).select(pl.col("content_end").alias("char_end"))
    return pl.concat([firsts, lasts], how="horizontal").collect()


def assign_sentences(spans: pl.DataFrame, sentences: pl.DataFrame) -> pl.DataFrame:
    """spans: article_id, field, char_start, ... (mentions or figures). Adds sentence_index and paragraph_index of the
    sentence containing char_start (join_asof by article_id+field on char_start).

    A span starting in the whitespace between two sentences gets the earlier one; rows keep their order."""
    keyed_sentences = sentences.select(*TEXT_KEY_COLUMNS, "char_start", "sentence_index", "paragraph_index").sort("char_start")
    return (
        spans.with_row_index("_span_order")
        .sort("char_start")
        .join_asof(keyed_sentences, on="char_start", by=TEXT_KEY_COLUMNS, strategy="backward", check_sortedness=False)
        .sort("_span_order")
        .drop("_span_order")
    )
