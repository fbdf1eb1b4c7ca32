"""Load the entity gazetteer (reference/gazetteer/*.tsv) into entity and alias frames with a version hash.
One line per entity; its aliases are a ` | ` list of `text {flags}` items, expanded here into one row each."""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "reference" / "gazetteer"
GAZETTEER_COLUMNS = ("entity_id", "entity_type", "name", "name_sq", "wikidata_id", "aliases")
ENTITY_TYPES = frozenset({"PERSON", "ORG", "GPE", "LOC", "EVENT", "OTHER"})
LANGUAGES = frozenset({"en", "sq", "any"})
ALIAS_KINDS = frozenset({"name", "surname", "acronym", "variant"})
# Flags that are neither a language nor a kind.
ALIAS_SWITCHES = frozenset({"default", "noinflect", "nofold"})
# `country=gpe:iso:XK`: a name several holders share, each in its own country ('Kuvendi'): the holder whose country
# the article names most takes it.
COUNTRY_FLAG = "country="
# Generational suffixes are not surnames: the surname of "Donald Trump Jr." is Trump.
NAME_SUFFIXES = frozenset({"Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"})
ALIAS_ITEM = re.compile(r"^(?P<text>.+?)(?:\s*\{(?P<flags>[^}]*)\})?$")
ACRONYM_SHAPE = re.compile(r"^[A-ZËÇ0-9][A-ZËÇ0-9&.\-]*[A-ZËÇ0-9]$")


@dataclass(frozen=True)
class Gazetteer:
    entities: pl.DataFrame  # entity_id, name, entity_type, wikidata_id, name_sq
    aliases: pl.DataFrame  # entity_id, alias, language, alias_kind, is_default, inflect, country
    version: str  # first 16 hex of sha256 over every file under the directory
    renames: pl.DataFrame  # old_entity_id, entity_id, reason: ids that were renamed, so stored ones keep working


def slugify(name: str) -> str:
    """Readable ASCII id part: 'Vučić' -> 'vucic', 'Bosnia and Herzegovina' -> 'bosnia_and_herzegovina'."""
    return re.sub(r"[^a-z0-9]+", "_", fold_diacritics(name).lower()).strip("_")


def fold_diacritics(text: str) -> str:
    # NFKD splits 'č' into 'c' + combining caron; dropping the marks gives the spelling used by ASCII-only sites.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).replace("ı", "i")


def read_entity_lines(directory: Path) -> list[dict[str, str]]:
    """Every entity line of every top-level *.tsv file, in file-name order."""
    rows: list[dict[str, str]] = []
    for path in sorted(directory.glob("*.tsv")):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append({column: (row.get(column) or "").strip() for column in GAZETTEER_COLUMNS} | {"source": path.name})
    return rows


def merge_entity_lines(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """Lines sharing an id are one entity: the curated file may add aliases to a generated country."""
    merged: dict[str, dict[str, str]] = {}
    for row in rows:
        current = merged.setdefault(row["entity_id"], dict(row))
        if current is row or current == row:
            continue
        for column in ("entity_type", "name", "name_sq", "wikidata_id"):
            if not current[column]:
                current[column] = row[column]
        if row["aliases"]:
            current["aliases"] = " | ".join(part for part in (current["aliases"], row["aliases"]) if part)
    return merged


def parse_alias_item(item: str) -> dict[str, object]:
    """'Putin {surname,default}' -> one alias row; language defaults to 'any', kind to name/acronym by shape."""
    match = ALIAS_ITEM.match(item.strip())
    text = match.group("text").strip()
    flags = {flag.strip() for flag in (match.group("flags") or "").split(",") if flag.strip()}
    countries = {flag for flag in flags if flag.startswith(COUNTRY_FLAG)}
    flags -= countries
    unknown = flags - LANGUAGES - ALIAS_KINDS - ALIAS_SWITCHES
    if unknown:
        raise ValueError(f"unknown alias flag(s) {sorted(unknown)} in {item!r}")
    language = next(iter(flags & LANGUAGES), "any")
    kind = next(iter(flags & ALIAS_KINDS), "acronym" if ACRONYM_SHAPE.match(text) and len(text) >= 2 else "name")
    return {
        "alias": text,
        "language": language,
        "alias_kind": kind,
        "is_default": "default" in flags,
        "noinflect": "noinflect" in flags,
        "fold": "nofold" not in flags,
        "country": next(iter(countries), COUNTRY_FLAG)[len(COUNTRY_FLAG):] or None,
    }


def merge_duplicate_aliases(aliases: pl.DataFrame) -> pl.DataFrame:
    """One row per (entity, alias): a spelling listed for both languages is 'any'; then pick its suffix rules.
    Albanian endings apply to sq/any names, hyphenated endings to acronyms, none to English-only spellings."""
    merged = aliases.group_by("entity_id", "alias", maintain_order=True).agg(
        pl.when(pl.col("language").n_unique() > 1).then(pl.lit("any")).otherwise(pl.col("language").first()).alias("language"),
        pl.col("alias_kind").first(),
        pl.col("is_default").any(),
        pl.col("noinflect").any(),
        pl.col("country").drop_nulls().first(),
    )
    return merged.with_columns(
        pl.when(pl.col("noinflect")).then(pl.lit("none"))
        .when(pl.col("alias_kind") == "acronym").then(pl.lit("acronym"))
        .when(pl.col("language") == "en").then(pl.lit("none"))
        .otherwise(pl.lit("sq"))
        .alias("inflect")
    ).drop("noinflect")


def surname_of(name: str) -> str | None:
    tokens = [token for token in name.split() if token not in NAME_SUFFIXES]
    return tokens[-1] if len(tokens) >= 2 else None


def entity_alias_rows(entity: dict[str, str]) -> list[dict[str, object]]:
    """The explicit aliases plus the implied ones: canonical names, a surname, capitalised and folded spellings."""
    items = [item for item in entity["aliases"].split(" | ") if item.strip()]
    rows = [parse_alias_item(item) for item in items]
    implied = [f"{entity['name']} {{en}}"] if entity["name"] else []
    if entity["name_sq"]:
        implied.append(f"{entity['name_sq']} {{sq}}")
    rows += [parse_alias_item(item) for item in implied]
    if entity["entity_type"] == "PERSON" and not any(row["alias_kind"] == "surname" for row in rows):
        surname = surname_of(entity["name"])
        if surname:
            rows.append(parse_alias_item(f"{surname} {{surname}}"))
    # 'von der Leyen' opens a sentence as 'Von der Leyen'.
    rows += [row | {"alias": row["alias"][0].upper() + row["alias"][1:]} for row in rows if row["alias"][0].islower()]
    return [row | {"entity_id": entity["entity_id"]} for row in rows]


def add_folded_variants(aliases: pl.DataFrame) -> pl.DataFrame:
    """'Vučić' also matches 'Vucic'; a folded spelling that is another entity's alias is not added."""
    folded = (
        aliases.filter(pl.col("fold"))
        .with_columns(pl.col("alias").map_elements(fold_diacritics, return_dtype=pl.String).alias("folded"))
        .filter(pl.col("folded") != pl.col("alias"))
        # A folded surname is still a surname: it must go through the same per-article resolution.
        .select("entity_id", pl.col("folded").alias("alias"), "language", "alias_kind", "is_default", "noinflect", "fold",
                "country")
    )
    taken = aliases.select("alias", pl.col("entity_id").alias("owner"))
    clashing = folded.join(taken, on="alias").filter(pl.col("owner") != pl.col("entity_id")).select("alias")
    folded = folded.join(clashing, on="alias", how="anti")
    return pl.concat([aliases, folded])


RENAMES_FILE = Path("renames") / "entity_id_renames.tsv"
RENAMES_SCHEMA = {"old_entity_id": pl.String, "entity_id": pl.String, "reason": pl.String}


def read_entity_id_renames(directory: Path, live_entity_ids: set[str]) -> pl.DataFrame:
    """The rename list under `directory` (may be absent). An old id still in use, or a new id that is not an
    entity, is an error: a lookup through the list must land on exactly one current entity."""
    path = directory / RENAMES_FILE
    if not path.exists():
        return pl.DataFrame(schema=RENAMES_SCHEMA)
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    rows = [{column: (row.get(column) or "").strip() for column in RENAMES_SCHEMA}
            for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)]
    renames = pl.DataFrame(rows, schema=RENAMES_SCHEMA)
    still_live = sorted(set(renames["old_entity_id"]) & live_entity_ids)
    dangling = sorted(set(renames["entity_id"]) - live_entity_ids)
    repeated = renames.filter(pl.col("old_entity_id").is_duplicated())["old_entity_id"].unique().sort().to_list()
    if still_live or dangling or repeated:
        raise ValueError(f"{path}: old ids that are still entities {still_live}, new ids that are not entities "
                         f"{dangling}, old ids listed twice {repeated}; point each old id at one current entity")
    return renames


def directory_version(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_gazetteer(directory: Path) -> Gazetteer:
    merged = merge_entity_lines(read_entity_lines(directory))
    entities = pl.DataFrame(
        {
            "entity_id": [entity["entity_id"] for entity in merged.values()],
            "name": [entity["name"] for entity in merged.values()],
            "entity_type": [entity["entity_type"] for entity in merged.values()],
            "wikidata_id": [entity["wikidata_id"] or None for entity in merged.values()],
            "name_sq": [entity["name_sq"] or None for entity in merged.values()],
        },
        schema={"entity_id": pl.String, "name": pl.String, "entity_type": pl.String,
                "wikidata_id": pl.String, "name_sq": pl.String},
    )
    alias_rows = [row for entity in merged.values() for row in entity_alias_rows(entity)]
    aliases = pl.DataFrame(
        alias_rows,
        schema={"entity_id": pl.String, "alias": pl.String, "language": pl.String, "alias_kind": pl.String,
                "is_default": pl.Boolean, "noinflect": pl.Boolean, "fold": pl.Boolean, "country": pl.String},
    )
    aliases = merge_duplicate_aliases(add_folded_variants(aliases).drop("fold"))
    countries = set(entities.filter(pl.col("entity_type") == "GPE")["entity_id"])
    unknown = sorted(set(aliases["country"].drop_nulls()) - countries)
    if unknown:
        raise ValueError(f"alias flag country= names no GPE entity of the gazetteer: {unknown}")
    renames = read_entity_id_renames(directory, set(entities["entity_id"]))
    return Gazetteer(entities=entities, aliases=aliases, version=directory_version(directory), renames=renames)


@lru_cache(maxsize=8)
def _cached_gazetteer(directory: Path) -> Gazetteer:
    return build_gazetteer(directory)


def load_gazetteer(directory: Path | None = None) -> Gazetteer:
    """The gazetteer under `directory` (default pipelines/reference/gazetteer), cached per directory."""
    return _cached_gazetteer(Path(directory or DEFAULT_DIRECTORY).resolve())
