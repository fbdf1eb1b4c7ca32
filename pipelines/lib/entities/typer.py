"""The learned typer: a multinomial logistic regression over word features that tags each candidate word B-TYPE,
I-TYPE or O (not a name); weights in models/typer.npz, scored with numpy; names from the tags, then a per-article vote."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.lib.entities.features import distinct_feature_indexes, feature_templates
from pipelines.lib.entities.frames import leading_block_within, trailing_block_within

MODEL_PATH = Path(__file__).resolve().parents[3] / "models" / "typer.npz"
NOT_ENTITY = "O"
NAME_THRESHOLD = float(os.environ.get("KRONIKA_TYPER_THRESHOLD", "0.5"))


@dataclass(frozen=True)
class TyperModel:
    classes: tuple[str, ...]  # classes[0] is NOT_ENTITY ('O'), then B-TYPE / I-TYPE tags
    vocabulary: pl.DataFrame  # feature (String), feature_index (Int64)
    weights: np.ndarray  # float32, (len(vocabulary), len(classes)); the bias is the 'bias' feature's row
    version: str  # sha256[:16] of the weights file: part of the extraction version

    @staticmethod
    def load(path: Path = MODEL_PATH) -> TyperModel:
        import hashlib  # noqa: PLC0415

        with np.load(path, allow_pickle=False) as archive:
            classes = tuple(str(name) for name in archive["classes"])
            features = archive["features"].tolist()
            weights = archive["weights"].astype(np.float32)
        if classes[0] != NOT_ENTITY or weights.shape != (len(features), len(classes)):
            raise ValueError(f"{path}: not a typer model (classes {classes}, weights {weights.shape})")
        vocabulary = pl.DataFrame({"feature": features, "feature_index": np.arange(len(features), dtype=np.int64)})
        return TyperModel(classes, vocabulary, weights, hashlib.sha256(path.read_bytes()).hexdigest()[:16])

    @cached_property
    def summing_weights(self) -> np.ndarray:
        """The weights in float64 with a zero row after the last (the index of a feature that does not fire)."""
        return np.vstack([self.weights, np.zeros((1, len(self.classes)), dtype=self.weights.dtype)]).astype(np.float64)

    @cached_property
    def sums_are_exact(self) -> bool:
        return sums_are_exact(self.weights, terms=len(feature_templates()))


@lru_cache(maxsize=1)
def load_typer(path: Path = MODEL_PATH) -> TyperModel:
    return TyperModel.load(path)


def class_probabilities(words: pl.DataFrame, model: TyperModel) -> np.ndarray:
    """(len(words), len(classes)) softmax probabilities: the features' weight rows summed per word."""
    if words.is_empty():
        return np.zeros((0, len(model.classes)))
    # A word has at most one feature per template; a template that does not fire points at a zero row.
    weights = model.summing_weights
    scores = np.zeros((words.height, len(model.classes)))
    groups = distinct_feature_indexes(words, model.vocabulary, unknown=len(model.weights))
    if model.sums_are_exact:
        # Any order gives the same sums, bit for bit: each group's rows are summed once per distinct value of its
        # columns (few), and each word adds one row per group instead of one per template.
        gathered = np.empty_like(scores)  # reused: a fresh array of this size per group costs its page faults
        for value_of_word, per_template in groups:
            group_scores = sum(weights.take(feature_index, axis=0) for feature_index in per_template.values())
            scores += np.take(group_scores, value_of_word, axis=0, out=gathered)
    else:
        # Rows added template by template in model order (the order a word-by-feature frame would sum them in).
        by_template = {index: (value_of_word, feature_index) for value_of_word, per_template in groups
                       for index, feature_index in per_template.items()}
        for index in sorted(by_template):
            value_of_word, feature_index = by_template[index]
            scores += weights.take(feature_index.take(value_of_word), axis=0)
    scores -= scores.max(axis=1, keepdims=True)
    exponentials = np.exp(scores, out=scores)
    exponentials /= exponentials.sum(axis=1, keepdims=True)
    return exponentials


def sums_are_exact(weights: np.ndarray, terms: int) -> bool:
    """Whether float64 sums of up to `terms` of these float32 weights are exact, so their order cannot change them:
    each weight is a whole multiple of 2**(e - 24) (e its binary exponent; float32 keeps 24 bits), so every partial
    sum is a whole multiple of the smallest such step, and float64 holds it exactly below 2**53 steps."""
    nonzero = np.abs(weights[weights != 0].astype(np.float64))
    if weights.dtype != np.float32 or not nonzero.size:
        return weights.dtype == np.float32
    _, exponents = np.frexp(nonzero)
    step = 2.0 ** (int(exponents.min()) - 24)
    return bool(terms * nonzero.max() < step * 2.0 ** 53)


def entity_types(classes: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(name[2:] for name in classes if name != NOT_ENTITY))


def tag_names(words: pl.DataFrame, probabilities: np.ndarray, classes: tuple[str, ...]) -> pl.DataFrame:
    """Names from the words' likeliest tags: a name is a maximal run of words of one group tagged B-/I- (an
    I- right after an O also takes that word in: the tagger saw a name continuing), and its type is the one
    whose tags are likeliest on average over its words. A connector is inside only between two name words; a
    name of gazetteer words only is left to the gazetteer, one of stop words only (name_stopwords.txt: function
    words, months, demonyms) is no name, and one cutting a gazetteer match in two is dropped.
    A B- tag whose type differs from the word before it begins a new name.
    Out: row, start, end (buffer bytes), entity_type, score (the mean probability of that type), p_<TYPE>."""
    types = entity_types(classes)
    # A word is tagged inside a name when the tags of names together outweigh NAME_THRESHOLD (chosen on the dev
    # splits: below one half, since O is the majority class the model leans to); its tag is the likeliest of them.
    name_tags = probabilities[:, 1:].argmax(axis=1) + 1
    tags = np.where(probabilities[:, 0] < 1.0 - NAME_THRESHOLD, name_tags, classes.index(NOT_ENTITY))
    type_probabilities = {name: probabilities[:, [i for i, c in enumerate(classes) if c[2:] == name]].sum(axis=1)
                          for name in types}
    # Read per class, then gathered by each word's class index: the tag's prefix, and its type as a number (one per
    # distinct type, O included), which is all a comparison of types needs.
    tag_types = [name.lstrip("BI").lstrip("-") for name in classes]
    type_numbers = {name: number for number, name in enumerate(dict.fromkeys(tag_types))}
    tagged = words.with_columns(
        pl.Series("tagged", tags != classes.index(NOT_ENTITY), dtype=pl.Boolean),
        pl.Series("continuing", np.array([name.startswith("I-") for name in classes])[tags], dtype=pl.Boolean),
        pl.Series("begins", np.array([name.startswith("B-") for name in classes])[tags], dtype=pl.Boolean),
        pl.Series("tag_type", np.array([type_numbers[name] for name in tag_types], dtype=np.int64)[tags]),
        *(pl.Series(f"p_{name}", values, dtype=pl.Float64) for name, values in type_probabilities.items()),
    )
    same_group_before = (pl.col("group") == pl.col("group").shift(1)).fill_null(False)
    same_group_after = (pl.col("group") == pl.col("group").shift(-1)).fill_null(False)
    pulls_previous = pl.col("continuing") & same_group_before & ~pl.col("tagged").shift(1).fill_null(True)
    tagged = tagged.with_columns(
        (pl.col("tagged") | (pulls_previous.shift(-1).fill_null(False) & ~pl.col("is_connector"))).alias("inside"))
    # A tail word (name_tail_words.txt: 'Sky News', 'Sheffield Wednesday') continues the name before it.
    tagged = tagged.with_columns(pl.col("inside") | (pl.col("is_tail_word") & same_group_before
                                                     & pl.col("inside").shift(1).fill_null(False)))
    between = (same_group_before & pl.col("inside").shift(1).fill_null(False)
               & same_group_after & pl.col("inside").shift(-1).fill_null(False))
    tagged = tagged.with_columns(pl.col("inside") & (~pl.col("is_connector") | between))
    # A B- tag of another type than the word before begins a new name ('SHBA-së Elizabeth Warren' is two).
    new_type = pl.col("begins") & (pl.col("tag_type") != pl.col("tag_type").shift(1)).fill_null(False)
    name_start = pl.col("inside") & ~(same_group_before & pl.col("inside").shift(1).fill_null(False) & ~new_type)
    # A connector never ends a name, also where a new type begins right after it ('Lidhja ... e | Kosovës').
    connector_edge = pl.col("is_connector")
    names = (
        tagged.with_columns(name_start.cum_sum().alias("name"))
        .filter(pl.col("inside"))
        .filter(~leading_block_within(connector_edge, "name") & ~trailing_block_within(connector_edge, "name"))
        .group_by("name", maintain_order=True)
        .agg(
            pl.col("row").first(), pl.col("start").first(), pl.col("end").last(),
            # Gazetteer words joined by connectors only ('Romania and Central Europe') stay the gazetteer's.
            (pl.col("covered") | pl.col("is_connector")).all().alias("all_covered"),
            pl.col("is_stopword").all().alias("all_stopwords"),
            (~pl.col("covered").first() | pl.col("match_opens").first()).alias("opens_cleanly"),
            (~pl.col("covered").last() | pl.col("match_closes").last()).alias("closes_cleanly"),
            *(pl.col(f"p_{name}").mean() for name in types),
        )
    )
    names = names.filter(~pl.col("all_covered") & ~pl.col("all_stopwords") & pl.col("opens_cleanly")
                         & pl.col("closes_cleanly")).drop("name", "all_covered", "all_stopwords", "opens_cleanly",
                                                          "closes_cleanly")
    return names.with_columns(likeliest_type(types, "p_").alias("entity_type"),
                              pl.max_horizontal(f"p_{name}" for name in types).alias("score"))


def likeliest_type(types: list[str], prefix: str) -> pl.Expr:
    """The type whose column (prefix + type) is highest, the first of them on a tie (as a list's arg_max reads it),
    by comparisons with the row's maximum: no list per row."""
    highest = pl.max_horizontal(prefix + name for name in types)
    expression = pl.lit(None, dtype=pl.String)
    for name in reversed(types):
        expression = pl.when(pl.col(prefix + name) == highest).then(pl.lit(name)).otherwise(expression)
    return expression


def vote_types(names: pl.DataFrame, classes: tuple[str, ...]) -> pl.DataFrame:
    """One type for every repeat of a name in an article (by its cand: key): the class whose probabilities sum
    highest over the repeats. `names` needs article, entity_id and the p_<class> columns."""
    if names.is_empty():
        return names
    named = entity_types(classes)
    summed = names.group_by("article", "entity_id").agg(pl.col(f"p_{name}").sum() for name in named)
    voted = summed.select("article", "entity_id", likeliest_type(named, "p_").alias("voted_type"))
    return names.join(voted, on=["article", "entity_id"], how="left", maintain_order="left").with_columns(
        pl.col("voted_type").alias("entity_type")).drop("voted_type")
