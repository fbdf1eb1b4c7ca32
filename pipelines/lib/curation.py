"""Gazetteer curation: the changes `kronika entities ...` appends to the user gazetteer file, and the articles each
change makes stale (only those whose text contains a changed spelling, found in one pass over the warehouse)."""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.gazetteer import (
    ENTITY_TYPES, USER_COLUMNS, USER_FILE_HEADER, Gazetteer, build_gazetteer, read_user_changes, slugify,
)

# Stored in articles.extraction_version of the articles a change affects: any value other than the current
# version makes the next run re-extract them (warehouse.read_stale_articles).
CURATION_STALE_VERSION = "stale:curation"
# Characters RE2 (DuckDB's regex engine) reads as syntax; everything else stands for itself.
REGEX_SPECIAL = set("\\.^$|?*+()[]{}")


class CurationError(ValueError):
    """A change that cannot be made, said in one sentence with what to do instead."""


@dataclass(frozen=True)
class ChangeResult:
    change: dict[str, str]
    stale_articles: int  # articles marked for re-extraction (0 without a warehouse)
    spellings: list[str]  # the changed spellings that decided them


def escape_regex(text: str) -> str:
    return "".join("\\" + char if char in REGEX_SPECIAL else char for char in text)


def changed_spellings(before: Gazetteer, after: Gazetteer) -> tuple[list[str], list[str]]:
    """The spellings whose alias rows differ between two gazetteers (added, removed or moved to another entity,
    or of an entity whose type or name changed), the rejected surfaces that differ, and the entity ids that
    disappeared (merged away). Articles containing none of the spellings extract the same under both."""
    keys = ["entity_id", "alias", "language", "alias_kind", "is_default", "inflect", "country"]
    changed_aliases = pl.concat([
        before.aliases.select(keys).join(after.aliases.select(keys), on=keys, how="anti", nulls_equal=True),
        after.aliases.select(keys).join(before.aliases.select(keys), on=keys, how="anti", nulls_equal=True),
    ])
    entity_keys = ["entity_id", "name", "entity_type", "wikidata_id", "name_sq"]
    changed_entities = pl.concat([
        before.entities.join(after.entities, on=entity_keys, how="anti", nulls_equal=True),
        after.entities.join(before.entities, on=entity_keys, how="anti", nulls_equal=True),
    ]).select("entity_id").unique()
    retyped = pl.concat([before.aliases, after.aliases]).join(changed_entities, on="entity_id").select("alias")
    spellings = set(changed_aliases["alias"]) | set(retyped["alias"])
    spellings |= set(before.rejected_surfaces) ^ set(after.rejected_surfaces)
    removed_ids = set(before.entities["entity_id"]) - set(after.entities["entity_id"])
    return sorted(spellings), sorted(removed_ids)


def mark_affected_articles(connection: duckdb.DuckDBPyConnection, spellings: list[str], entity_ids: list[str]) -> int:
    """Mark for re-extraction every article whose title or body contains one of the spellings (after a non-letter,
    any case: inflected forms only add endings) or that has a mention of one of the ids or spellings. One regex
    pass over the articles; returns how many were marked."""
    if not spellings and not entity_ids:
        return 0
    pattern = r"(?:^|[^\p{L}\p{N}])(?:" + "|".join(escape_regex(spelling) for spelling in spellings) + ")" \
        if spellings else None
    surfaces = spellings + stem_sharing_surfaces(connection, spellings)
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(
            """CREATE OR REPLACE TEMP TABLE curation_affected AS
               SELECT article_id FROM articles
               WHERE ?::VARCHAR IS NOT NULL
                 AND regexp_matches(coalesce(title, '') || chr(10) || coalesce(body, ''), ?::VARCHAR, 'i')
               UNION
               SELECT article_id FROM mentions
               WHERE list_contains(?::VARCHAR[], entity_id) OR list_contains(?::VARCHAR[], surface)""",
            [pattern, pattern or "", entity_ids, surfaces])
        marked = connection.sql("SELECT count(*) FROM curation_affected").fetchone()[0]
        connection.execute("UPDATE articles SET extraction_version = ? WHERE article_id IN "
                           "(SELECT article_id FROM curation_affected)", [CURATION_STALE_VERSION])
        connection.execute("DROP TABLE curation_affected")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return int(marked)


def stem_sharing_surfaces(connection: duckdb.DuckDBPyConnection, spellings: list[str]) -> list[str]:
    """The stored mention surfaces whose stem is a changed spelling's: a candidate links to a gazetteer name by its stem
    ('Pançevës' to 'Pančevo', resolve.link_candidates_by_stem), so a changed name affects them although the text
    does not contain the spelling. One pass over the distinct surfaces."""
    if not spellings:
        return []
    from pipelines.lib.entities.resolve import stem_key_expression  # noqa: PLC0415 (the entity stage is heavy)

    stems = pl.DataFrame({"spelling": spellings}).select(stem_key_expression(pl.col("spelling")).alias("stem"))
    surfaces = connection.sql("SELECT DISTINCT surface FROM mentions WHERE surface IS NOT NULL").pl()
    return surfaces.filter(stem_key_expression(pl.col("surface")).is_in(stems["stem"].implode()))["surface"].to_list()


def write_user_changes(path: Path, changes: list[dict[str, str]]) -> None:
    """The whole file, rewritten atomically (a crash leaves the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(change.get(column, "") for column in USER_COLUMNS) for change in changes]
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(USER_FILE_HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    temporary.replace(path)


def check_field(value: str, what: str) -> str:
    if "\t" in value or "\n" in value or "|" in value and what != "aliases":
        raise CurationError(f"{what} {value!r} may not contain a tab, a line break or '|'")
    return value.strip()


def apply_changes(user_file: Path, changes: list[dict[str, str]], warehouse_path: Path | None) -> ChangeResult:
    """Make `changes` the user file's content: validate it (the layered gazetteer must build), mark the articles
    the difference affects and write the file, both under the writer lease so no run sees one without the other."""
    from pipelines.lib.gazetteer import DEFAULT_DIRECTORY

    before = build_gazetteer(DEFAULT_DIRECTORY, user_file)
    candidate_file = user_file.with_name(f".{user_file.name}.check")
    write_user_changes(candidate_file, changes)
    try:
        after = build_gazetteer(DEFAULT_DIRECTORY, candidate_file)
    except ValueError as error:
        raise CurationError(f"that change would break the gazetteer: {error}") from None
    finally:
        candidate_file.unlink(missing_ok=True)
    spellings, removed_ids = changed_spellings(before, after)
    last = changes[-1] if changes else {}
    if warehouse_path is None or not warehouse_path.exists():
        write_user_changes(user_file, changes)
        return ChangeResult(last, 0, spellings)
    from pipelines.lib.publication import publish_snapshot
    from pipelines.lib.warehouse import build_path_for, writer

    build = build_path_for(warehouse_path)
    with writer(build) as connection:
        stale = mark_affected_articles(connection, spellings, removed_ids)
        write_user_changes(user_file, changes)
        publish_snapshot(connection, build, warehouse_path)
    return ChangeResult(last, stale, spellings)


def new_change(kind: str, **fields: str) -> dict[str, str]:
    recorded_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {column: "" for column in USER_COLUMNS} | {"change": kind, "recorded_at": recorded_at} | fields


# ---- finding what a change names ------------------------------------------------------------------

def find_candidate(connection: duckdb.DuckDBPyConnection, text: str) -> dict | None:
    """The unlinked candidate named by its cand: key, its name (any case) or any spelling of it (same key)."""
    from pipelines.lib.entities.resolve import candidate_key_expression

    key = pl.select(candidate_key_expression(pl.lit(text.strip()))).item()
    rows = connection.execute(
        """SELECT e.entity_id, e.name, e.entity_type,
                  (SELECT count(DISTINCT article_id) FROM mentions m WHERE m.entity_id = e.entity_id) AS articles
           FROM entities e
           WHERE NOT e.linked AND (e.entity_id = ? OR e.entity_id = ? OR lower(e.name) = lower(?))
           ORDER BY e.entity_id = ? DESC, articles DESC LIMIT 1""", [text.strip(), key, text.strip(), text.strip()]
    ).fetchall()
    if not rows:
        return None
    entity_id, name, entity_type, articles = rows[0]
    return {"entity_id": entity_id, "name": name, "entity_type": entity_type, "articles": articles}


def closest(text: str, choices: list[str], count: int = 3) -> str:
    matches = difflib.get_close_matches(text, choices, n=count, cutoff=0.6)
    return f" Did you mean {', '.join(repr(match) for match in matches)}?" if matches else ""


def promote(user_file: Path, warehouse_path: Path, candidate: str, *, entity_type: str | None = None,
            aliases: tuple[str, ...] = (), name_sq: str = "", entity_id: str | None = None) -> ChangeResult:
    """A candidate (cand: key or name) becomes a gazetteer entity, or more spellings of an existing one (--id)."""
    from pipelines.lib.warehouse import reader

    if not warehouse_path.exists():
        raise CurationError(f"no warehouse at {warehouse_path}: run `kronika run` first, then promote a candidate "
                            "from `kronika report unlinked_candidates`")
    with reader(warehouse_path) as connection:
        found = find_candidate(connection, candidate)
        names = [] if found else [row[0] for row in connection.sql(
            "SELECT name FROM entities WHERE NOT linked").fetchall()]
    if found is None:
        raise CurationError(f"no unlinked candidate {candidate!r} in {warehouse_path}.{closest(candidate, names)} "
                            "See `kronika report unlinked_candidates`.")
    gazetteer = build_gazetteer_of(user_file)
    known = dict(gazetteer.entities.select("entity_id", "name").iter_rows())
    chosen_type = (entity_type or found["entity_type"] or "").upper()
    if entity_id and entity_id in known:
        chosen_type = ""  # spellings added to an existing entity keep its type
    elif chosen_type not in ENTITY_TYPES:
        raise CurationError(f"--type {entity_type or chosen_type!r} is not an entity type: use one of "
                            f"{', '.join(sorted(ENTITY_TYPES))}")
    new_id = entity_id or f"{chosen_type.lower()}:{slugify(found['name'])}"
    if entity_id is None and new_id in known:
        raise CurationError(f"{new_id} is already the entity {known[new_id]!r}: pass --id {new_id} to add "
                            f"{found['name']!r} to it, or --id with another id for a new entity")
    spellings = [found["name"], *(check_field(alias, "aliases") for alias in aliases)]
    change = new_change("promote", entity_id=check_field(new_id, "id"), entity_type=chosen_type,
                        name="" if new_id in known else found["name"], name_sq=check_field(name_sq, "--name-sq"),
                        aliases=" | ".join(dict.fromkeys(spellings)), surface=found["entity_id"])
    return apply_changes(user_file, read_user_changes(user_file) + [change], warehouse_path)


def reject(user_file: Path, warehouse_path: Path, surface: str) -> ChangeResult:
    """A surface (and its inflections) is no entity: its candidate mentions go, and it is no alias any more."""
    surface = check_field(surface, "surface")
    if not surface:
        raise CurationError("reject needs the surface to reject, e.g. `kronika entities reject 'Shiko Videon'`")
    changes = read_user_changes(user_file)
    if any(change["change"] == "reject" and change["surface"] == surface for change in changes):
        raise CurationError(f"{surface!r} is already rejected (see `kronika entities list-changes`)")
    return apply_changes(user_file, changes + [new_change("reject", surface=surface)], warehouse_path)


def resolve_entity(connection: duckdb.DuckDBPyConnection | None, gazetteer: Gazetteer, text: str,
                   parameter: str) -> str:
    """The entity id `text` names: a gazetteer id as written, else (with a warehouse) any name, alias, inflected
    form, candidate name or key, as `kronika report --param entity=` reads them."""
    from pipelines.lib.entity_browse import resolve_one
    from pipelines.lib.lookup import EntityNotFoundError, entity_names

    text = text.strip()
    if text in set(gazetteer.entities["entity_id"]):
        return text
    if connection is None:
        raise CurationError(f"{text!r} is no gazetteer id, and without a warehouse names cannot be looked up: "
                            "give the id (e.g. person:edi_rama) or run `kronika run` first")
    try:
        return resolve_one(entity_names(connection, gazetteer), text, parameter)
    except EntityNotFoundError as error:
        raise CurationError(str(error)) from None


def _with_reader(warehouse_path: Path | None):
    from contextlib import nullcontext

    from pipelines.lib.warehouse import reader

    return reader(warehouse_path) if warehouse_path is not None and warehouse_path.exists() else nullcontext(None)


def merge(user_file: Path, warehouse_path: Path | None, source: str, into: str) -> ChangeResult:
    """`source` becomes part of `into` (any names of either): a gazetteer entity's id, names and spellings move to
    `into` (its old id keeps resolving through entity_id_renames); a candidate's spelling becomes one of `into`."""
    gazetteer = build_gazetteer_of(user_file)
    with _with_reader(warehouse_path) as connection:
        source_id = resolve_entity(connection, gazetteer, source, "merge")
        into_id = resolve_entity(connection, gazetteer, into, "into")
        candidate = find_candidate(connection, source_id) if connection is not None else None
    known = dict(gazetteer.entities.select("entity_id", "name").iter_rows())
    if source_id == into_id:
        raise CurationError(f"{source!r} and {into!r} are the same entity ({into_id}): nothing to merge")
    if into_id not in known:
        raise CurationError(f"{into_id} is an unlinked candidate: promote it first "
                            f"(`kronika entities promote {shlex.quote(into_id)}`), then merge into its new id")
    if source_id in known:
        change = new_change("merge", entity_id=source_id, into_entity_id=into_id)
    elif candidate is not None:
        change = new_change("promote", entity_id=into_id, aliases=candidate["name"], surface=candidate["entity_id"])
    else:
        raise CurationError(f"{source_id} is neither a gazetteer entity nor an unlinked candidate")
    return apply_changes(user_file, read_user_changes(user_file) + [change], warehouse_path)


def split_alias(user_file: Path, warehouse_path: Path | None, entity: str, spelling: str) -> ChangeResult:
    """A wrong spelling leaves an entity: its mentions under that spelling are found again as candidates (or by
    another entity that has it) on the next run."""
    from pipelines.lib.lookup import key_of

    spelling = check_field(spelling, "spelling")
    gazetteer = build_gazetteer_of(user_file)
    with _with_reader(warehouse_path) as connection:
        entity_id = resolve_entity(connection, gazetteer, entity, "entity")
    aliases = gazetteer.aliases.filter(pl.col("entity_id") == entity_id)["alias"].unique().sort().to_list()
    matching = [alias for alias in aliases if key_of(alias) == key_of(spelling)]
    if not matching:
        if entity_id not in set(gazetteer.entities["entity_id"]):
            raise CurationError(f"{entity_id} is an unlinked candidate, it has no gazetteer spellings to split off: "
                                f"`kronika entities reject {shlex.quote(spelling)}` drops a wrong candidate")
        listed = ", ".join(repr(alias) for alias in aliases[:12]) + (f" and {len(aliases) - 12} more"
                                                                     if len(aliases) > 12 else "")
        raise CurationError(f"{spelling!r} is not a spelling of {entity_id}; its spellings are {listed}."
                            f"{closest(spelling, aliases)}")
    # The spelling as typed, else the same letters in another case, else the diacritic-folded match.
    exact = next((alias for alias in matching if alias == spelling),
                 next((alias for alias in matching if alias.lower() == spelling.lower()), matching[0]))
    return apply_changes(user_file, read_user_changes(user_file)
                         + [new_change("split-alias", entity_id=entity_id, surface=exact)], warehouse_path)


def list_changes(user_file: Path) -> pl.DataFrame:
    """The user file's changes, numbered in the order they apply (the numbers `undo` takes)."""
    changes = read_user_changes(user_file)
    frame = pl.DataFrame(changes, schema={column: pl.String for column in USER_COLUMNS}, orient="row")
    return frame.with_row_index("number", offset=1)


def undo(user_file: Path, warehouse_path: Path | None, number: int | None = None) -> ChangeResult:
    """Remove one change (the last by default, or change `number` of `list-changes`) and mark what it affected."""
    from dataclasses import replace

    changes = read_user_changes(user_file)
    if not changes:
        raise CurationError(f"no changes to undo in {user_file}")
    index = len(changes) if number is None else number
    if not 1 <= index <= len(changes):
        raise CurationError(f"there is no change {number}: {user_file} has {len(changes)} "
                            "(`kronika entities list-changes` numbers them)")
    removed = changes[index - 1]
    result = apply_changes(user_file, changes[: index - 1] + changes[index:], warehouse_path)
    return replace(result, change=removed)


def build_gazetteer_of(user_file: Path) -> Gazetteer:
    from pipelines.lib.gazetteer import DEFAULT_DIRECTORY

    return build_gazetteer(DEFAULT_DIRECTORY, user_file)


# ---- the report panel -------------------------------------------------------------------------------

def promote_command(entity_id: str, entity_type: str | None) -> str:
    """The command that promotes a candidate, as the analyst pastes it."""
    return f"kronika entities promote {shlex.quote(entity_id)}" + (f" --type {entity_type}" if entity_type else "")


def unlinked_candidate_rows(connection: duckdb.DuckDBPyConnection, top: int = 15) -> pl.DataFrame:
    """The most frequent unlinked candidates for the HTML report: candidate, entity_type, articles,
    promote_command (sql/unlinked_candidates.sql, the same rows `kronika report unlinked_candidates` prints)."""
    from pipelines.lib.reports import find_report, run_report

    rows = run_report(connection, find_report("unlinked_candidates"), {"top": top})
    return rows.select(pl.col("name").alias("candidate"), "entity_type", "articles", "promote_command")
