"""Load the entity gazetteer (reference/gazetteer/*.tsv, then the user's curation file over it) into entity and
alias frames with a version hash. One line per entity; its aliases are a ` | ` list of `text {flags}` items."""

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
    rejected_surfaces: tuple[str, ...] = ()  # spellings the user marked as no entity (`kronika entities reject`)


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
        merge_entity_lines_into(merged, row)
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


def merge_duplicate_aliases(aliases: pl.DataFrame, person_ids: frozenset[str] = frozenset()) -> pl.DataFrame:
    """One row per (entity, alias): a spelling listed for both languages is 'any'; then pick its suffix rules.
    Albanian endings apply to sq/any names and to every name of a person (Albanian text writes 'Marco Rubios',
    'Bashar al-Assadit' on the English spelling), hyphenated endings to acronyms, none to other English-only
    spellings ('Roseau' is 'Roso' in Albanian)."""
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
        .when((pl.col("language") == "en") & ~pl.col("entity_id").is_in(list(person_ids))).then(pl.lit("none"))
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
    # Albanian writes an adjective of nationality or direction in lower case: 'Ministria e Jashtme Ruse' is also
    # 'Ministria e Jashtme ruse', 'Kongresi Amerikan' 'Kongresi amerikan'.
    rows += [row | {"alias": lower_case_adjective} for row in rows if row["language"] in ("sq", "any")
             and (lower_case_adjective := with_lower_case_adjective(row["alias"])) is not None]
    return [row | {"entity_id": entity["entity_id"]} for row in rows]


def with_lower_case_adjective(alias: str) -> str | None:
    """The alias with its last word in lower case, when that word is a capitalised adjective of nationality or
    direction (a demonym or direction of entity_rules/name_stopwords.txt) after another word; else None."""
    from pipelines.lib.entities.rules import load_candidate_rules  # noqa: PLC0415 (the entities package imports this)

    rules = load_candidate_rules()
    head, _, last = alias.rpartition(" ")
    # tail words ('News', 'Lajme', the days) end names as they are written
    if (not head or not last[:1].isupper() or last.lower() not in rules.stopwords
            or last.lower() in rules.tail_words):
        return None
    return f"{head} {last.lower()}"


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


# The user's curation file (`kronika entities ...`, docs/curation.md): one change per line, applied in order.
USER_COLUMNS = ("change", "entity_id", "entity_type", "name", "name_sq", "aliases", "surface", "into_entity_id",
                "recorded_at")
USER_CHANGES = frozenset({"promote", "merge", "split-alias", "reject"})
USER_FILE_HEADER = (
    "# Kronika user gazetteer: your curation, applied line by line over the shipped gazetteer (pipelines/reference/).\n"
    "# Written by `kronika entities promote|merge|split-alias|reject|undo`; plain TSV, keep it under version control.\n"
    "# See docs/curation.md.\n" + "\t".join(USER_COLUMNS) + "\n"
)


def read_user_changes(path: Path | None) -> list[dict[str, str]]:
    """The change lines of the user file (none when it is absent); an unknown change is an error naming its line."""
    if path is None or not path.is_file():
        return []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    changes = [{column: (row.get(column) or "").strip() for column in USER_COLUMNS}
               for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)]
    for number, change in enumerate(changes, start=1):
        if change["change"] not in USER_CHANGES:
            raise ValueError(f"{path}: change {number} is {change['change']!r}, not one of {sorted(USER_CHANGES)}")
    return changes


def apply_user_changes(merged: dict[str, dict[str, str]], renames: pl.DataFrame, changes: list[dict[str, str]]
                       ) -> tuple[pl.DataFrame, set[tuple[str, str]], tuple[str, ...]]:
    """Apply promotions and merges to the entity lines (in place); return the renames with the merged ids added,
    the (entity_id, alias) pairs split off and the rejected surfaces."""
    split_off: set[tuple[str, str]] = set()
    rejected: list[str] = []
    renamed: list[dict[str, str]] = []
    for change in changes:
        kind, entity_id = change["change"], change["entity_id"]
        if kind == "promote":
            line = {column: change.get(column, "") for column in GAZETTEER_COLUMNS} | {"source": "user"}
            merge_entity_lines_into(merged, line)
        elif kind == "merge":
            into = change["into_entity_id"]
            if entity_id not in merged or into not in merged:
                raise ValueError(f"user gazetteer: merge {entity_id} into {into}: "
                                 f"{entity_id if entity_id not in merged else into} is not an entity")
            absorbed = merged.pop(entity_id)
            names = [f"{absorbed['name']} {{en}}"] if absorbed["name"] else []
            names += [f"{absorbed['name_sq']} {{sq}}"] if absorbed["name_sq"] else []
            merged[into]["aliases"] = " | ".join(part for part in (merged[into]["aliases"], absorbed["aliases"], *names)
                                                 if part)
            renamed.append({"old_entity_id": entity_id, "entity_id": into, "reason": "merged by the user"})
        elif kind == "split-alias":
            split_off.add((entity_id, change["surface"]))
        else:
            rejected.append(change["surface"])
    if renamed:
        # An id renamed to a merged one now points where the merged one went.
        for rename in renamed:
            renames = renames.with_columns(pl.when(pl.col("entity_id") == rename["old_entity_id"])
                                           .then(pl.lit(rename["entity_id"])).otherwise("entity_id").alias("entity_id"))
            renamed = [row | {"entity_id": rename["entity_id"]} if row["entity_id"] == rename["old_entity_id"] else row
                       for row in renamed]
        renames = pl.concat([renames, pl.DataFrame(renamed, schema=RENAMES_SCHEMA)]).unique("old_entity_id", keep="last",
                                                                                            maintain_order=True)
    return renames, split_off, tuple(dict.fromkeys(rejected))


def merge_entity_lines_into(merged: dict[str, dict[str, str]], row: dict[str, str]) -> None:
    """One more line for `merge_entity_lines`' result: a new entity, or aliases added to an existing one."""
    current = merged.get(row["entity_id"])
    if current is None:
        merged[row["entity_id"]] = dict(row)
        return
    if current == row:
        return
    for column in ("entity_type", "name", "name_sq", "wikidata_id"):
        if not current[column]:
            current[column] = row[column]
    if row["aliases"]:
        current["aliases"] = " | ".join(part for part in (current["aliases"], row["aliases"]) if part)


def drop_curated_aliases(aliases: pl.DataFrame, split_off: set[tuple[str, str]], rejected: tuple[str, ...]) -> pl.DataFrame:
    """Aliases split off their entity, and rejected surfaces, leave the alias table with their folded and
    capitalised spellings."""
    forms = [(entity_id, form) for entity_id, alias in split_off
             for form in {alias, fold_diacritics(alias), alias[:1].upper() + alias[1:]}]
    dropped = pl.DataFrame(forms, schema={"entity_id": pl.String, "alias": pl.String}, orient="row")
    aliases = aliases.join(dropped, on=["entity_id", "alias"], how="anti")
    rejected_forms = {form for surface in rejected for form in (surface, fold_diacritics(surface))}
    return aliases.filter(~pl.col("alias").is_in(sorted(rejected_forms)))


def build_gazetteer(directory: Path, user_file: Path | None = None) -> Gazetteer:
    """The shipped gazetteer under `directory` with the changes of `user_file` (if any) applied over it."""
    merged = merge_entity_lines(read_entity_lines(directory))
    changes = read_user_changes(user_file)
    shipped_ids = set(merged)
    renames = read_entity_id_renames(directory, shipped_ids)
    renames, split_off, rejected = apply_user_changes(merged, renames, changes)
    unknown_types = sorted({entity["entity_type"] for entity in merged.values()} - ENTITY_TYPES)
    if unknown_types:
        raise ValueError(f"entity type(s) {unknown_types} are not one of {sorted(ENTITY_TYPES)}")
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
    person_ids = frozenset(entities.filter(pl.col("entity_type") == "PERSON")["entity_id"])
    aliases = merge_duplicate_aliases(add_folded_variants(aliases).drop("fold"), person_ids)
    aliases = drop_curated_aliases(aliases, split_off, rejected)
    countries = set(entities.filter(pl.col("entity_type") == "GPE")["entity_id"])
    unknown = sorted(set(aliases["country"].drop_nulls()) - countries)
    if unknown:
        raise ValueError(f"alias flag country= names no GPE entity of the gazetteer: {unknown}")
    version = directory_version(directory)
    if user_file is not None and user_file.is_file():
        # The matcher is cached per version: a curated gazetteer is another one.
        version += "+" + hashlib.sha256(user_file.read_bytes()).hexdigest()[:8]
    return Gazetteer(entities=entities, aliases=aliases, version=version, renames=renames, rejected_surfaces=rejected)


@lru_cache(maxsize=8)
def _cached_gazetteer(directory: Path, user_file: Path | None, user_file_signature: tuple[int, int] | None) -> Gazetteer:
    return build_gazetteer(directory, user_file)


def file_signature(path: Path | None) -> tuple[int, int] | None:
    if path is None or not path.is_file():
        return None
    status = path.stat()
    return status.st_mtime_ns, status.st_size


def load_gazetteer(directory: Path | None = None, user_file: Path | None = None) -> Gazetteer:
    """The gazetteer under `directory` (default pipelines/reference/gazetteer) with the user's curation file over
    it (default: the KRONIKA_USER_GAZETTEER setting), cached per directory and user file content. The user file
    applies to the shipped gazetteer only: another directory (a test's) is read alone unless a file is given."""
    if user_file is None and directory is None:
        from pipelines.lib.settings import user_gazetteer_path

        user_file = user_gazetteer_path()
    user_file = user_file.resolve() if user_file is not None else None
    return _cached_gazetteer(Path(directory or DEFAULT_DIRECTORY).resolve(), user_file, file_signature(user_file))
