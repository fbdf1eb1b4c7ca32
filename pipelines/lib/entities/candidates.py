"""Unknown names from capitalised runs outside gazetteer matches: runs cut into name groups, edges trimmed.
All column expressions over the batch; the typer then scores what this stage proposes."""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from pipelines.lib.entities.frames import (
    TextBuffer, covered_by_a_match, is_first_of, is_last_of, last_match_before, leading_block_within,
    total_before_within, trailing_block_within,
)
from pipelines.lib.entities.features import common_words, place_keys
from pipelines.lib.entities.resolve import candidate_key_expression
from pipelines.lib.entities.rules import (
    CAPITALISED_WORD, CONNECTOR_WORDS, CORPORATE_TAIL, CORPORATE_WORDS, LINE_SPACE, NEXT_NAME_WORD, CandidateRules,
    load_candidate_rules,
)


CONTEXT_CHARS = 40
# The gap before a run opens a sentence when it is empty (text start), ends a line, or ends in sentence
# punctuation, possibly followed by quotes, brackets or dashes.
SENTENCE_OPENING = r"(?:^|\n|[.!?…:;][\"'”’»)\]]*\s)[\s\"“«‘'(\[\-–—•*]*$"
# A word whose final dot ends a sentence rather than an initial or abbreviation (J., U.S., Mr., St., Inc.); an
# acronym with a hyphenated Albanian ending ends one too ('NATO-s.', 'BE-së.').
SENTENCE_END_WORD = r"(?:[\p{Ll}\p{Lu}\p{N}]{2,}|[\p{L}\p{N}]-\p{Ll}+)['’]?[.!?]['’]?$"
POSSESSIVE = r"\p{L}['’]s?$"
ABBREVIATIONS = ("Mr.", "Mrs.", "Ms.", "Dr.", "St.", "Jr.", "Sr.", "Mt.", "Ft.", "Gen.", "Gov.", "Sen.", "Rep.",
                 "Lt.", "Col.", "Sgt.", "Capt.", "Prof.", "Rev.", "Inc.", "Co.", "Corp.", "Ltd.", "Bros.", "No.",
                 "Jan.", "Feb.", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.", "Ave.", "Blvd.", "Dept.", "Univ.")


@lru_cache(maxsize=1)
def candidate_run_regex() -> str:
    """Runs of capitalised words (a single word too: bare surnames, acronyms, one-word organisations), optionally
    with lower-case connectors, a preceding lower-case title from honorifics.tsv (zoti, ministri, analistja) or a
    corporate tail. Whether a run is a name at all is the typer's call (its NOT-ENTITY class). The Rust regex
    engine Polars uses has no backtracking, so this is linear in the text length whatever the input."""
    titles = sorted((title for title in load_candidate_rules().titles if title.isalpha() or title.endswith(".")),
                    key=len, reverse=True)
    honorific = "(?:" + "|".join(re.escape(title) for title in titles) + ")"
    return (
        rf"(?:{honorific}{LINE_SPACE})?{CAPITALISED_WORD}(?:{NEXT_NAME_WORD})*{CORPORATE_TAIL}?"
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
    # Each text splits into an odd number of pieces (gap, run, ..., gap), so runs are the odd pieces counted
    # within the text, not in the batch: a batch-wide count would flip on every other text.
    index_in_text = index - pl.when(is_first_of("row")).then(index).forward_fill()
    is_run = index_in_text % 2 == 1
    # The gaps around a run give its context: the end of the gap before (the previous word, whether a sentence
    # ends there) and the start of the gap after (the next word).
    piece_start = pl.col("text_start") + total_before_within(piece_bytes, "row")
    return (
        pieces.with_columns(
            piece_start.alias("run_start"),
            (piece_start + piece_bytes).alias("run_end"),
            is_run.alias("is_run"),
            (index_in_text == 1).alias("opens_text"),
            pl.col("piece").str.tail(CONTEXT_CHARS).shift(1).alias("before_text"),
            pl.col("piece").str.head(CONTEXT_CHARS).shift(-1).alias("after_text"),
        )
        # A capital inside a word starts no name ('iPhone', 'eBay'); a word of digits and capitals is one ('6PR').
        .filter(pl.col("is_run") & ~pl.col("before_text").str.contains(r"[\p{L}\p{M}\p{N}]$").fill_null(False))
        .select(
            "row", "run_start", "run_end", pl.col("piece").alias("run_text"),
            # '^' in SENTENCE_OPENING must mean the text's start: a later gap is marked so it cannot match there.
            (pl.when(pl.col("opens_text")).then(pl.lit("")).otherwise(pl.lit("\x01")) + pl.col("before_text"))
            .alias("before_text"),
            "after_text",
        )
        .with_row_index("run")
    )


def run_words(runs: pl.DataFrame, rules: CandidateRules) -> pl.DataFrame:
    """The words of every run with buffer offsets and context. Words in a run are separated by one whitespace
    character, so the `word + separator` tokens tile the run. previous_word / next_word: the neighbouring word in
    the run, or the last / first word of the gap around it; sentence_start: the word opens a sentence or text;
    and what the word's own letters say (WORD_PROPERTIES, see word_properties)."""
    # The gaps around a run are read once per run, not on each of its words: their last / first word (the whole
    # match and a strip give the words a capture group gives, at half its cost) and whether the run opens a sentence.
    tokens = runs.select(
        "run", "run_start",
        pl.col("run_text").str.extract_all(r"\S+\s?").alias("token"),
        pl.col("before_text").str.extract(r"\S+\s*$", 0).str.strip_chars_end().alias("word_before_run"),
        pl.col("after_text").str.strip_chars_start().str.extract(r"^\S+", 0).alias("word_after_run"),
        pl.col("before_text").fill_null("").str.contains(SENTENCE_OPENING).alias("run_opens_sentence"),
    ).explode("token")
    token_bytes = pl.col("token").str.len_bytes().cast(pl.Int64)
    tokens = tokens.with_columns(pl.col("token").str.strip_chars_end().alias("word"))
    tokens = tokens.join(word_properties(tokens["word"], rules), on="word", how="left", maintain_order="left")
    word = pl.col("word")
    words = tokens.select(
        "run",
        (pl.col("run_start") + total_before_within(token_bytes, "run")).alias("word_start"),
        "word", "lower",
        pl.when(is_first_of("run")).then(pl.col("word_before_run")).otherwise(word.shift(1)).alias("previous_word"),
        pl.when(is_last_of("run")).then(pl.col("word_after_run")).otherwise(word.shift(-1)).alias("next_word"),
        pl.when(is_first_of("run")).then(pl.col("run_opens_sentence"))
        .otherwise(pl.col("ends_sentence").shift(1)).alias("sentence_start"),
        *WORD_PROPERTIES,
    )
    return words.with_columns((pl.col("word_start") + pl.col("word").str.len_bytes().cast(pl.Int64)).alias("word_end"))


def mark_covered(words: pl.DataFrame, matches: pl.DataFrame) -> pl.DataFrame:
    """covered: the word overlaps a gazetteer match; surname_start: the word starts exactly where a bare surname
    match starts; match_opens / match_closes: the word starts / ends that match; match_type: its entity type.
    Matches do not overlap and are sorted, so the only one that can overlap a word is the last match starting
    before the word ends."""
    previous = last_match_before(words["word_end"], matches.select("start", "end", "is_surname", "entity_type"),
                                 inclusive=False)
    covered = (previous["end"] > words["word_start"]).fill_null(False)
    return words.with_columns(
        covered.alias("covered"),
        (previous["is_surname"] & (previous["start"] == words["word_start"])).fill_null(False).alias("surname_start"),
        (covered & (previous["start"] == words["word_start"])).alias("match_opens"),
        (covered & (previous["end"] <= words["word_end"])).alias("match_closes"),
        pl.when(covered).then(previous["entity_type"]).alias("match_type"),
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


def ends_a_sentence(word: pl.Expr) -> pl.Expr:
    return word.str.contains(SENTENCE_END_WORD) & ~word.is_in(ABBREVIATIONS)


def ends_a_name(word: pl.Expr) -> pl.Expr:
    """A sentence end or a possessive closes a name: 'Obama. Trump', "Trump's White House" are two names."""
    return ends_a_sentence(word) | word.str.contains(POSSESSIVE)


def name_groups(words: pl.DataFrame, rules: CandidateRules) -> pl.DataFrame:
    """Cut runs into name groups. A sentence end or a possessive separates names; a title or role word ('Mr',
    'kryeministri', 'Home Secretary') is no part of a name: it ends the group before it, is dropped, and marks
    the group after it as titled. Connectors ('of', 'e', 'and') stay inside a group, and stop words too ('British
    Columbia'), and so do the words of gazetteer matches ('University of Texas', 'Dallas Morning News', 'Këshilli
    i Sigurisë i OKB-së'): which words are the name is the typer's call, and a name it makes around a match takes
    the match's place. A group of gazetteer words only is left to the gazetteer. Connectors are trimmed from a
    group's edges. Out: the kept words with group (a batch-wide id) and titled."""
    connector = pl.col("is_connector")
    title = pl.col("is_title")
    same_run = (pl.col("run") == pl.col("run").shift(1)).fill_null(False)
    covered = pl.col("covered")
    # A title, a connector and one capitalised word before a comma: the word is the title's portfolio, and the name
    # follows the comma ('Ministri i Mbrojtjes, Artan Hoxha', 'Sekretari i Thesarit, Scott Bessent', 'the Minister
    # of Defence, Ben Wallace'). An acronym there is an institution ('drejtori i FBI-së, Kash Patel'), a GeoNames
    # place a place ('Mayor of Brampton, Susan Fennell').
    portfolio = words.select(
        is_last_of("run") & pl.col("next_word").str.starts_with(",") & ~covered
        & connector.shift(1).fill_null(False) & title.shift(2).fill_null(False) & same_run
        & same_run.shift(1).fill_null(False)).to_series()
    # the acronym and place tests only on the few words the pattern holds
    held = portfolio.arg_true()
    not_held = words["word"].gather(held).to_frame().select(
        pl.col("word").str.contains(r"^\p{Lu}{2}")
        | candidate_key_expression(pl.col("word")).is_in(place_keys()["key"].implode())).to_series()
    portfolio = portfolio.scatter(held.filter(not_held), False)
    words = words.with_columns((role_words(words, rules) | portfolio).alias("role"))
    role = pl.col("role")
    grouped = words.with_columns(
        (is_first_of("run") | pl.col("ends_name").shift(1).fill_null(False) | role
         | role.shift(1).fill_null(False)).cum_sum().alias("group"),
        (title.shift(1).fill_null(False) & same_run).alias("titled"),
        covered.shift(-1).fill_null(False).alias("before_known"),
    ).filter(~role).drop("role")
    # A group's rows are consecutive: its first row's value, carried down, is cheaper than `.over("group")`.
    grouped = grouped.with_columns(pl.when(is_first_of("group")).then(pl.col("titled")).forward_fill()).filter(
        ~pl.when(is_first_of("group")).then(trailing_block_within(covered, "group")).forward_fill())
    # A stop word opening a sentence, standing before a known name or before a connector is not part of a name
    # ('Later Berisha left', 'But Microsoft', 'in October on Rosneft'); elsewhere it may be ('British Columbia').
    stop_before_known = (pl.col("is_stop_lower")
                         & (pl.col("sentence_start") | pl.col("before_known")
                            | connector.shift(-1).fill_null(False)))
    grouped = grouped.filter(~leading_block_within(stop_before_known | connector, "group"))
    return grouped.filter(~trailing_block_within(connector, "group"))


def role_words(words: pl.DataFrame, rules: CandidateRules) -> pl.Series:
    """Which words are a title phrase, not part of a name. A title ('Mr', 'minister', 'kryeministri') always is;
    modifiers ('of', 'State', 'General', 'Finance') only in a phrase of role words that holds a title, opens the
    run, or follows a gazetteer name or a possessive ('Secretary of State Rubio', 'UN Secretary General
    Guterres', 'Kosovo's Foreign Minister'). After another word they are the name's own ('University of Texas',
    'Hall of Fame', 'Ministry of Finance', 'Islamic State')."""
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    # The word before a phrase: the last other word before it, if it is in the same run.
    flagged = words.select(
        pl.col("is_role_word").alias("role_word"), "run",
    ).with_columns(pl.when(~pl.col("role_word")).then(index).forward_fill().alias("opener"))
    # Role words are few: the phrase test runs on their rows only.
    phrases = flagged.with_row_index("word_number").filter(pl.col("role_word"))
    opener_run = words["run"].gather(phrases["opener"].fill_null(0))
    follows_a_name_word = phrases["opener"].is_not_null() & (opener_run == phrases["run"])
    openers = words.select("covered", "word")[phrases["opener"].fill_null(0)]
    # A common word opening a sentence is no name either ('Shares of Northwind Traders Ltd fell').
    openers = openers.with_columns(words["sentence_start"].gather(phrases["opener"].fill_null(0)))
    opener_closes_a_name = openers.select(
        pl.col("covered") | ends_a_name(pl.col("word"))
        | (pl.col("sentence_start") & pl.col("word").str.to_lowercase().is_in(common_words().implode()))
    ).to_series()
    phrases = phrases.with_columns(
        words["lower"].gather(phrases["word_number"]).str.strip_chars_end(",").is_in(list(rules.titles)).alias("title"),
        pl.when(follows_a_name_word).then(phrases["opener"]).otherwise(-1 - phrases["run"].cast(pl.Int64)).alias("phrase"),
        (~follows_a_name_word | opener_closes_a_name).alias("opens"),
    ).with_columns((pl.col("title").any().over("phrase") | pl.col("opens")).alias("role"))
    return pl.zeros(words.height, dtype=pl.Boolean, eager=True).scatter(
        phrases.filter(pl.col("role"))["word_number"], True)


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




WORD_COLUMNS = ["row", "group", "start", "end", "word", "lower", "name_word", "previous_word", "next_word",
                "sentence_start", "group_position", "group_size", "is_connector", "covered", "match_type",
                "match_opens", "match_closes", "titled", "rule_type", "shape", "possessive", "is_stopword", "is_tail_word"]


def name_form(word: pl.Expr) -> pl.Expr:
    """A group's last word as it ends the name: no possessive ('Trump's' -> 'Trump'), no sentence dot, comma or
    colon, and no closing quote before that dot ('Youth’.'); the dot of an initial or abbreviation stays (U.S., Jr.,
    Inc.), and so does a corporate tail (sh.p.k.)."""
    bare = word.str.replace(r"['’]s?$", "")
    return (
        pl.when(word.is_in(CORPORATE_WORDS)).then(word)
        .when(ends_a_sentence(bare)).then(bare.str.strip_chars_end(".,;:!?").str.strip_chars_end("'’"))
        .when(~bare.str.ends_with(".")).then(bare.str.strip_chars_end(".,;:!?"))
        .otherwise(bare.str.strip_chars_end(",;:"))
    )


def word_shape(word: pl.Expr) -> pl.Expr:
    """One letter per word: A all capitals (NATO, KPK), I an initial (J.), X capitalised, c a connector, d digits."""
    return (
        pl.when(word.is_in(CONNECTOR_WORDS)).then(pl.lit("c"))
        .when(word.str.contains(r"^\p{Lu}\.$")).then(pl.lit("I"))
        .when(word.str.contains(r"^[\p{Lu}\p{N}.\-’']{2,}$") & word.str.contains(r"\p{Lu}.*\p{Lu}")).then(pl.lit("A"))
        .when(word.str.contains(r"^\p{N}")).then(pl.lit("d"))
        .otherwise(pl.lit("X"))
    )


def find_candidate_words(
    texts: pl.DataFrame, buffer: TextBuffer, matches: pl.DataFrame
) -> tuple[pl.DataFrame, pl.Series]:
    """The words the typer tags: every word of every name group (a capitalised run outside single gazetteer
    matches, cut as name_groups says), in buffer order. Columns: WORD_COLUMNS (start/end: buffer bytes of the
    word as it would end a name, see name_form). Also returns the starts of surname matches that became part of
    a candidate (see release_surnames_after_first_names)."""
    rules = load_candidate_rules()
    matches = matches.sort("start")
    runs = capitalised_runs(texts, buffer)
    runs = runs.filter(~covered_by_a_match(runs["run_start"], runs["run_end"], matches))
    words = release_surnames_after_first_names(mark_covered(run_words(runs, rules), matches), rules)
    released_starts = words.filter(pl.col("released"))["word_start"]
    grouped = name_groups(words, rules)
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    group_position = index - pl.when(is_first_of("group")).then(index).forward_fill()
    grouped = grouped.with_columns(group_position.alias("group_position")).with_columns(
        # a group's rows are consecutive: its last row's position, carried up
        (pl.when(is_last_of("group")).then(pl.col("group_position")).backward_fill() + 1).alias("group_size"),
    )
    grouped = grouped.join(runs.select("run", "row"), on="run", how="left", maintain_order="left")
    grouped = grouped.join(rule_types(grouped, rules), on="group", how="left", maintain_order="left")
    return grouped.with_columns(
        pl.col("word_start").alias("start"),
        (pl.col("word_start") + pl.col("name_word").str.len_bytes().cast(pl.Int64)).alias("end"),
    ).select(WORD_COLUMNS).filter(pl.col("name_word").str.len_bytes() > 0), released_starts


# What word_properties gives each word, besides lower.
WORD_PROPERTIES = ("name_word", "shape", "is_connector", "possessive", "is_stopword", "is_tail_word", "is_title",
                   "is_role_word", "is_stop_lower", "ends_sentence", "ends_name")


def word_properties(words: pl.Series, rules: CandidateRules) -> pl.DataFrame:
    """word, lower and WORD_PROPERTIES: what a word's own letters say (its name form, shape, whether it is a
    connector, a possessive, a stop, tail or title word, whether it ends a sentence or a name). A batch repeats few
    distinct words many times, so they are computed once per distinct word (and joined back)."""
    name_lower = pl.col("name_word").str.to_lowercase()
    return words.unique().to_frame("word").with_columns(
        pl.col("word").str.to_lowercase().alias("lower"),
        name_form(pl.col("word")).alias("name_word"),
        word_shape(pl.col("word")).alias("shape"),
        pl.col("word").is_in(CONNECTOR_WORDS).alias("is_connector"),
        pl.col("word").str.contains(POSSESSIVE).alias("possessive"),
        ends_a_sentence(pl.col("word")).alias("ends_sentence"),
        ends_a_name(pl.col("word")).alias("ends_name"),
    ).with_columns(
        # an Albanian ending after a hyphen leaves a stop word one ('PBB-së', 'GDP-ja')
        name_lower.str.replace(r"-\p{Ll}{1,4}$", "").is_in(list(rules.stopwords)).alias("is_stopword"),
        name_lower.is_in(list(rules.tail_words)).alias("is_tail_word"),
        pl.col("lower").str.strip_chars_end(",").is_in(list(rules.titles)).alias("is_title"),
        # a title or a title modifier (role_words), and the word as written a stop word (name_groups)
        pl.col("lower").str.strip_chars_end(",").is_in(list(rules.titles | rules.modifiers)).alias("is_role_word"),
        pl.col("lower").is_in(list(rules.stopwords)).alias("is_stop_lower"),
    )


def rule_types(grouped: pl.DataFrame, rules: CandidateRules) -> pl.DataFrame:
    """group, rule_type: the organisation_words.tsv type a group's words give (a feature for the typer)."""
    marked = grouped.with_columns(
        is_first_of("group").alias("is_first"), is_last_of("group").alias("is_last"),
        pl.col("name_word").alias("name_word"),
    )
    return type_of_groups(marked, rules)
