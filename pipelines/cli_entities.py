"""`kronika entities ...`: curate the gazetteer from the command line (promote, reject, ...), see docs/curation.md.
Changes go to the user gazetteer file (KRONIKA_USER_GAZETTEER); the next `kronika run` re-extracts what they affect."""

from __future__ import annotations

import argparse
import sys

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
        "entities", help="curate the gazetteer: promote a candidate, reject a surface, ... (docs/curation.md)",
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

    reject = with_paths(verbs.add_parser("reject", help="mark a surface as no entity, e.g. 'Shiko Videon'"))
    reject.add_argument("surface", help="the text as it appears in articles")
    reject.set_defaults(entities_handler=command_reject)
