"""Finds an entity by any of its names: id, canonical or Albanian name, alias, inflected form or a surface
seen in the text, case- and diacritic-insensitively; when nothing matches, the closest names ("did you mean")."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines.lib.gazetteer import Gazetteer

# Lower rank wins when one spelling names several entities: an id or a canonical name beats an alias,
# an alias beats a generated inflected form, which beats a spelling only seen in the text.
RANK_ID_OR_NAME, RANK_ALIAS, RANK_FORM, RANK_SURFACE = 0, 1, 2, 3
SUGGESTIONS = 5


def lookup_key(text: pl.Expr) -> pl.Expr:
    """The comparison form of a name: diacritics folded, lowercase, single spaces ('Shqipëria' -> 'shqiperia')."""
    folded = text.str.normalize("NFKD").str.replace_all(r"\p{Mn}", "").str.replace_all("ı", "i")
    return folded.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def key_of(value: str) -> str:
    return pl.select(lookup_key(pl.lit(value, pl.String))).item()


class EntityNotFoundError(ValueError):
    """No entity answers to a name; the message lists the closest names."""


@dataclass(frozen=True)
class EntityNames:
    """Every name by which an entity of one warehouse can be asked for."""

    names: pl.DataFrame  # key, entity_id, rank, mentions, entity name (display), form (as written)

    def resolve(self, value: str) -> pl.DataFrame:
        """The entities answering to `value`, best first (rank, then mentions): entity_id, name."""
        key = key_of(value)
        found = self.names.filter(pl.col("key") == key)
        return (found.group_by("entity_id").agg(pl.col("rank").min(), pl.col("mentions").first(), pl.col("name").first())
                .sort(["rank", "mentions", "entity_id"], descending=[False, True, False]))

    def suggestions(self, value: str, limit: int = SUGGESTIONS) -> list[str]:
        """The closest names, as 'Entity name' or 'Entity name (as Form)', most mentioned entity first on ties."""
        key = key_of(value)
        keys = self.names["key"].unique().to_list()
        close = difflib.get_close_matches(key, keys, n=limit * 4, cutoff=0.6)
        if not close:  # a prefix of a longer name: 'Zelen' -> Zelensky
            close = [k for k in keys if len(key) >= 3 and k.startswith(key)][: limit * 4]
        order = {k: index for index, k in enumerate(close)}
        hits = (self.names.filter(pl.col("key").is_in(close))
                .with_columns(pl.col("key").replace_strict(order, return_dtype=pl.Int64).alias("closeness"))
                .sort(["closeness", "rank", "mentions"], descending=[False, False, True])
                .unique("entity_id", keep="first", maintain_order=True).head(limit))
        return [name if key_of(name) == key_of(form) else f"{name} ({form})"
                for name, form in zip(hits["name"], hits["form"])]

    def not_found(self, parameter: str, value: str) -> EntityNotFoundError:
        suggestions = self.suggestions(value)
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        return EntityNotFoundError(f"no entity named {value!r} for {parameter}{hint} "
                                   f"(`kronika entities search {value}` searches every name)")


def entity_names(connection: duckdb.DuckDBPyConnection, gazetteer: Gazetteer) -> EntityNames:
    """The lookup table of a warehouse: its entities' ids and names, the gazetteer's aliases and generated
    forms for them, and every surface the mentions table links to an entity."""
    from pipelines.lib.entities.matcher import build_pattern_table

    entities = connection.sql(
        "SELECT e.entity_id, e.name, e.name_sq, coalesce(m.mentions, 0) AS mentions FROM entities e "
        "LEFT JOIN (SELECT entity_id, count(*) AS mentions FROM mentions GROUP BY ALL) m USING (entity_id)").pl()
    surfaces = connection.sql(
        "SELECT entity_id, surface AS form FROM mentions GROUP BY ALL").pl()
    patterns = build_pattern_table(gazetteer).select(
        "entity_id", pl.col("pattern").alias("form"),
        pl.when(pl.col("inflected")).then(RANK_FORM).otherwise(RANK_ALIAS).alias("rank"))
    tables = {row[0] for row in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    renamed = (connection.sql("SELECT entity_id, old_entity_id AS form FROM entity_id_renames").pl()
               if "entity_id_renames" in tables else pl.DataFrame(schema={"entity_id": pl.String, "form": pl.String}))
    own = pl.concat([
        renamed,
        entities.select("entity_id", pl.col("entity_id").alias("form")),
        entities.select("entity_id", pl.col("name").alias("form")),
        entities.select("entity_id", pl.col("name_sq").alias("form")),
    ]).with_columns(pl.lit(RANK_ID_OR_NAME).alias("rank"))
    names = (
        pl.concat([own, patterns, surfaces.with_columns(pl.lit(RANK_SURFACE).alias("rank"))], how="vertical_relaxed")
        .drop_nulls("form")
        .join(entities.select("entity_id", "name", "mentions"), on="entity_id", how="inner")
        .with_columns(lookup_key(pl.col("form")).alias("key"), pl.col("rank").cast(pl.Int64))
        .sort("rank").unique(["key", "entity_id"], keep="first", maintain_order=True)
    )
    return EntityNames(names=names.select("key", "entity_id", "rank", "mentions", "name", "form"))
