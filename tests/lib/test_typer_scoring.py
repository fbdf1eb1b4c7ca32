"""The typer's fast scoring path (lookups and feature strings once per distinct value, one weight gather per template) gives the
same probabilities and labels as a straightforward reference, on NTREX sentences: Albanian dev, English test (the
only English split; nothing is tuned here, the two computations are only compared)."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.lib.entities.features import (
    common_keys, first_names, is_common_word, lower_case_letters, place_keys, word_features, word_lookups,
)
from pipelines.lib.entities.mentions import candidate_words
from pipelines.lib.entities.resolve import candidate_key_expression
from pipelines.lib.entities.typer import TyperModel, class_probabilities, load_typer, sums_are_exact
from pipelines.lib.gazetteer import load_gazetteer
from pipelines.tooling.surname_eval import annotated_documents

NER_DATA = Path(__file__).resolve().parents[2] / "data" / "ner"


@pytest.fixture(scope="module", params=[("sq_ntrex", "sq", "dev"), ("en_ntrex", "en", "test")], ids=["sq", "en"])
def dev_words(request):
    corpus, language, split = request.param
    documents = annotated_documents(NER_DATA / corpus, language, split=split)
    texts = documents.select(pl.col("document_id").alias("article_id"), pl.lit("body").alias("field"), "text",
                             "language")
    words = candidate_words(texts, load_gazetteer())
    assert words.height > 500  # enough words, of every kind, for the comparison to mean something
    return words


def reference_probabilities(words: pl.DataFrame, model: TyperModel | None = None) -> np.ndarray:
    """The plain computation: every (word, feature) pair, joined to the vocabulary, weight rows summed per word in
    template order."""
    model = model or load_typer()
    # maintain_order: the rows must stay in template order, or an order-dependent model's sums differ
    features = word_features(words).join(model.vocabulary, on="feature", how="inner", maintain_order="left")
    rows = model.weights[features["feature_index"].to_numpy()].astype(np.float64)
    scores = np.zeros((words.height, len(model.classes)))
    np.add.at(scores, features["word"].to_numpy(), rows)
    exponentials = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def test_probabilities_and_labels_match_the_reference(dev_words):
    model = load_typer()
    assert model.sums_are_exact  # so the sums per template group are the reference's, bit for bit
    fast = class_probabilities(dev_words, model)
    reference = reference_probabilities(dev_words)
    np.testing.assert_array_equal(fast, reference)
    assert (fast.argmax(axis=1) == reference.argmax(axis=1)).all()
    # Not a degenerate comparison: the words get more than one label.
    assert len(set(reference.argmax(axis=1).tolist())) > 2


def test_lookups_once_per_distinct_word_equal_the_lookups_per_row(dev_words):
    shared = dev_words.join(word_lookups(dev_words), on="word", how="left", maintain_order="left")
    per_row = dev_words.with_columns(
        candidate_key_expression(pl.col("name_word")).alias("key"),
        pl.col("lower").str.strip_chars_end(".").is_in(first_names()).alias("first_name"),
        is_common_word(pl.col("name_word")).alias("common"),
    ).with_columns(pl.col("key").is_in(common_keys().implode()).alias("common_stem")).join(
        place_keys(), on="key", how="left", maintain_order="left")
    columns = ["key", "first_name", "common", "common_stem", "place_kind"]
    assert shared.height == dev_words.height
    assert shared.select(columns).equals(per_row.select(columns))
    assert per_row["first_name"].any() and per_row["common"].any() and per_row["place_kind"].is_not_null().any()


def test_lower_case_letters_equal_a_regex_count_per_text():
    texts = pl.Series([None, "", "ABC", "abc xyz", "", "ëç ÇË ǅ ß x ǆ", None, "Mixed Title Words here", "ÉCOLE",
                       "", "ﬁ ǈ µ ª", "z"] * 3)
    for sample in (texts, texts.slice(5, 20), pl.concat([texts.slice(1, 4), texts.slice(9, 3)], rechunk=False)):
        expected = sample.str.count_matches(r"\p{Ll}").cast(pl.Int64)
        assert lower_case_letters(sample).equals(expected)
    # several megabytes, summed a piece at a time: texts across the cuts, one longer than a piece, empty ones between
    long = pl.Series(["Ab cd ë " * 200_000, "", "xY" * 700_000, None, "q", "ÇË" * 10] * 2)
    assert lower_case_letters(long).equals(long.str.count_matches(r"\p{Ll}").cast(pl.Int64))


def test_an_english_plural_of_a_common_word_is_common():
    words = pl.DataFrame({"name_word": ["Premiums", "Premium", "Zelvians", "Kowalczyk"]})
    assert words.select(is_common_word(pl.col("name_word"))).to_series().to_list() == [True, True, False, False]


def test_weights_whose_sums_depend_on_the_order_are_summed_in_model_order(dev_words):
    """A weight of 1e-12 beside weights near 1 is lost or kept depending on the order of the additions: such a model
    is scored template by template, in model order, as the reference sums its rows."""
    model = load_typer()
    weights = model.weights.copy()
    weights[0, 0] = np.float32(1e-12)
    assert not sums_are_exact(weights, terms=32) and sums_are_exact(model.weights, terms=32)
    inexact = TyperModel(model.classes, model.vocabulary, weights, "test")
    assert not inexact.sums_are_exact
    np.testing.assert_array_equal(class_probabilities(dev_words, inexact), reference_probabilities(dev_words, inexact))
