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
     listed abbreviation (`Mr.`, `z.`, `p.sh.`, `U.S.`, `Jan.` ...) or an initial (`J.` in
     `J. D. Vance`).
3. Segments are merged into sentences with a cumulative sum of "starts a sentence" flags, and
   surrounding whitespace is trimmed from the offsets.

Known limits, chosen for precision: `Plan B. The` does not split (B. reads as an initial), and
glued sentences without a space (`said.The`) are not split.
"""

from __future__ import annotations

import csv
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
SEGMENT_PATTERN = (
    f"(?s)(?:[^{TERMINATORS}\\n]+|{_CLUSTER}[^\\s{TERMINATORS}{CLOSERS}])*"
    f"(?:{_CLUSTER}(?:\\s+|$)|\\n\\s*|$)"
)
_ENDS_WITH_CLUSTER = f"{_CLUSTER}\\s*$"
_ENDS_WITH_LONE_FULL_STOP = f"[^{TERMINATORS}]\\.\\s*$"
_LAST_TOKEN = r"(\S+)\s*$"
ABBREVIATION_TAIL_CHARS = 24
_OPENERS = "\"'„“«‘([–—-"
_STARTS_A_SENTENCE = "^[\\p{Lu}\\p{Lt}\\p{N}\"'„“”«‘’(\\[–—-]"
_STARTS_LOWER_CASE = "^\\p{Ll}"
_INITIAL = "^\\p{Lu}\\.$"

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
        .select("text_id", pl.col("text").str.extract_all(SEGMENT_PATTERN).alias("segment"))
        .explode("segment")
        .filter(pl.col("segment").str.len_bytes() > 0)  # the empty match at the end of a text
        .with_columns(pl.col("segment").str.len_chars().cast(pl.Int64).alias("segment_chars"))
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
        (pl.col("segment_start") + segment.str.strip_chars_end().str.len_chars()).alias("content_end"),
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
