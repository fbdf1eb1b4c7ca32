"""Training the typer: tweets' casing values are their own in training and never reach the saved model; training
reads each word's features as the run does."""

import polars as pl

from pipelines.lib.entities.features import word_features
from pipelines.lib.gazetteer import load_gazetteer
from pipelines.tooling.ner_data import IGNORE
from pipelines.tooling.train_typer import TWEET_CASING, labelled_features, labelled_words, train

SPAN = pl.Struct({"start": pl.Int64, "end": pl.Int64, "entity_type": pl.String})


def documents():
    rows = [
        ("btc", "OMG Zelvan Kowalczyk WINS AGAIN lol", [(4, 20, "PERSON")]),
        ("wikigold", "The Academy of Zelvian Arts hired Ana Kowalczyk in 1990.", [(4, 27, "ORG"), (34, 47, "PERSON")]),
        ("wnut17", "Watching Drovnic Live tonight with Ana", [(9, 16, "PERSON")]),
        ("sec", "The Borrower shall pay Varnesia Bank within ten days.", [(23, 36, "ORG")]),
    ]
    return pl.DataFrame(
        [(corpus, "train", f"{corpus}/0", "en", text, [dict(zip(("start", "end", "entity_type"), span)) for span in spans])
         for corpus, text, spans in rows],
        schema={"corpus": pl.String, "split": pl.String, "document_id": pl.String, "language": pl.String,
                "text": pl.String, "spans": pl.List(SPAN)}, orient="row")


def test_tweet_words_have_their_own_casing_values():
    words = labelled_words(documents(), load_gazetteer())
    corpus = documents()["corpus"].gather(words["row"])
    tweets = corpus.is_in(["btc", "wnut17"])
    assert words.filter(pl.lit(tweets))["casing"].str.starts_with(TWEET_CASING).all()
    assert not words.filter(pl.lit(~tweets))["casing"].str.starts_with(TWEET_CASING).any()
    assert words.filter(pl.lit(~tweets)).height > 0 and words.filter(pl.lit(tweets)).height > 0


def test_the_saved_model_holds_no_tweet_casing_feature():
    vocabulary, weights, _ = train(documents(), load_gazetteer())
    assert vocabulary.height == weights.shape[0] > 0
    assert vocabulary["feature_index"].to_list() == list(range(vocabulary.height))
    assert not vocabulary["feature"].str.contains(TWEET_CASING, literal=True).any()
    assert "bias" in vocabulary["feature"].to_list()


def test_training_reads_each_word_with_the_neighbours_the_run_sees():
    """A word whose label is skipped (here a gold span of a kind Kronika does not type) is still the neighbour of the
    words around it: training reads their features on the whole frame, as extract_mentions does, and only then
    leaves the unlabelled word out (it used to drop it first, so 'Kowalczyk' had no word after it in its group)."""
    text = "Yesterday Zelvan Kowalczyk Drovnic spoke to Ana."
    spans = [(10, 26, "PERSON"), (27, 34, IGNORE)]
    frame = pl.DataFrame(
        [("wikigold", "train", "wikigold/0", "en", text, [dict(zip(("start", "end", "entity_type"), span))
                                                          for span in spans])],
        schema={"corpus": pl.String, "split": pl.String, "document_id": pl.String, "language": pl.String,
                "text": pl.String, "spans": pl.List(SPAN)}, orient="row")
    words = labelled_words(frame, load_gazetteer())
    labelled, features = labelled_features(words)
    assert words.filter(pl.col("word") == "Drovnic")["label"].to_list() == [None]
    assert labelled["word"].to_list().count("Drovnic") == 0
    run_time = word_features(words)
    in_words = words["word"].to_list().index("Kowalczyk")
    in_labelled = labelled["word"].to_list().index("Kowalczyk")
    read_at_run_time = set(run_time.filter(pl.col("word") == in_words)["feature"])
    assert set(features.filter(pl.col("word") == in_labelled)["feature"]) == read_at_run_time
    assert "gw+1=drovnic" in read_at_run_time
