"""`kronika entities ...`: look entities up (search, show) and curate the gazetteer (promote, merge, split-alias,
reject, list-changes, undo), see docs/curation.md. Changes go to the user gazetteer file (KRONIKA_USER_GAZETTEER);
the next `kronika run` re-extracts the articles they affect."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager

from pipelines.cli_output import print_frame
from pipelines.lib.settings import settings_from_env, user_gazetteer_path


def _paths(args: argparse.Namespace):
    settings = settings_from_env(getattr(args, "raw", None), getattr(args, "warehouse", None))
    return user_gazetteer_path(), settings.warehouse_path


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _report(result, done: str, user_file) -> int:
    print(f"{done} in {user_file}.")
    print(f"{_count(result.stale_articles, 'article')} marked for re-extraction: run `kronika run` to apply.")
    return 0


def command_promote(args: argparse.Namespace) -> int:
    from pipelines.lib import curation

    user_file, warehouse_path = _paths(args)
    result = curation.promote(user_file, warehouse_path, args.candidate, entity_type=args.type,
                              aliases=tuple(args.alias), name_sq=args.name_sq or "", entity_id=args.id)
    change = result.change
    kind = f" {change['entity_type']}" if change["entity_type"] else ""
    return _report(result, f"Promoted {change['surface']} to {change['entity_id']}{kind} "
                           f"(spellings: {change['aliases']})", user_file)


def command_reject(args: argparse.Namespace) -> int:
    from pipelines.lib import curation

    user_file, warehouse_path = _paths(args)
    result = curation.reject(user_file, warehouse_path, args.surface)
    return _report(result, f"Rejected {result.change['surface']!r} as no entity", user_file)


def command_merge(args: argparse.Namespace) -> int:
    from pipelines.lib import curation

    user_file, warehouse_path = _paths(args)
    result = curation.merge(user_file, warehouse_path, args.source, args.into)
    change = result.change
    if change["change"] == "merge":
        done = f"Merged {change['entity_id']} into {change['into_entity_id']}"
    else:
        done = f"Merged candidate {change['surface']} into {change['entity_id']} (spelling: {change['aliases']})"
    return _report(result, done, user_file)


def command_split_alias(args: argparse.Namespace) -> int:
    from pipelines.lib import curation

    user_file, warehouse_path = _paths(args)
    result = curation.split_alias(user_file, warehouse_path, args.entity, args.spelling)
    return _report(result, f"Split {result.change['surface']!r} off {result.change['entity_id']}", user_file)


def command_undo(args: argparse.Namespace) -> int:
    from pipelines.lib import curation

    user_file, warehouse_path = _paths(args)
    result = curation.undo(user_file, warehouse_path, args.number)
    change = result.change
    what = " ".join(part for part in (change["change"], change["entity_id"] or change["surface"],
                                      change["into_entity_id"] and f"into {change['into_entity_id']}") if part)
    return _report(result, f"Undid `{what}` (recorded {change['recorded_at']})", user_file)


def command_list_changes(args: argparse.Namespace) -> int:
    from pipelines.lib import curation

    user_file, _ = _paths(args)
    changes = curation.list_changes(user_file)
    if changes.is_empty():
        print(f"No curation changes in {user_file}.")
        return 0
    shown = changes.select([column for column in changes.columns
                            if column == "number" or args.format != "table"
                            or (changes[column].str.len_chars().max() or 0) > 0])  # empty columns only widen it
    print_frame(shown, args.format, title=f"Curation changes in {user_file}")
    return 0


@contextmanager
def _open_for_lookup(args: argparse.Namespace):
    """A read-only session on the warehouse whose dates are in KRONIKA_TIMEZONE, as `kronika report` shows them."""
    from pipelines.lib.curation import CurationError
    from pipelines.lib.reports import set_display_timezone
    from pipelines.lib.warehouse import reader

    settings = settings_from_env(getattr(args, "raw", None), getattr(args, "warehouse", None))
    if not settings.warehouse_path.exists():
        raise CurationError(f"no warehouse at {settings.warehouse_path}: run `kronika run` first")
    with reader(settings.warehouse_path) as connection:
        set_display_timezone(connection, settings.timezone)
        yield connection


def command_search(args: argparse.Namespace) -> int:
    from pipelines.lib.curation import CurationError
    from pipelines.lib.entity_browse import search_entities
    from pipelines.lib.gazetteer import load_gazetteer
    from pipelines.lib.lookup import entity_names

    with _open_for_lookup(args) as connection:
        gazetteer = load_gazetteer()
        try:
            found = search_entities(connection, gazetteer, args.text, limit=args.top)
        except ValueError as error:
            raise CurationError(str(error)) from None
        if found.is_empty():
            suggestions = entity_names(connection, gazetteer).suggestions(args.text)
            hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
            print(f"kronika: no entity has a name containing {args.text!r}{hint}", file=sys.stderr)
            return 0
    print_frame(found, args.format, title=f"Entities matching {args.text!r}")
    return 0


def command_show(args: argparse.Namespace) -> int:
    from pipelines.lib.curation import CurationError
    from pipelines.lib.entity_browse import entity_profile
    from pipelines.lib.gazetteer import load_gazetteer
    from pipelines.lib.lookup import EntityNotFoundError

    with _open_for_lookup(args) as connection:
        try:
            profile = entity_profile(connection, load_gazetteer(), args.entity, contexts=args.top)
        except EntityNotFoundError as error:
            raise CurationError(str(error)) from None
    entity = profile.entity
    if args.format == "json":
        import json

        print(json.dumps({"entity": entity, "spellings": profile.spellings.to_dicts(),
                          "contexts": profile.contexts.to_dicts()}, default=str, ensure_ascii=False, indent=2))
        return 0
    kind = "gazetteer entity" if entity["linked"] else "unlinked candidate"
    print(f"{entity['name']}  ({entity['entity_id']}, {entity['entity_type'] or 'untyped'}, {kind})")
    if entity["name_sq"]:
        print(f"Albanian name: {entity['name_sq']}")
    seen = (f"first {entity['first_seen']:%Y-%m-%d}, last {entity['last_seen']:%Y-%m-%d}"
            if entity["first_seen"] else "no dated article")
    print(f"{entity['mentions']} mention(s) in {entity['articles']} article(s); {seen}")
    print_frame(profile.spellings, "table", title="Spellings")
    if not profile.contexts.is_empty():
        print_frame(profile.contexts, "table", title="Newest sentences")
    if not entity["linked"]:
        from pipelines.lib.curation import promote_command

        print(f"Promote it: {promote_command(entity['entity_id'], entity['entity_type'])}")
    return 0


def run_entities_command(args: argparse.Namespace) -> int:
    from pipelines.lib.curation import CurationError

    if not getattr(args, "entities_handler", None):
        args.entities_parser.print_help()
        return 0
    try:
        return args.entities_handler(args)
    except CurationError as error:
        print(f"kronika: {error}", file=sys.stderr)
        return 2


def add_entities_parser(commands, with_paths) -> None:
    """The `entities` verb and its sub-verbs, on the `kronika` parser's subcommands."""
    entities = commands.add_parser(
        "entities", help="look entities up and curate the gazetteer: search, show, promote, merge, split-alias, reject, undo "
             "(docs/curation.md)",
        description="Curate the gazetteer. Changes are written to the user gazetteer file (KRONIKA_USER_GAZETTEER, "
                    "default curation/gazetteer.tsv) and mark only the affected articles for re-extraction by the "
                    "next `kronika run`.")
    entities.set_defaults(handler=run_entities_command, entities_parser=entities)
    verbs = entities.add_subparsers(dest="entities_command", metavar="VERB")

    promote = with_paths(verbs.add_parser(
        "promote", help="add an unlinked candidate to the gazetteer (see `kronika report unlinked_candidates`)"))
    promote.add_argument("candidate", help="the candidate's cand: key or name, e.g. cand:xiaoqing_yu or 'Xiaoqing Yu'")
    promote.add_argument("--type", help="PERSON, ORG, GPE, LOC, EVENT or OTHER (default: the candidate's type)")
    promote.add_argument("--alias", action="append", default=[], metavar="SPELLING",
                         help="another spelling, e.g. 'ZRRE' or 'Zyra e Rregullatorit {sq}' (repeatable)")
    promote.add_argument("--name-sq", metavar="NAME", help="the Albanian name")
    promote.add_argument("--id", help="the entity id (default TYPE:slug_of_name); an existing id gets the spellings")
    promote.set_defaults(entities_handler=command_promote)

    merge = with_paths(verbs.add_parser(
        "merge", help="make one entity (or a candidate) part of another: counts, spellings and the old id move"))
    merge.add_argument("source", help="the entity or candidate that goes: any name, spelling or id")
    merge.add_argument("into", help="the gazetteer entity that stays: any name, spelling or id")
    merge.set_defaults(entities_handler=command_merge)

    split = with_paths(verbs.add_parser("split-alias", help="take a wrong spelling off an entity"))
    split.add_argument("entity", help="the entity: any name, spelling or id")
    split.add_argument("spelling", help="the spelling to take off it, e.g. 'Milan' off a person")
    split.set_defaults(entities_handler=command_split_alias)

    search = with_paths(verbs.add_parser("search", help="entities and candidates with a name containing TEXT"))
    search.add_argument("text", help="part of a name, any case and diacritics (kurti, Shqiper)")
    search.add_argument("--top", type=int, default=20, help="how many entities (default 20)")
    search.add_argument("--format", choices=["table", "csv", "json"], default="table")
    search.set_defaults(entities_handler=command_search)

    show = with_paths(verbs.add_parser(
        "show", help="one entity: spellings, counts, first and last seen, newest sentences"))
    show.add_argument("entity", help="any name, spelling, inflected form or id (Putinit, cand:xiaoqing_yu)")
    show.add_argument("--top", type=int, default=5, help="how many sentences (default 5)")
    show.add_argument("--format", choices=["table", "json"], default="table")
    show.set_defaults(entities_handler=command_show)

    listed = with_paths(verbs.add_parser("list-changes", help="the user gazetteer's changes, numbered"))
    listed.add_argument("--format", choices=["table", "csv", "json"], default="table")
    listed.set_defaults(entities_handler=command_list_changes)

    undo = with_paths(verbs.add_parser("undo", help="remove the last change (or change NUMBER of list-changes)"))
    undo.add_argument("number", nargs="?", type=int, help="the change's number in `kronika entities list-changes`")
    undo.set_defaults(entities_handler=command_undo)

    reject = with_paths(verbs.add_parser("reject", help="mark a surface as no entity, e.g. 'Shiko Videon'"))
    reject.add_argument("surface", help="the text as it appears in articles")
    reject.set_defaults(entities_handler=command_reject)
