"""Features of candidate words for the typer, as Polars expressions: the word, its affixes (Albanian case endings),
shape, place in its name group, neighbouring words, sentence position, text casing, rule types and lookup flags."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from pipelines.lib.entities.resolve import candidate_key_expression

LOOKUPS_DIRECTORY = Path(__file__).resolve().parents[2] / "reference" / "lookups"
# Text whose letters are mostly capitals (an ALL-CAPS headline, a table header) or mostly capitalised words
# (a Title Case headline): capitalisation says little there, and the model should know it.
CASING_BUCKETS = ((0.2, "caps"), (0.55, "title"))


@lru_cache(maxsize=1)
def first_names() -> tuple[str, ...]:
    """Lower-case first names: shared/ner/sq/names (MIT, see first_names.LICENSE)."""
    text = (LOOKUPS_DIRECTORY / "first_names.txt").read_text(encoding="utf-8")
    return tuple(sorted({line.strip().lower() for line in text.splitlines() if line.strip()}))


@lru_cache(maxsize=1)
def common_words() -> pl.Series:
    """Words usually written in lower case (see pipelines/tooling/build_lookups.py)."""
    text = (LOOKUPS_DIRECTORY / "common_words.txt").read_text(encoding="utf-8")
    return pl.Series([line for line in text.splitlines() if line])


@lru_cache(maxsize=1)
def common_keys() -> pl.Series:
    """The cand: keys of the common words with Albanian case endings folded ('tarifat', 'tarifa' -> 'cand:tarif'),
    so an inflected form of a common noun counts as common too."""
    keys = pl.DataFrame({"word": common_words(), "language": "sq"}).select(
        candidate_key_expression(pl.col("word")).alias("key"))
    return keys.to_series().unique()


@lru_cache(maxsize=1)
def place_keys() -> pl.DataFrame:
    """key (a cand: key, as candidate_key_expression makes it), place_kind (GPE or LOC): GeoNames places."""
    places = pl.read_csv(LOOKUPS_DIRECTORY / "places.tsv", separator="\t", schema={"name": pl.String, "kind": pl.String})
    return (places.with_columns(pl.lit("en").alias("language"))
            .select(candidate_key_expression(pl.col("name")).alias("key"), pl.col("kind").alias("place_kind"))
            .unique("key", keep="first"))


def lower_case_letters(text: pl.Series) -> pl.Series:
    """How many lower-case letters (\\p{Ll}) each text holds. A regex match per letter is slow, so ASCII letters
    are counted with numpy over the column's bytes, and the regex counts only the non-ASCII ones (ë, ç: few)."""
    array = text.fill_null("").rechunk().to_arrow().cast(pa.large_string())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + len(array) + 1]
    values = array.buffers()[2]
    byte_values = np.frombuffer(values, dtype=np.uint8) if values is not None else np.zeros(0, dtype=np.uint8)
    used = byte_values[offsets[0]:offsets[-1]] if len(array) else byte_values[:0]
    ascii_counts = np.zeros(len(array), dtype=np.int64)
    # ASCII lower-case bytes summed per text; the empty texts, which have no bytes, are left out of the cuts
    filled = np.flatnonzero(np.diff(offsets) > 0)
    if filled.size:
        lower = ((used - np.uint8(0x61)) < 26).view(np.uint8)
        starts = offsets[filled] - offsets[0]
        # reduceat casts its whole input to the sum's type at once (8 bytes a byte of text, each new page a fault):
        # summed a megabyte of text at a time, the cast stays small and reused (a loop over pieces, not texts).
        pieces = np.unique(np.append(np.searchsorted(starts, np.arange(0, len(lower), 1 << 20)), len(starts)))
        for first, last in zip(pieces[:-1], pieces[1:]):
            low, high = starts[first], starts[last] if last < len(starts) else len(lower)
            ascii_counts[filled[first:last]] = np.add.reduceat(lower[low:high], starts[first:last] - low,
                                                               dtype=np.int64)
    # null for a null text, as a count over it would be
    others = text.str.count_matches(r"[\p{Ll}--\x00-\x7F]").cast(pl.Int64)
    return pl.Series(ascii_counts) + others


def text_casing(texts: pl.DataFrame) -> pl.Series:
    """Per text: 'caps', 'title' or 'prose', from the share of lower-case letters among its characters."""
    share = lower_case_letters(texts["text"]) / texts["text"].str.len_chars().clip(1)
    expression = pl.lit("prose")
    for limit, name in reversed(CASING_BUCKETS):
        expression = pl.when(pl.col("share") < limit).then(pl.lit(name)).otherwise(expression)
    return pl.DataFrame({"share": share}).select(expression).to_series()


def context_shape(word: pl.Expr) -> pl.Expr:
    return (
        pl.when(word.is_null()).then(pl.lit("none"))
        .when(word.str.contains(r"^\p{Ll}")).then(pl.lit("lower"))
        .when(word.str.contains(r"^\p{N}")).then(pl.lit("digit"))
        .when(word.str.contains(r"^\p{Lu}")).then(pl.lit("upper"))
        .otherwise(word.str.slice(0, 1))
    )


def is_common_word(word: pl.Expr) -> pl.Expr:
    """The word, lower-cased, is a common word, or an English plural of one ('Premiums will ...', 'Officials')."""
    lower = word.str.to_lowercase()
    return lower.is_in(common_words().implode()) | lower.str.strip_suffix("s").is_in(common_words().implode())


def word_lookups(words: pl.DataFrame) -> pl.DataFrame:
    """word, word_code (a number per distinct word), name_lower, key (cand:), first_name, common, common_stem,
    place_kind: what the word alone gives (its name_word and lower are its own). A batch repeats few distinct words
    many times, so these run once per distinct word (the cand: key, the costliest, once rather than twice per word)
    and are joined back."""
    return words.select("word", "name_word", "lower").unique("word").with_columns(
        pl.col("name_word").str.to_lowercase().alias("name_lower"),
        candidate_key_expression(pl.col("name_word")).alias("key"),
        pl.col("lower").str.strip_chars_end(".").is_in(first_names()).alias("first_name"),
        is_common_word(pl.col("name_word")).alias("common"),
    ).with_columns(
        pl.col("key").is_in(common_keys().implode()).alias("common_stem"),
    ).join(place_keys(), on="key", how="left").drop("name_word", "lower").with_row_index("word_code")


def group_shapes(words: pl.DataFrame, letters: int) -> pl.Expr:
    """The shape letters of the first `letters` words of each word's group joined: a group's words are consecutive
    rows, so these are gathers at fixed distances from the group's first row (cheaper than `.over("group")`)."""
    first_row = pl.int_range(pl.len(), dtype=pl.Int64) - pl.col("group_position")
    last_row = words.height - 1
    return pl.concat_str(
        [pl.when(pl.col("group_size") > distance).then(pl.col("shape").gather((first_row + distance).clip(0, last_row)))
         .otherwise(pl.lit("")) for distance in range(letters)]
    )


def feature_inputs(words: pl.DataFrame) -> pl.DataFrame:
    """Every value a feature template reads, one row per word of `words` (the candidate columns, see
    find_candidate_words, plus language and casing). What depends on neighbouring rows (the words before and after
    in the group, the group's shape) is computed here, so the templates below read their own row only."""
    same_group_before = (pl.col("group") == pl.col("group").shift(1)).fill_null(False)
    same_group_after = (pl.col("group") == pl.col("group").shift(-1)).fill_null(False)
    name_lower = pl.col("name_lower")
    return words.join(word_lookups(words), on="word", how="left", maintain_order="left").with_columns(
        pl.col("language").fill_null("xx"),
        pl.col("group_size").clip(1, 4).cast(pl.String).alias("size"),
        (pl.when(pl.col("group_size") == 1).then(pl.lit("only"))
         .when(pl.col("group_position") == 0).then(pl.lit("first"))
         .when(pl.col("group_position") == pl.col("group_size") - 1).then(pl.lit("last"))
         .otherwise(pl.lit("middle"))).alias("position"),
        # The shape of the word before / after in the group (null at its edges, where the template reads the
        # neighbouring word of the text instead).
        pl.when(same_group_before).then(pl.col("shape").shift(1)).alias("group_shape_before"),
        pl.when(same_group_after).then(pl.col("shape").shift(-1)).alias("group_shape_after"),
        pl.when(same_group_before).then(name_lower.shift(1)).alias("lower_before"),
        pl.when(same_group_after).then(name_lower.shift(-1)).alias("lower_after"),
        group_shapes(words, 6).alias("group_shape"),
    )


def feature_templates() -> list[pl.Expr]:
    """The feature templates over feature_inputs, in model order: one String per word each (null where the
    template does not fire). Each reads its own row only; a new template also goes into TEMPLATE_GROUPS."""
    language = pl.col("language")
    lower = pl.col("name_lower")
    previous_lower = pl.col("previous_word").str.to_lowercase().str.strip_chars("\"'“”‘’«»()[],")
    next_lower = pl.col("next_word").str.to_lowercase().str.strip_chars("\"'“”‘’«»()[],.")
    size, position = pl.col("size"), pl.col("position")
    shape_before = pl.coalesce("group_shape_before", context_shape(pl.col("previous_word"))).fill_null("none")
    shape_after = pl.coalesce("group_shape_after", context_shape(pl.col("next_word"))).fill_null("none")

    def when(condition: pl.Expr, feature: pl.Expr) -> pl.Expr:
        return pl.when(condition).then(feature)

    return [
        pl.lit("bias"),
        "lang=" + language,
        "w=" + lower,
        "lang+w=" + language + "|" + lower,
        "s2=" + language + lower.str.slice(-2),
        "s3=" + language + lower.str.slice(-3),
        "s4=" + language + lower.str.slice(-4),
        "p3=" + lower.str.slice(0, 3),
        "sh=" + pl.col("shape"),
        "pos=" + position + "|" + size,
        "pos+sh=" + position + "|" + pl.col("group_shape"),
        "pw=" + previous_lower.fill_null("<none>"),
        "nw=" + next_lower.fill_null("<none>"),
        "pw+w=" + previous_lower.fill_null("<none>") + "|" + lower,
        "w+nw=" + lower + "|" + next_lower.fill_null("<none>"),
        "shb=" + shape_before + "|" + pl.col("shape"),
        "sha=" + pl.col("shape") + "|" + shape_after,
        when(pl.col("lower_before").is_not_null(), "gw-1=" + pl.col("lower_before").fill_null("")),
        when(pl.col("lower_after").is_not_null(), "gw+1=" + pl.col("lower_after").fill_null("")),
        when(pl.col("sentence_start"), "ss=" + size + "|" + pl.col("common").cast(pl.String)),
        when(pl.col("sentence_start"), "ssw=" + lower),
        when(pl.col("titled"), "titled=" + position),
        when(pl.col("rule_type").is_not_null(), "rule=" + pl.col("rule_type").fill_null("") + "|" + position),
        "case=" + pl.col("casing") + "|" + pl.col("shape") + "|" + pl.col("common").cast(pl.String),
        "common=" + pl.col("common").cast(pl.String) + "|" + position + "|" + pl.col("sentence_start").cast(pl.String),
        "common_stem=" + language + pl.col("common_stem").cast(pl.String) + "|" + position + "|"
        + pl.col("sentence_start").cast(pl.String),
        when(pl.col("first_name"), "first_name=" + position),
        when(pl.col("place_kind").is_not_null(), "place=" + pl.col("place_kind").fill_null("") + "|" + position),
        when(pl.col("covered"), "gazetteer=" + pl.col("match_type").fill_null("-") + "|" + position + "|"
             + pl.col("match_opens").cast(pl.String)),
        when(pl.col("is_connector"), "connector=" + lower),
        when(pl.col("possessive"), pl.lit("possessive")),
        when(pl.col("is_stopword"), "stop=" + position),
        # The lookups again, per language: a GeoNames place or a common word says more in one language's text than
        # in another's (an unknown capitalised word in Albanian news leans to a person; in tweets to nothing).
        when(pl.col("place_kind").is_not_null(), "lang+place=" + language + "|" + pl.col("place_kind").fill_null("")
             + "|" + position),
        "lang+common=" + language + "|" + pl.col("common").cast(pl.String) + "|" + position + "|"
        + pl.col("sentence_start").cast(pl.String),
    ]


# Which feature_inputs columns each template reads, as groups of templates (by their index in feature_templates)
# with the columns that determine them all. A batch has far fewer distinct values of these columns than words, so
# the run-time path builds each template's strings once per distinct value (see distinct_feature_indexes).
# A template reading a column its group does not list would get another row's value: the reference test in
# tests/lib/test_typer_scoring.py compares this path with feature_columns over every word.
TEMPLATE_GROUPS: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...] = (
    # word_code stands for everything the word alone gives: name_lower, shape, is_connector, possessive, common,
    # common_stem, first_name, place_kind, is_stopword (see word_lookups and candidates.word_properties).
    (("language", "word_code"), (0, 1, 2, 3, 4, 5, 6, 7, 8, 29, 30)),
    (("language", "word_code", "size", "position", "sentence_start", "titled", "casing"),
     (9, 19, 20, 21, 23, 24, 25, 26, 27, 31, 32, 33)),
    (("position", "group_shape"), (10,)),
    (("previous_word", "word_code", "group_shape_before"), (11, 13, 15)),
    (("next_word", "word_code", "group_shape_after"), (12, 14, 16)),
    (("lower_before", "lower_after"), (17, 18)),
    (("rule_type", "position", "covered", "match_type", "match_opens"), (22, 28)),
)


def feature_columns(words: pl.DataFrame) -> pl.DataFrame:
    """One String column per feature template (f0, f1, ...; null where it does not fire), a row per word."""
    return feature_inputs(words).select(feature.alias(f"f{index}") for index, feature in enumerate(feature_templates()))


def distinct_feature_indexes(words: pl.DataFrame, vocabulary: pl.DataFrame, unknown: int,
                             ) -> list[tuple[np.ndarray, dict[int, np.ndarray]]]:
    """Per template group (TEMPLATE_GROUPS order): each word's distinct value of the group's columns (a number), and
    for each of the group's templates the feature_index in `vocabulary` of every distinct value (`unknown` where
    the template does not fire or its feature is not in the vocabulary). A word's feature_index for a template is
    its value's: the same as joining feature_columns to the vocabulary, but each template's strings are built and
    looked up once per distinct value of its group's columns."""
    inputs = feature_inputs(words).with_row_index("word_number")
    templates = feature_templates()
    # Per group: each word's distinct value (its number in the group's table) and the templates' strings per
    # distinct value, stacked into one long frame so the vocabulary is joined (hashed) once, not once per template.
    value_of_word, strings = {}, []
    for group, (key_columns, members) in enumerate(TEMPLATE_GROUPS):
        distinct = inputs.group_by(key_columns).agg(pl.col("word_number"))
        # word -> its distinct value's number: the groups' member lists, scattered back.
        numbers = np.empty(words.height, dtype=np.int64)
        numbers[distinct["word_number"].explode().to_numpy()] = np.repeat(
            np.arange(distinct.height), distinct["word_number"].list.len().to_numpy())
        value_of_word[group] = numbers
        representatives = inputs.gather(distinct["word_number"].list.first())
        # with_columns, not select: a template that is a literal ('bias') still gives one row per value.
        strings += [representatives.with_columns(templates[index].alias("feature")).select("feature")
                    for index in members]
    looked_up = pl.concat(strings).join(vocabulary, on="feature", how="left", maintain_order="left")
    feature_index = looked_up["feature_index"].fill_null(unknown).to_numpy()
    bounds = np.cumsum([0] + [frame.height for frame in strings])
    groups, position = [], 0
    for group, (_, members) in enumerate(TEMPLATE_GROUPS):
        per_template = {}
        for index in members:
            per_template[index] = feature_index[bounds[position]:bounds[position + 1]]
            position += 1
        groups.append((value_of_word[group], per_template))
    if sorted(index for _, per_template in groups for index in per_template) != list(range(len(templates))):
        raise ValueError("every feature template must be in exactly one of TEMPLATE_GROUPS")
    return groups


def word_features(words: pl.DataFrame) -> pl.DataFrame:
    """word (row number in `words`), feature: the long form of feature_columns, as training reads it."""
    columns = feature_columns(words)
    return (
        columns.select(pl.concat_list(columns.columns).alias("feature"))
        .with_row_index("word")
        .explode("feature")
        .drop_nulls("feature")
        .with_columns(pl.col("word").cast(pl.Int64))
    )
