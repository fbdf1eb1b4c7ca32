"""The extraction orchestration: texts per field, figure-entity links and the entities table."""

import polars as pl

from pipelines.lib.extract import article_texts, entity_rows, extract_articles, figure_entity_links
from pipelines.lib.gazetteer import load_gazetteer


def test_article_texts_has_a_row_per_non_empty_field():
    articles = pl.DataFrame({"article_id": ["a", "b"], "title": ["Title", None], "body": ["Body.", "Trupi."],
                             "body_language": ["en", "sq"]})
    texts = article_texts(articles)
    assert texts.select("article_id", "field", "text", "language").rows() == [
        ("a", "title", "Title", "en"), ("a", "body", "Body.", "en"), ("b", "body", "Trupi.", "sq")]


def test_figure_entity_links_pair_each_figure_with_the_entities_of_its_sentence():
    mentions = pl.DataFrame({"article_id": ["a", "a", "a", "a"], "field": ["body"] * 4, "sentence_index": [0, 0, 0, 1],
                             "entity_id": ["gpe:iso:RU", "gpe:iso:RU", "org:imf", "gpe:iso:UA"]})
    figures = pl.DataFrame({"article_id": ["a", "a"], "field": ["body", "body"], "sentence_index": [0, 2],
                            "char_start": [40, 90]})
    links = figure_entity_links(mentions, figures).sort("entity_id")
    assert links.rows() == [("a", "body", 40, "gpe:iso:RU"), ("a", "body", 40, "org:imf")]


def test_extract_articles_links_a_figure_to_its_sentence_entities_end_to_end():
    articles = pl.DataFrame({"article_id": ["a"], "title": ["Russia and the IMF"],
                             "body": ["The IMF cut Russia's growth forecast to 0.8 percent. Ukraine grew."],
                             "body_language": ["en"]})
    extraction = extract_articles(articles)
    links = figure_entity_links(extraction.mentions, extraction.figures)
    assert sorted(links["entity_id"]) == ["gpe:iso:RU", "org:imf"]  # not Ukraine: another sentence
    assert extraction.figures.filter(pl.col("unit") == "percent")["value"].to_list() == [0.8]


def test_entity_rows_hold_the_gazetteer_and_the_candidates_in_use():
    gazetteer = load_gazetteer()
    mentions = pl.DataFrame({"article_id": ["a"], "field": ["body"], "entity_id": ["cand:agim berisha"],
                             "surface": ["Agim Berisha"], "char_start": [0], "char_end": [12], "match_rule": ["candidate"],
                             "linked": [False], "candidate_type": ["PERSON"]})
    rows = entity_rows(mentions, gazetteer)
    assert rows.filter(pl.col("linked")).height == gazetteer.entities.height
    candidate = rows.filter(~pl.col("linked")).row(0, named=True)
    assert candidate["entity_id"] == "cand:agim berisha" and candidate["entity_type"] == "PERSON"
