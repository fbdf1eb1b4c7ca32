"""Runs the extraction stages over parsed articles: sentences, entity mentions and figures.

One call turns an `articles` frame into the three frames the warehouse stores; Dagster assets and
the evaluation harness both call it, so there is one extraction path."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.lib.entities import candidate_entities, extract_mentions
from pipelines.lib.entities.resolve import candidate_key_expression
from pipelines.lib.figures import extract_figures
from pipelines.lib.gazetteer import Gazetteer, load_gazetteer
from pipelines.lib.sentences import assign_sentences, split_sentences


@dataclass(frozen=True)
class Extraction:
    sentences: pl.DataFrame
    mentions: pl.DataFrame
    figures: pl.DataFrame


def article_texts(articles: pl.DataFrame) -> pl.DataFrame:
    """One row per (article, field): the title and the cleaned body, with the body language."""
    language = pl.col("body_language") if "body_language" in articles.columns else pl.lit(None, pl.String)
    base = articles.select("article_id", "title", "body", language.alias("language"))
    titles = base.select(
        "article_id", pl.lit("title").alias("field"), pl.col("title").fill_null("").alias("text"), "language"
    )
    bodies = base.select(
        "article_id", pl.lit("body").alias("field"), pl.col("body").fill_null("").alias("text"), "language"
    )
    return pl.concat([titles, bodies]).filter(pl.col("text").str.len_chars() > 0)


def extract_sentences(texts: pl.DataFrame) -> pl.DataFrame:
    return split_sentences(texts.select("article_id", "field", "text"))


def extract_entity_mentions(texts: pl.DataFrame, sentences: pl.DataFrame, gazetteer: Gazetteer) -> pl.DataFrame:
    return assign_sentences(without_rejected(extract_mentions(texts, gazetteer), gazetteer), sentences)


def without_rejected(mentions: pl.DataFrame, gazetteer: Gazetteer) -> pl.DataFrame:
    """Candidate mentions of a surface the user rejected (`kronika entities reject`) are dropped: the surface
    itself, and its other inflections through the candidate key ('Shiko Videon', 'Shikoni Videon')."""
    if not gazetteer.rejected_surfaces:
        return mentions
    rejected = pl.DataFrame({"surface": list(gazetteer.rejected_surfaces)})
    keys = rejected.select(candidate_key_expression(pl.col("surface")).alias("key"))["key"]
    is_rejected = pl.col("surface").is_in(rejected["surface"].implode()) | pl.col("entity_id").is_in(keys.implode())
    return mentions.filter(pl.col("linked") | ~is_rejected)


def extract_article_figures(texts: pl.DataFrame, sentences: pl.DataFrame) -> pl.DataFrame:
    return assign_sentences(extract_figures(texts), sentences)


def figure_entity_links(mentions: pl.DataFrame, figures: pl.DataFrame) -> pl.DataFrame:
    """Each figure with every entity mentioned in its sentence: article_id, field, figure_char_start, entity_id."""
    keys = ["article_id", "field", "sentence_index"]
    return (
        figures.select(*keys, pl.col("char_start").alias("figure_char_start"))
        .join(mentions.select(*keys, "entity_id").unique(), on=keys, how="inner")
        .select("article_id", "field", "figure_char_start", "entity_id")
    )


def entity_rows(mentions: pl.DataFrame, gazetteer: Gazetteer) -> pl.DataFrame:
    """The `entities` table: every gazetteer identity (linked) and the candidates these mentions use."""
    columns = ["entity_id", "name", "entity_type", "wikidata_id", "name_sq"]
    linked = gazetteer.entities.select(columns).with_columns(pl.lit(True).alias("linked"))
    candidates = candidate_entities(mentions).select(columns).with_columns(pl.lit(False).alias("linked"))
    return pl.concat([linked, candidates], how="vertical_relaxed").unique("entity_id", keep="first")


def extract_articles(articles: pl.DataFrame, gazetteer: Gazetteer | None = None) -> Extraction:
    """Sentences, mentions and figures for every article in `articles` (article_id, title, body, body_language)."""
    gazetteer = gazetteer or load_gazetteer()
    texts = article_texts(articles)
    sentences = extract_sentences(texts)
    return Extraction(
        sentences=sentences,
        mentions=extract_entity_mentions(texts, sentences, gazetteer),
        figures=extract_article_figures(texts, sentences),
    )
