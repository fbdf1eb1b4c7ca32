"""Looking entities up for curation: `kronika entities search` (every entity answering to part of a name) and
`kronika entities show` (one entity's spellings, counts, first and last mention and sentences in context)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines.lib.gazetteer import Gazetteer
from pipelines.lib.lookup import EntityNames, EntityNotFoundError, entity_names, key_of

SEARCH_LIMIT = 20


def entity_counts(connection: duckdb.DuckDBPyConnection, entity_ids: list[str]) -> pl.DataFrame:
    """entity_id, name, entity_type, linked, mentions, articles, first_seen, last_seen of the given entities."""
    return connection.execute(
        """SELECT e.entity_id, e.name, e.entity_type, e.linked,
                  count(m.entity_id) AS mentions, count(DISTINCT m.article_id) AS articles,
                  min(a.published_at) AS first_seen, max(a.published_at) AS last_seen
           FROM entities e
           LEFT JOIN mentions m ON m.entity_id = e.entity_id
           LEFT JOIN articles a ON a.article_id = m.article_id
           WHERE list_contains(?::VARCHAR[], e.entity_id)
           GROUP BY ALL""", [entity_ids]).pl()


def search_entities(connection: duckdb.DuckDBPyConnection, gazetteer: Gazetteer, text: str,
                    limit: int = SEARCH_LIMIT) -> pl.DataFrame:
    """Entities (gazetteer and candidates) with a name, alias, inflected form or seen spelling containing `text`,
    case- and diacritic-insensitively: entity_id, name, entity_type, linked, mentions, articles, matched (the
    spelling that matched, as written). Exact names first, then by mentions."""
    names = entity_names(connection, gazetteer).names
    key = key_of(text)
    if not key:
        raise ValueError("search needs part of a name, e.g. `kronika entities search Kurti`")
    # At the start of a word of the name: 'kurt' finds Kurti and Kurtit, not 'Kupola e Hekurt'.
    word_start = r"(?:^|[^\p{L}\p{N}])" + re.escape(key)
    hits = (names.filter(pl.col("key").str.contains(word_start))
            .with_columns((pl.col("key") == key).alias("exact"), (pl.col("form") == pl.col("entity_id")).alias("is_id"))
            .sort(["exact", "is_id", "rank", "mentions"], descending=[True, False, False, True])
            .unique("entity_id", keep="first", maintain_order=True)
            .head(limit)
            .select("entity_id", "exact", pl.col("form").alias("matched")))
    if hits.is_empty():
        return entity_counts(connection, []).with_columns(pl.lit(None, pl.String).alias("matched"))
    counts = entity_counts(connection, hits["entity_id"].to_list())
    return (hits.join(counts, on="entity_id", how="inner")
            .sort(["exact", "mentions", "entity_id"], descending=[True, True, False])
            .select("entity_id", "name", "entity_type", "linked", "mentions", "articles", "matched"))


@dataclass(frozen=True)
class EntityProfile:
    entity: dict  # entity_id, name, entity_type, linked, mentions, articles, first_seen, last_seen, name_sq
    spellings: pl.DataFrame  # spelling, mentions (as seen in the text), in_gazetteer
    contexts: pl.DataFrame  # keyword_in_context rows: published_at, title, sentence, source_path


def resolve_one(names: EntityNames, text: str, parameter: str = "entity") -> str:
    """The one entity id answering to `text`; several equally good answers or none is an error that lists them."""
    found = names.resolve(text)
    if found.is_empty():
        raise names.not_found(parameter, text)
    best = found.filter(pl.col("rank") == found["rank"][0])
    if best.height > 1:
        listed = ", ".join(f"{name} ({entity_id})" for entity_id, name in zip(best["entity_id"], best["name"]))
        raise EntityNotFoundError(f"{text!r} names {best.height} entities: {listed}; give the id")
    return best["entity_id"][0]


def entity_profile(connection: duckdb.DuckDBPyConnection, gazetteer: Gazetteer, text: str,
                   contexts: int = 5) -> EntityProfile:
    """What an analyst checks before curating an entity; `text` is any of its names (EntityNotFoundError if none)."""
    from pipelines.lib.reports import find_report, run_report

    entity_id = resolve_one(entity_names(connection, gazetteer), text)
    entity = entity_counts(connection, [entity_id]).to_dicts()[0]
    entity["name_sq"] = connection.execute("SELECT name_sq FROM entities WHERE entity_id = ?", [entity_id]).fetchone()[0]
    seen = connection.execute(
        "SELECT surface AS spelling, count(*) AS mentions FROM mentions WHERE entity_id = ? GROUP BY ALL",
        [entity_id]).pl()
    listed = gazetteer.aliases.filter(pl.col("entity_id") == entity_id).select(
        pl.col("alias").alias("spelling")).unique()
    spellings = (seen.join(listed.with_columns(pl.lit(True).alias("in_gazetteer")), on="spelling", how="full",
                           coalesce=True)
                 .with_columns(pl.col("mentions").fill_null(0), pl.col("in_gazetteer").fill_null(False))
                 .sort(["mentions", "spelling"], descending=[True, False]))
    if entity["mentions"]:
        rows = run_report(connection, find_report("keyword_in_context"), {"entity": entity_id, "top": contexts})
        context_rows = rows.select("published_at", "title", "sentence", "source_path")
    else:
        context_rows = pl.DataFrame(schema={"published_at": pl.Datetime("us", "UTC"), "title": pl.String,
                                            "sentence": pl.String, "source_path": pl.String})
    return EntityProfile(entity=entity, spellings=spellings, contexts=context_rows)
