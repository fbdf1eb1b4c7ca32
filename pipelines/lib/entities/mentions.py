"""extract_mentions: the entity stage from texts to mention rows (gazetteer scan, linking, candidates).
The one public entry point; MENTION_SCHEMA is the column contract the warehouse stores."""

from __future__ import annotations

import polars as pl

from pipelines.lib.entities.article_links import link_within_articles
from pipelines.lib.entities.candidates import find_candidates
from pipelines.lib.entities.frames import TextBuffer, to_text_offsets
from pipelines.lib.entities.matcher import build_matcher, raw_matches
from pipelines.lib.entities.resolve import candidate_key_expression, link_matches
from pipelines.lib.gazetteer import Gazetteer

MENTION_SCHEMA = {
    "article_id": pl.String,
    "field": pl.String,
    "entity_id": pl.String,
    "surface": pl.String,
    "char_start": pl.Int64,
    "char_end": pl.Int64,
    "match_rule": pl.String,
    "linked": pl.Boolean,
    "candidate_type": pl.String,
}


def extract_mentions(texts: pl.DataFrame, gazetteer: Gazetteer) -> pl.DataFrame:
    """One row per mention: article_id, field, entity_id, surface, char_start, char_end (character offsets),
    match_rule, linked, candidate_type (the rule-given type of a candidate, else null)."""
    if texts.is_empty():
        return pl.DataFrame(schema=MENTION_SCHEMA)
    matcher = build_matcher(gazetteer)
    if "language" not in texts.columns:
        texts = texts.with_columns(pl.lit(None, dtype=pl.String).alias("language"))
    # One chunk: Polars compiles a regex per chunk, and a frame stacked from many small ones would pay that often.
    texts = texts.with_columns(pl.col("text").fill_null("")).rechunk()
    # Linking reads the article's language (its first text's), candidates the language of their own text.
    text_rows = texts.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), "article_id", "field",
        # texts without an article_id count as one article
        pl.col("article_id").rank("dense").cast(pl.Int64).fill_null(0).alias("article"),
        "language", pl.col("language").first().over("article_id").alias("article_language"),
    )
    buffer = TextBuffer.of(texts)
    matches = raw_matches(buffer, matcher)
    # Rows are numbered 0..n-1, so their columns are gathered rather than joined.
    linked = link_matches(
        matches.with_columns(
            text_rows["article"].gather(matches["row"]),
            text_rows["article_language"].gather(matches["row"]).alias("language"),
        ),
        matcher,
    )
    is_surname = pl.col("match_rule").is_in(["surname", "surname_unresolved"]).alias("is_surname")
    candidates, released_starts = find_candidates(texts, buffer, linked.select("start", "end", is_surname))
    linked = linked.filter(~pl.col("start").is_in(released_starts.implode()))
    candidates = candidates.with_columns(text_rows["language"].gather(candidates["row"]))
    # The same names recur across a batch: each distinct (surface, language) is keyed once.
    keys = candidates.select("surface", "language").unique().with_columns(
        candidate_key_expression(pl.col("surface")).alias("entity_id"))
    candidates = candidates.join(
        keys, on=["surface", "language"], how="left", nulls_equal=True, maintain_order="left"
    ).with_columns(
        pl.lit("candidate").alias("match_rule"),
        pl.lit(False).alias("linked"),
    )
    columns = ["row", "start", "end", "surface", "entity_id", "match_rule", "linked", "candidate_type"]
    mentions = pl.concat([linked.select(columns), candidates.select(columns)])
    mentions = link_within_articles(mentions.with_columns(text_rows["article"].gather(mentions["row"])), buffer,
                                    gazetteer.entities).drop("article")
    mentions = to_text_offsets(mentions, buffer)
    # One integer key (each text's rank in article_id, field order, then char_start) sorts far faster than the
    # mention rows' strings; texts sharing an article and field share a rank. Offsets stay below 2**32.
    text_order = text_rows.select(pl.struct("article_id", "field").rank("dense").cast(pl.Int64)).to_series()
    sort_key = text_order.gather(mentions["row"]) * 2**32 + mentions["char_start"]
    mentions = mentions.with_columns(sort_key.alias("sort_key")).sort("sort_key", maintain_order=True)
    return mentions.with_columns(
        text_rows["article_id"].gather(mentions["row"]).alias("article_id"),
        text_rows["field"].gather(mentions["row"]).alias("field"),
    ).select(list(MENTION_SCHEMA)).cast(MENTION_SCHEMA)
