"""Unknown names from capitalised runs outside gazetteer matches: runs cut into name groups, edges trimmed.
All column expressions over the batch; the typer then scores what this stage proposes."""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from pipelines.lib.entities.frames import (
    TextBuffer, covered_by_a_match, is_first_of, is_last_of, last_match_before, leading_block_within,
    text_slices, total_before_within, trailing_block_within,
)
from pipelines.lib.entities.rules import (
    CAPITALISED_WORD, CONNECTOR_WORDS, CORPORATE_TAIL, CORPORATE_WORDS, NEXT_NAME_WORD, CandidateRules,
    load_candidate_rules,
)


@lru_cache(maxsize=1)
def candidate_run_regex() -> str:
    """Runs of capitalised words, optionally with lower-case connectors, a preceding lower-case title from
    honorifics.tsv (zoti, ministri, analistja) or a corporate tail. A lone capitalised word (a sentence opener, a
    known name) can never become a candidate, so a run needs two words, a title or a tail: most single words are
    then skipped by the regex rather than by later steps. The Rust regex engine Polars uses has no backtracking,
    so this is linear in the text length whatever the input."""
    titles = sorted((title for title in load_candidate_rules().titles if title.isalpha() or title.endswith(".")),
                    key=len, reverse=True)
    honorific = "(?:" + "|".join(re.escape(title) for title in titles) + ")"
    return (
        rf"(?:{honorific}\s{CAPITALISED_WORD}(?:{NEXT_NAME_WORD})*{CORPORATE_TAIL}?"
        rf"|{CAPITALISED_WORD}(?:(?:{NEXT_NAME_WORD})+{CORPORATE_TAIL}?|{CORPORATE_TAIL}))"
    )


def capitalised_runs(texts: pl.DataFrame, buffer: TextBuffer) -> pl.DataFrame:
    """Every capitalised run: run, row, run_start, run_end (buffer bytes), run_text. One regex pass wraps each run
    in NUL marks; splitting on them gives gap, run, gap, run, ... pieces that tile the text, so running lengths
    give the offsets (NUL in a text is first made a space, which keeps every offset)."""
    marked = pl.col("text").str.replace_all("\x00", " ", literal=True).str.replace_all(candidate_run_regex(), "\x00${0}\x00")
    pieces = texts.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"),
        pl.Series("text_start", buffer.text_starts),
        marked.str.split("\x00").alias("piece"),
    ).explode("piece")
    piece_bytes = pl.col("piece").str.len_bytes().cast(pl.Int64)
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    is_run = (index - pl.when(is_first_of("row")).then(index).forward_fill()) % 2 == 1
    return (
        pieces.with_columns(
            (pl.col("text_start") + total_before_within(piece_bytes, "row")).alias("run_start"),
            (pl.col("text_start") + total_before_within(piece_bytes, "row") + piece_bytes).alias("run_end"),
            is_run.alias("is_run"),
        )
        .filter(pl.col("is_run"))
        .select("row", "run_start", "run_end", pl.col("piece").alias("run_text"))
        .with_row_index("run")
    )


def run_words(runs: pl.DataFrame) -> pl.DataFrame:
    """The words of every run with buffer offsets. Words in a run are separated by one whitespace character,
    so the `word + separator` tokens tile the run."""
    tokens = runs.select("run", "run_start", pl.col("run_text").str.extract_all(r"\S+\s?").alias("token")).explode("token")
    token_bytes = pl.col("token").str.len_bytes().cast(pl.Int64)
    word = pl.col("token").str.strip_chars_end()
    return tokens.select(
        "run",
        (pl.col("run_start") + total_before_within(token_bytes, "run")).alias("word_start"),
        word.alias("word"),
        word.str.to_lowercase().alias("lower"),
    ).with_columns((pl.col("word_start") + pl.col("word").str.len_bytes().cast(pl.Int64)).alias("word_end"))


def mark_covered(words: pl.DataFrame, matches: pl.DataFrame) -> pl.DataFrame:
    """covered: the word overlaps a gazetteer match; surname_start: the word starts exactly where a bare surname
    match starts. Matches do not overlap and are sorted, so the only one that can overlap a word is the last
    match starting before the word ends."""
    previous = last_match_before(words["word_end"], matches.select("start", "end", "is_surname"), inclusive=False)
    return words.with_columns(
        (previous["end"] > words["word_start"]).fill_null(False).alias("covered"),
        (previous["is_surname"] & (previous["start"] == words["word_start"])).fill_null(False).alias("surname_start"),
    )


# A first name: one capitalised word of letters, possibly hyphenated (Jens-Frederik).
FIRST_NAME = r"^\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?$"


def release_surnames_after_first_names(words: pl.DataFrame, rules: CandidateRules) -> pl.DataFrame:
    """An unknown first name right before a bare surname names someone else ('Oleksiy Kuleba' is not Dmytro
    Kuleba, 'Eric Trump' not Donald Trump): such a surname word stops counting as covered, so the two words
    become one candidate, and `released` marks it so its surname link is dropped."""
    # Only the few words where a bare surname starts need the first-name test: read on those rows and the rows
    # before them, it stays off the whole word frame.
    surname_rows = words.select(
        pl.arg_where(pl.col("surname_start") & (pl.col("run") == pl.col("run").shift(1)).fill_null(False))
    ).to_series().cast(pl.Int64)
    before = words.select("covered", "word", "lower")[surname_rows - 1]
    after_first_name = ~before["covered"] & before["word"].str.contains(FIRST_NAME) & ~before["lower"].is_in(
        list(rules.edge_words))
    released = pl.zeros(words.height, dtype=pl.Boolean, eager=True).scatter(surname_rows.filter(after_first_name), True)
    return words.with_columns(released.alias("released")).with_columns(pl.col("covered") & ~pl.col("released"))


def name_groups(words: pl.DataFrame, rules: CandidateRules) -> pl.DataFrame:
    """Cut runs into name groups and trim their edges. A connector ('of', 'e', 'and') joins two names only after
    a word that types an organisation or place ('Bank of England', 'Partia e Lirisë'); elsewhere it separates
    them ('John Smith of Acme Ltd', 'Analiza e Marco Rossit'). A word inside a gazetteer mention, or a lower-case
    word (the 's' of "Putin's"), separates names too. Titles and stop words are trimmed from a group's edges.
    Out: the kept words with group (a batch-wide id), titled (a title was trimmed from the group's start)."""
    connector = pl.col("word").is_in(CONNECTOR_WORDS)
    # A run (see candidate_run_regex) holds capitalised words, connectors, a leading title and a corporate tail,
    # so every word that is not a connector is a name word, title or tail.
    name_word = ~pl.col("covered") & ~connector
    after_type_word = (
        (pl.col("run") == pl.col("run").shift(1))
        & name_word.shift(1) & pl.col("word").shift(1).is_in(list(rules.type_word_set))
    ).fill_null(False)
    joins = pl.when(connector).then(~pl.col("covered") & after_type_word).otherwise(name_word)
    grouped = (
        words.with_columns(joins.alias("joins"))
        .with_columns((is_first_of("run") | ~pl.col("joins")).cum_sum().alias("group"))
        .filter(pl.col("joins"))
    )
    edge = pl.col("lower").str.strip_chars_end(",").is_in(list(rules.edge_words))
    grouped = grouped.with_columns(leading_block_within(edge, "group").alias("leading"))
    grouped = grouped.with_columns(
        (pl.col("leading") & pl.col("lower").is_in(list(rules.titles))).alias("title_trimmed")
    ).with_columns(
        # a group's flag, read later from its last kept word
        (pl.col("title_trimmed").cast(pl.Int64).cum_sum() - pl.when(is_first_of("group"))
         .then(pl.col("title_trimmed").cast(pl.Int64).cum_sum() - pl.col("title_trimmed").cast(pl.Int64))
         .forward_fill() > 0).alias("titled")
    ).filter(~pl.col("leading"))
    # Stop words are trimmed from a group's end, except name_tail_words.txt ('Sky News', 'Sheffield Wednesday').
    trailing_stopwords = list(rules.stopwords - rules.tail_words)
    grouped = grouped.filter(~trailing_block_within(pl.col("lower").is_in(trailing_stopwords), "group"))
    return grouped.filter(~trailing_block_within(connector, "group"))


def type_of_groups(grouped: pl.DataFrame, rules: CandidateRules) -> pl.DataFrame:
    """group, rule_type: the first organisation_words.tsv rule (file order) that a group's words satisfy."""
    type_rules = pl.DataFrame(
        [(word, position, entity_type, order) for order, (word, position, entity_type) in enumerate(rules.type_words)],
        schema={"name_word": pl.String, "position": pl.String, "rule_type": pl.String, "rule_order": pl.Int64},
        orient="row",
    )
    return (
        grouped.join(type_rules, on="name_word")
        .filter((pl.col("position") == "any") | ((pl.col("position") == "first") & pl.col("is_first"))
                | ((pl.col("position") == "last") & pl.col("is_last")))
        .sort("rule_order")
        .unique("group", keep="first")
        .select("group", "rule_type")
    )


def find_candidates(
    texts: pl.DataFrame, buffer: TextBuffer, matches: pl.DataFrame
) -> tuple[pl.DataFrame, pl.Series]:
    """Unknown names from capitalised runs outside gazetteer mentions: row, start, end (buffer bytes), surface,
    candidate_type. Kept when two or more name words remain, or a title marks a single word as a person.
    Also returns the starts of surname matches that became part of a candidate (see release_surnames...)."""
    rules = load_candidate_rules()
    matches = matches.sort("start")
    runs = capitalised_runs(texts, buffer)
    runs = runs.filter(~covered_by_a_match(runs["run_start"], runs["run_end"], matches))
    words = release_surnames_after_first_names(mark_covered(run_words(runs), matches), rules)
    released_starts = words.filter(pl.col("released"))["word_start"]
    grouped = name_groups(words, rules).with_columns(
        is_first_of("group").alias("is_first"),
        is_last_of("group").alias("is_last"),
    )
    grouped = grouped.with_columns(
        # The surface loses trailing punctuation (but keeps 'sh.p.k.'), so the last word is read without it.
        pl.when(pl.col("is_last") & ~pl.col("word").is_in(CORPORATE_WORDS))
        .then(pl.col("word").str.strip_chars_end(".,;:")).otherwise(pl.col("word")).alias("name_word"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("index"),
    )
    name_is_stopword = pl.col("name_word").str.to_lowercase().is_in(list(rules.stopwords))
    grouped = grouped.with_columns(
        (pl.col("index") - pl.when(pl.col("is_first")).then(pl.col("index")).forward_fill() + 1).alias("word_count"),
        leading_block_within(name_is_stopword, "group").alias("all_stopwords"),
    )
    groups = (
        grouped.filter(pl.col("is_last"))
        .select("group", "run", "titled", "word_count", "all_stopwords", pl.col("word_end").alias("end"))
        .join(grouped.filter(pl.col("is_first")).select("group", pl.col("word_start").alias("start")), on="group")
        .filter(((pl.col("word_count") >= 2) | pl.col("titled")) & ~pl.col("all_stopwords"))
        .join(type_of_groups(grouped, rules), on="group", how="left")
        .join(runs.select("run", "row"), on="run")
        .sort("start")
    )
    raw_surface = text_slices(buffer, groups["start"], groups["end"])
    corporate = raw_surface.str.ends_with(CORPORATE_WORDS[0]) | raw_surface.str.ends_with(CORPORATE_WORDS[1])
    surface = pl.select(pl.when(corporate).then(raw_surface).otherwise(raw_surface.str.strip_chars_end(".,;:"))).to_series()
    candidates = groups.select(
        "row", "start",
        (pl.col("start") + surface.str.len_bytes().cast(pl.Int64)).alias("end"),
        surface.alias("surface"),
        pl.coalesce("rule_type", pl.when(pl.col("titled")).then(pl.lit("PERSON"))).alias("candidate_type"),
    )
    # A released surname only leaves the gazetteer when it did end up inside a kept candidate.
    kept = covered_by_a_match(released_starts, released_starts + 1, candidates.select("start", "end").sort("start"))
    return candidates, released_starts.filter(kept)
