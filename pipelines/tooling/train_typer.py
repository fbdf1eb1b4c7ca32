"""Trains the entity typer (multinomial logistic regression over span features) on the train splits of the NER
sets and writes models/typer.npz. Run: python -m pipelines.tooling.train_typer (needs the `train` extra)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.lib.entities.features import word_features
from pipelines.lib.entities.mentions import candidate_words
from pipelines.lib.entities.typer import MODEL_PATH, NOT_ENTITY
from pipelines.lib.gazetteer import Gazetteer, load_gazetteer
from pipelines.tooling.ner_data import IGNORE, load_documents

SEED = 20261203
TYPES = ("PERSON", "ORG", "GPE", "LOC", "EVENT", "OTHER")
CLASSES = (NOT_ENTITY, *(f"{tag}-{name}" for name in TYPES for tag in ("B", "I")))
MINIMUM_FEATURE_COUNT = 2
TWEETS = ("btc", "wnut17")
TWEET_WEIGHT = 1.0
TWEET_CASING = "tweet-"  # prefix of a tweet word's casing value in training (see labelled_words)
REGULARISATION = 1.0  # sklearn's C; chosen on the dev splits (see models/MODEL_CARD.md)
# English sets mark every place LOC. A place whose name has a landform or facility word, or is a continent, stays
# LOC; other English places (towns, countries, states: the bulk in news) are trained as GPE.
LANDFORM_WORDS = (
    "river", "mountain", "mountains", "mount", "mt.", "lake", "sea", "ocean", "street", "st.", "road", "avenue",
    "valley", "island", "islands", "bay", "gulf", "park", "square", "airport", "bridge", "coast", "desert",
    "forest", "peninsula", "strait", "canal", "hill", "hills", "highlands", "beach", "cape", "glacier", "region",
    "channel", "falls", "plain", "plains", "station", "hall", "palace", "museum", "stadium", "cathedral", "church",
    "castle", "tower", "temple", "center", "centre", "hospital", "building", "reef", "basin", "delta", "pass",
    "heights", "range", "canyon", "creek", "harbour", "harbor", "port", "trail", "way", "lane", "drive", "mosque",
)
CONTINENTS_AND_REGIONS = ("europe", "asia", "africa", "america", "north america", "south america", "latin america",
                          "antarctica", "oceania", "middle east", "the middle east", "balkans", "the balkans",
                          "caribbean", "scandinavia", "siberia", "mediterranean", "arctic", "sahara", "west bank",
                          "gaza strip", "eurasia", "central asia", "east asia", "southeast asia", "western balkans")


def document_texts(documents: pl.DataFrame) -> pl.DataFrame:
    return documents.select(pl.col("document_id").alias("article_id"), pl.lit("body").alias("field"), "text",
                            "language")


def labelled_words(documents: pl.DataFrame, gazetteer: Gazetteer) -> pl.DataFrame:
    """Every candidate word of the documents with its tag: B-TYPE where a gold span starts on it, I-TYPE inside
    one, O outside every gold span, null (skipped) where it overlaps a gold span of a kind Kronika does not type
    or a gold boundary falls inside it."""
    # Training reads the gazetteer as written (capitals=False): trained with the run-time reading of names in
    # capitals (tweets are full of them), English dev fell 0.573 -> 0.566 (GUM dev 0.627 -> 0.602), Albanian dev
    # 0.676 -> 0.678; the run keeps that reading, which only adds gazetteer matches (docs/entities.md, Capitals).
    words = candidate_words(document_texts(documents), gazetteer, capitals=False).with_row_index("word_id")
    # Tweets write capitals their own way (ALL-CAPS shouting, Title Case posts, lower-case names): their casing
    # values are their own, so the casing template learns tweets apart from news, and the shared templates
    # (capitalised common word, shape) fit news-like text better. Kronika reads news: these never fire at run time.
    is_tweet = documents["corpus"].is_in(TWEETS).gather(words["row"])
    words = words.with_columns(pl.when(pl.lit(is_tweet)).then(TWEET_CASING + pl.col("casing"))
                               .otherwise(pl.col("casing")).alias("casing"))
    gold = (documents.with_row_index("row").select(pl.col("row").cast(pl.Int64), "language", "spans")
            .explode("spans").unnest("spans").drop_nulls("entity_type"))
    gold = gold.with_columns(english_place_type(gold, documents).alias("entity_type"))
    overlapping = (words.select("word_id", "row", "char_start", "char_end")
                   .join(gold.select("row", "start", "end", "entity_type"), on="row")
                   .filter((pl.col("char_start") < pl.col("end")) & (pl.col("start") < pl.col("char_end")))
                   .with_columns(
                       pl.when((pl.col("entity_type") == IGNORE) | (pl.col("char_start") < pl.col("start"))
                               | (pl.col("char_end") > pl.col("end"))).then(None)
                       .when(pl.col("char_start") == pl.col("start")).then("B-" + pl.col("entity_type"))
                       .otherwise("I-" + pl.col("entity_type")).alias("label"))
                   .unique("word_id", keep="first").select("word_id", "label"))
    return (words.join(overlapping, on="word_id", how="left")
            .with_columns(pl.when(pl.col("word_id").is_in(overlapping["word_id"].implode())).then(pl.col("label"))
                          .otherwise(pl.lit(NOT_ENTITY)).alias("label"))
            .sort("word_id"))


def english_place_type(gold: pl.DataFrame, documents: pl.DataFrame) -> pl.Expr:
    """English gold LOC -> GPE unless the name is a landform, facility, continent or region (see LANDFORM_WORDS)."""
    texts = documents["text"]
    surfaces = pl.Series([texts[row][start:end] for row, start, end in gold.select("row", "start", "end").iter_rows()],
                         dtype=pl.String)
    lower = surfaces.str.to_lowercase()
    landform = lower.str.split(" ").list.eval(pl.element().is_in(LANDFORM_WORDS)).list.any() | lower.is_in(
        CONTINENTS_AND_REGIONS)
    return (pl.when((pl.col("language") == "en") & (pl.col("entity_type") == "LOC") & ~pl.lit(landform))
            .then(pl.lit("GPE")).otherwise(pl.col("entity_type")))


def design_matrix(features: pl.DataFrame, vocabulary: pl.DataFrame, height: int):
    """(height, len(vocabulary)) 0/1 matrix from a word, feature frame (features outside the vocabulary dropped)."""
    from scipy.sparse import csr_matrix  # noqa: PLC0415 (training extra only)

    features = features.join(vocabulary, on="feature", how="inner")
    values = np.ones(features.height, dtype=np.float32)
    return csr_matrix((values, (features["word"].to_numpy(), features["feature_index"].to_numpy())),
                      shape=(height, vocabulary.height))


def build_vocabulary(features: pl.DataFrame) -> pl.DataFrame:
    counts = features.group_by("feature").agg(pl.col("word").n_unique().alias("count"))
    kept = counts.filter(pl.col("count") >= MINIMUM_FEATURE_COUNT).sort("feature")["feature"]
    return pl.DataFrame({"feature": kept, "feature_index": np.arange(kept.len(), dtype=np.int64)})


def labelled_features(words: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the words with a label, their word, feature frame numbered by that frame's rows). The features are read on
    every candidate word, as at run time, and only then are the unlabelled words left out: a word whose label is
    skipped is still its neighbours' neighbour (the shape and the word before and after them in their group)."""
    labelled = words["label"].is_not_null().to_numpy()
    number = np.full(words.height, -1, dtype=np.int64)
    number[labelled] = np.arange(int(labelled.sum()))
    features = word_features(words)
    features = features.with_columns(pl.Series("word", number[features["word"].to_numpy()], dtype=pl.Int64))
    return words.filter(pl.lit(labelled)), features.filter(pl.col("word") >= 0)


def train(documents: pl.DataFrame, gazetteer: Gazetteer, regularisation: float = REGULARISATION,
          albanian_weight: float = 3.0, tweet_weight: float = TWEET_WEIGHT, words: pl.DataFrame | None = None
          ) -> tuple[pl.DataFrame, np.ndarray, dict]:
    """(vocabulary, weights (features x classes, the intercept folded into 'bias'), training facts). `words`: what
    labelled_words gives for `documents` (computed when not given)."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415 (training extra only)

    spans, features = labelled_features(labelled_words(documents, gazetteer) if words is None else words)
    vocabulary = build_vocabulary(features)
    matrix = design_matrix(features, vocabulary, spans.height)
    labels = spans["label"].replace_strict(list(CLASSES), list(range(len(CLASSES))), return_dtype=pl.Int64).to_numpy()
    corpus = documents["corpus"].gather(spans["row"]).to_numpy()
    sample_weight = np.where(corpus == "sq_ntrex", albanian_weight,
                             np.where(np.isin(corpus, TWEETS), tweet_weight, 1.0))
    model = LogisticRegression(C=regularisation, max_iter=300, random_state=SEED, tol=1e-4)
    model.fit(matrix, labels, sample_weight=sample_weight)
    weights = np.zeros((vocabulary.height, len(CLASSES)), dtype=np.float32)
    weights[:, model.classes_] = model.coef_.T
    bias_row = vocabulary.filter(pl.col("feature") == "bias")["feature_index"][0]
    weights[bias_row, model.classes_] += model.intercept_
    # Tweet casing values never occur at run time: their features are not saved.
    kept = ~vocabulary["feature"].str.starts_with("case=" + TWEET_CASING).to_numpy()
    weights = weights[kept]
    vocabulary = vocabulary.filter(pl.lit(kept)).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("feature_index"))
    facts = {"words": spans.height, "features": vocabulary.height,
             "labels": dict(spans.group_by("label").len().sort("label").iter_rows())}
    return vocabulary, weights, facts


def save(path: Path, vocabulary: pl.DataFrame, weights: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, classes=np.array(CLASSES), features=np.array(vocabulary["feature"].to_list()),
                        weights=weights.astype(np.float16).astype(np.float32))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--regularisation", type=float, default=REGULARISATION)
    parser.add_argument("--albanian-weight", type=float, default=3.0)
    parser.add_argument("--tweet-weight", type=float, default=TWEET_WEIGHT)
    arguments = parser.parse_args(argv)
    try:
        import sklearn  # noqa: F401, PLC0415
    except ImportError:
        print("training needs scikit-learn: pip install -e '.[train]'", file=sys.stderr)
        return 2
    started = time.perf_counter()
    documents = load_documents()
    training = documents.filter(pl.col("split") == "train")
    vocabulary, weights, facts = train(training, load_gazetteer(), arguments.regularisation, arguments.albanian_weight,
                                       arguments.tweet_weight)
    save(arguments.out, vocabulary, weights)
    facts["seconds"] = round(time.perf_counter() - started, 1)
    facts["documents"] = dict(training.group_by("corpus").len().sort("corpus").iter_rows())
    print(json.dumps(facts, indent=2))
    print(f"wrote {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
