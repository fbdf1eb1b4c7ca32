"""Features of candidate words for the typer, as Polars expressions: the word, its affixes (Albanian case endings),
shape, place in its name group, neighbouring words, sentence position, text casing, rule types and lookup flags."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl

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


def text_casing(texts: pl.DataFrame) -> pl.Series:
    """Per text: 'caps', 'title' or 'prose', from the share of lower-case letters among its characters."""
    share = texts.select(
        pl.col("text").str.count_matches(r"\p{Ll}") / pl.col("text").str.len_chars().clip(1)
    ).to_series()
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


def word_lookups(words: pl.DataFrame) -> pl.DataFrame:
    """name_word, lower, key (cand:), first_name, common, common_stem, place_kind: the lookups, which read the word
    alone. A batch repeats few distinct words many times, so they run once per distinct (name_word, lower) pair
    (the cand: key, the costliest, once rather than twice per word) and are joined back."""
    return words.select("name_word", "lower").unique().with_columns(
        candidate_key_expression(pl.col("name_word")).alias("key"),
        pl.col("lower").str.strip_chars_end(".").is_in(first_names()).alias("first_name"),
        pl.col("name_word").str.to_lowercase().is_in(common_words().implode()).alias("common"),
    ).with_columns(
        pl.col("key").is_in(common_keys().implode()).alias("common_stem"),
    ).join(place_keys(), on="key", how="left")


def feature_columns(words: pl.DataFrame) -> pl.DataFrame:
    """One String column per feature template (null where the template does not fire), a row per word of
    `words`, which needs the candidate columns (see find_candidate_words) plus language and casing."""
    language = pl.col("language").fill_null("xx")
    lower = pl.col("name_word").str.to_lowercase()
    previous_lower = pl.col("previous_word").str.to_lowercase().str.strip_chars("\"'“”‘’«»()[],")
    next_lower = pl.col("next_word").str.to_lowercase().str.strip_chars("\"'“”‘’«»()[],.")
    size = pl.col("group_size").clip(1, 4).cast(pl.String)
    position = (pl.when(pl.col("group_size") == 1).then(pl.lit("only"))
                .when(pl.col("group_position") == 0).then(pl.lit("first"))
                .when(pl.col("group_position") == pl.col("group_size") - 1).then(pl.lit("last"))
                .otherwise(pl.lit("middle")))
    same_group_before = (pl.col("group") == pl.col("group").shift(1)).fill_null(False)
    same_group_after = (pl.col("group") == pl.col("group").shift(-1)).fill_null(False)
    shape_before = pl.when(same_group_before).then(pl.col("shape").shift(1)).otherwise(context_shape(pl.col("previous_word")))
    shape_after = pl.when(same_group_after).then(pl.col("shape").shift(-1)).otherwise(context_shape(pl.col("next_word")))
    with_lookups = words.with_columns(
        pl.when(same_group_before).then(lower.shift(1)).alias("lower_before"),
        pl.when(same_group_after).then(lower.shift(-1)).alias("lower_after"),
    ).join(word_lookups(words), on=["name_word", "lower"], how="left", maintain_order="left", nulls_equal=True)
    group_shape = pl.col("shape").str.join("").over("group").str.slice(0, 6)

    def when(condition: pl.Expr, feature: pl.Expr) -> pl.Expr:
        return pl.when(condition).then(feature)

    features = [
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
        "pos+sh=" + position + "|" + group_shape,
        "pw=" + previous_lower.fill_null("<none>"),
        "nw=" + next_lower.fill_null("<none>"),
        "pw+w=" + previous_lower.fill_null("<none>") + "|" + lower,
        "w+nw=" + lower + "|" + next_lower.fill_null("<none>"),
        "shb=" + shape_before.fill_null("none") + "|" + pl.col("shape"),
        "sha=" + pl.col("shape") + "|" + shape_after.fill_null("none"),
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
    ]
    return with_lookups.select(feature.alias(f"f{index}") for index, feature in enumerate(features))


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
