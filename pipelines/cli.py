"""The `kronika` command: run the pipeline, query reports, start the Dagster UI, inspect the warehouse.

Every verb calls the same assets and `sql/` files the Dagster UI uses; see `kronika --help`."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

import polars as pl

from pipelines.cli_output import print_frame
from pipelines.lib.settings import PROJECT_ROOT, Settings, settings_from_env

# Exit code when the warehouse is busy: another writer holds the lease, or a program holds the file read-write.
EXIT_BUSY = 3

DAGSTER_YAML = """\
# Written by `kronika ui` when missing. Every asset that writes the warehouse is in the pool
# `kronika_warehouse`; with run granularity, runs that write wait for each other.
concurrency:
  pools:
    default_limit: 1
    granularity: run
telemetry:
  enabled: false
"""

# The code location's name in the UI; `dagster dev -m` would name it after the module (`pipelines.definitions`).
CODE_LOCATION_NAME = "kronika"
WORKSPACE_YAML = f"""\
# Rewritten by `kronika ui` on every start: one code location, named after the project.
load_from:
  - python_module:
      module_name: pipelines.definitions
      location_name: {CODE_LOCATION_NAME}
"""


def _settings(args: argparse.Namespace) -> Settings:
    return settings_from_env(getattr(args, "raw", None), getattr(args, "warehouse", None))


# ---- run ------------------------------------------------------------------------------------

def command_run(args: argparse.Namespace) -> int:
    from pipelines.defs.oneshot import run_pipeline

    settings = _settings(args)
    if args.batch_size:
        settings = dataclasses.replace(settings, batch_size=args.batch_size)
    if args.workers is not None:
        if args.workers < 1:
            print("kronika: --workers takes a number of processes, 1 or more", file=sys.stderr)
            return 2
        settings = dataclasses.replace(settings, workers=args.workers)
    if not settings.raw_dir.is_dir():
        print(f"kronika: no raw folder at {settings.raw_dir} (set --raw or KRONIKA_RAW_DIR)", file=sys.stderr)
        return 2
    refused = _refuse_foreign_file(settings.warehouse_path)
    if refused:
        return refused
    has_files = _has_article_files(settings.raw_dir)
    if not has_files and not settings.warehouse_path.exists():
        print(f"No article files under {settings.raw_dir}: Kronika reads .txt, .md and .jsonl files "
              f"(in sub-folders too); nothing was ingested.")
        return 0
    summary = run_pipeline(settings, show_progress=not args.quiet, dagster_home=recording_home(args.record))
    if not has_files:
        print(f"No article files under {settings.raw_dir} (Kronika reads .txt, .md and .jsonl files, "
              f"in sub-folders too).")
    if summary.publication_note:
        print(f"kronika: {summary.publication_note}", file=sys.stderr)
    if summary.up_to_date:
        print(f"Nothing new under {settings.raw_dir}: {settings.warehouse_path} is up to date.")
    else:
        print(f"Ingested {_count(summary.files_read, 'file')} ({_count(summary.records_read, 'record')}: "
              f"{summary.files_ingested} ingested, {summary.files_duplicate} duplicate, "
              f"{summary.files_quarantined} quarantined, {summary.files_superseded} superseded"
              + (f"; {_count(summary.articles_reextracted, 'stored article')} re-extracted"
                 if summary.articles_reextracted else "")
              + f") in {summary.seconds:.1f} s into {settings.warehouse_path}")
    from pipelines.lib.publication import publication_pending

    if not args.quiet and not publication_pending(settings.warehouse_path):
        from pipelines.lib.reports import find_report, run_report
        from pipelines.lib.warehouse import reader

        with reader(settings.warehouse_path) as connection:
            top = run_report(connection, find_report("top_entities"), {"top": 15}, display_timezone=settings.timezone)
        print_frame(top, title="Top entities")
    return 0


def _refuse_foreign_file(warehouse_path: Path) -> int:
    """Exit 2 with one sentence when --warehouse names a file that is not DuckDB (0 when it is fine)."""
    from pipelines.lib.messages import refuse_foreign_file

    refusal = refuse_foreign_file(warehouse_path)
    if refusal:
        print(f"kronika: {refusal}", file=sys.stderr)
        return 2
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _has_article_files(raw_dir: Path) -> bool:
    from pipelines.lib.discover import scan_raw_dir

    files, _ = scan_raw_dir(raw_dir)
    return files.height > 0


# ---- report ---------------------------------------------------------------------------------

def _report_help(report) -> str:
    from pipelines.lib.report_parameters import describe

    lines = [f"kronika report {report.name}: {report.description}", "", "parameters:"]
    for parameter in report.parameters:
        default = "" if parameter.required else f" (default: {parameter.default if parameter.default is not None else 'none'})"
        accepts = (f" [{describe(parameter.values)}]" if parameter.values not in (None, "integer", "entity") else "")
        lines.append(f"  --param {parameter.name}=VALUE   {parameter.help}{default}{accepts}")
    if not report.parameters:
        lines.append("  (none)")
    if report.examples:
        lines += ["", "examples:"] + [f"  {e}" for e in report.examples]
    return "\n".join(lines)


def _explain_empty(report, values: dict, entities: dict, connection) -> str:
    """Why a report returned no rows: the filters it ran with, and an empty warehouse said as such."""
    articles = connection.sql("SELECT count(*) FROM articles").fetchone()[0]
    if not articles:
        return f"no rows: the warehouse has no articles yet (run `kronika run` on a folder of article files)"
    filters = []
    for name, value in values.items():
        if value is None:
            continue
        if name in entities:
            entity_name, entity_id = entities[name]
            filters.append(f"{name}={entity_name} ({entity_id})")
        else:
            filters.append(f"{name}={value}")
    why = f"no rows for {', '.join(filters)}" if filters else "no rows"
    hint = ""
    window = next((p for p in report.parameters if p.name == "unit_window" and p.values), None)
    if window and values.get("unit_window", window.default) != window.values.split("|")[-1].strip():
        widest = window.values.split("|")[-1].strip()
        hint = f"; a wider window finds more: --param unit_window={widest}"
    return f"{why} in {articles} article(s) of this warehouse{hint}"


def command_report(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.lib.gazetteer import load_gazetteer
    from pipelines.lib.lookup import entity_names
    from pipelines.lib.messages import explain_open_error, explain_query_error
    from pipelines.lib.report_parameters import ParameterError, check_parameters
    from pipelines.lib.reports import coerce_parameter, find_report, list_reports, run_report
    from pipelines.lib.warehouse import reader

    if not args.name:
        print_frame(pl.DataFrame({"report": [r.name for r in list_reports()],
                                   "description": [r.description for r in list_reports()]}), title="Reports")
        print("Run `kronika report NAME --help` for a report's parameters.")
        return 0
    try:
        report = find_report(args.name)
    except KeyError as error:
        print(f"kronika: {error.args[0]}", file=sys.stderr)
        return 2
    if args.help_report:
        print(_report_help(report))
        return 0
    values = {}
    for item in args.param:
        if "=" not in item:
            print(f"kronika: --param takes NAME=VALUE, got {item!r}", file=sys.stderr)
            return 2
        name, value = item.split("=", 1)
        values[name.strip()] = coerce_parameter(value)
    hint = f" (`kronika report {report.name} --help` lists its parameters)"
    settings = _settings(args)
    try:
        with reader(settings.warehouse_path) as connection:
            try:
                checked = check_parameters(report, values, lambda: entity_names(connection, load_gazetteer()))
            except ParameterError as error:
                print(f"kronika: {error}{hint}", file=sys.stderr)
                return 2
            result = run_report(connection, report, checked.values, display_timezone=settings.timezone)
            empty = _explain_empty(report, values, checked.entities, connection) if result.is_empty() else None
    except FileNotFoundError as error:
        print(f"kronika: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"kronika: {error}", file=sys.stderr)
        return 2
    except duckdb.Error as error:  # a sentence, not a traceback or a DuckDB error class
        message = explain_open_error(error, settings.warehouse_path) or explain_query_error(error, report.name)
        print(f"kronika: {message}", file=sys.stderr)
        return 2
    if empty:
        print(f"kronika: {report.name}: {empty}", file=sys.stderr)
    print_frame(result, args.format, title=report.name)
    return 0


# ---- status / purge ---------------------------------------------------------------------------

def command_status(args: argparse.Namespace) -> int:
    from pipelines.lib.reports import set_display_timezone
    from pipelines.lib.warehouse import reader

    settings = _settings(args)
    try:
        with reader(settings.warehouse_path) as connection:
            set_display_timezone(connection, settings.timezone)
            counts = connection.sql("SELECT status, count(*) AS files, count(missing_since) AS missing_from_raw "
                                    "FROM source_files GROUP BY status ORDER BY status").pl()
            quarantined = connection.sql("SELECT source_path, reason FROM source_files "
                                         "WHERE status = 'quarantined' ORDER BY source_path").pl()
            tables = connection.sql("SELECT (SELECT count(*) FROM articles) AS articles, "
                                    "(SELECT count(*) FROM mentions) AS mentions, "
                                    "(SELECT count(*) FROM figures) AS figures").pl()
    except (FileNotFoundError, ValueError) as error:
        print(f"kronika: {error}", file=sys.stderr)
        return 2
    print_frame(tables, title=f"Warehouse {settings.warehouse_path}")
    print_frame(counts, title="Files by status")
    print_frame(quarantined, title="Quarantined files")
    return 0


def command_purge_missing(args: argparse.Namespace) -> int:
    from pipelines.lib.publication import publish_snapshot
    from pipelines.lib.reports import refresh_maintained_tables
    from pipelines.lib.warehouse import build_path_for, purge_missing, writer

    settings = _settings(args)
    if not settings.warehouse_path.exists():  # purging would otherwise create an empty warehouse there
        print(f"kronika: no warehouse at {settings.warehouse_path}: run `kronika run` first", file=sys.stderr)
        return 2
    refused = _refuse_foreign_file(settings.warehouse_path)
    if refused:
        return refused
    build = build_path_for(settings.warehouse_path)
    with writer(build) as connection:
        purged = purge_missing(connection)
        refresh_maintained_tables(connection, timezone=settings.timezone)   # the counts moved with the purge; the tables built from them follow
        published = publish_snapshot(connection, build, settings.warehouse_path)
    print(f"Purged {purged} article(s) whose files are gone from {settings.raw_dir}.")
    if published.message:
        print(f"kronika: {published.message}", file=sys.stderr)
    return 0


def recording_home(record: bool | None) -> Path | None:
    """The DAGSTER_HOME whose instance `kronika run` records its runs in: the UI's (DAGSTER_HOME, or `.dagster_home/`
    once `kronika ui` has made it) unless `--no-record`; `--record` makes the home if it is missing. None: in memory."""
    if record is False:
        return None
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home")
    if record is None and not (home / "dagster.yaml").exists():
        return None
    return dagster_home()


# ---- ui / eval --------------------------------------------------------------------------------

def dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def workspace_file(home: Path) -> Path:
    """The workspace `kronika ui` hands to `dagster dev`, kept in DAGSTER_HOME so it never lands in the checkout."""
    workspace = home / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML)
    return workspace


def command_ui(args: argparse.Namespace) -> int:
    settings = _settings(args)
    home = dagster_home()
    from pipelines.lib.settings import user_gazetteer_path

    environment = {**os.environ, "DAGSTER_HOME": str(home), "KRONIKA_USER_GAZETTEER": str(user_gazetteer_path()),
                   "KRONIKA_RAW_DIR": str(settings.raw_dir), "KRONIKA_WAREHOUSE": str(settings.warehouse_path)}
    # `dg dev` (dagster-dg-cli), the current entry point: `dagster dev` is superseded and prints a warning.
    command = [sys.executable, "-m", "dagster_dg_cli.cli", "dev", "-w", str(workspace_file(home)),
               "-h", args.host, "-p", str(args.port)]
    print(f"Starting the Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={environment['DAGSTER_HOME']})")
    os.execvpe(command[0], command, environment)
    return 0  # not reached


def command_bench(args: argparse.Namespace) -> int:
    from pipelines import bench

    if args.rest[:1] == ["generate"]:
        return bench.generate_main(args.rest[1:])
    return bench.main(args.rest)


def command_eval(args: argparse.Namespace) -> int:
    from pipelines.tooling.evaluate import main as evaluate_main

    return evaluate_main(args.rest)


# ---- parser ---------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kronika",
        description="Kronika turns a folder of scraped news articles (Albanian and English) into a DuckDB "
                    "warehouse of articles, entity mentions and figures, and answers questions with SQL reports.",
        epilog="Start with `kronika run`, then `kronika report` to list the reports. "
               "Paths default to raw/ and warehouse/kronika.duckdb (or KRONIKA_RAW_DIR / KRONIKA_WAREHOUSE).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def with_paths(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--raw", metavar="DIR", help="folder of raw article files (default raw/, or KRONIKA_RAW_DIR)")
        sub.add_argument("--warehouse", metavar="PATH",
                         help="DuckDB file (default warehouse/kronika.duckdb, or KRONIKA_WAREHOUSE)")
        return sub

    run = with_paths(commands.add_parser("run", help="ingest new and changed files and refresh the reports"))
    run.add_argument("--batch-size", type=int, help="files per transaction (default 20000, or KRONIKA_BATCH_SIZE)")
    run.add_argument("--workers", type=int, metavar="N",
                     help="processes that read, parse and extract batches while this one writes (default: the "
                          "usable cores, at most 2, or KRONIKA_WORKERS; 1 does everything in one process)")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no report at the end")
    run.add_argument("--record", action=argparse.BooleanOptionalAction, default=None,
                     help="record the runs in the Dagster UI's instance (default: when DAGSTER_HOME is set or "
                          "`kronika ui` has made .dagster_home/)")
    run.set_defaults(handler=command_run)

    report = with_paths(commands.add_parser("report", add_help=False,
                                            help="list the SQL reports, or run one: kronika report NAME [--param k=v]"))
    report.add_argument("name", nargs="?", help="report name (a file in sql/ without .sql)")
    report.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a report parameter")
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    report.add_argument("-h", "--help", dest="help_report", action="store_true", help="show the report's parameters")
    report.set_defaults(handler=command_report)

    status = with_paths(commands.add_parser("status", help="files by status, and quarantined files with reasons"))
    status.set_defaults(handler=command_status)

    purge = with_paths(commands.add_parser("purge-missing", help="delete articles whose files were removed from raw/"))
    purge.set_defaults(handler=command_purge_missing)

    ui = with_paths(commands.add_parser("ui", help="start the Dagster UI (dg dev) on 127.0.0.1 with the sensor on"))
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=command_ui)

    bench = commands.add_parser("bench", help="benchmarks: `kronika bench generate N` writes a synthetic corpus; "
                                               "`kronika bench [--sizes 10000,100000]` measures every stage")
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="generate N [--out DIR --seed S], or benchmark options")
    bench.set_defaults(handler=command_bench)

    evaluate = commands.add_parser("eval", help="score entities and figures against the gold articles")
    evaluate.add_argument("rest", nargs=argparse.REMAINDER, help="options for the evaluation (--gold DIR, --json)")
    evaluate.set_defaults(handler=command_eval)

    from pipelines.cli_entities import add_entities_parser  # the curation verbs live in their own module
    add_entities_parser(commands, with_paths)
    return parser


# Verbs that hand everything after their name to their own parser ('kronika eval --json'). argparse's REMAINDER
# does not take arguments that start with '-' when they come first, so those verbs are parsed leniently.
PASS_THROUGH_COMMANDS = ("eval", "bench")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args, unknown = parser.parse_known_args(argv)
    if getattr(args, "command", None) in PASS_THROUGH_COMMANDS:
        args.rest = argv[argv.index(args.command) + 1:]
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    if args.command == "report" and args.help_report and not args.name:
        print(
            "usage: kronika report [NAME] [--param NAME=VALUE ...] [--format table|csv|json]\n"
            "Without NAME, lists the reports; `kronika report NAME --help` shows a report's parameters.")
        return 0
    from pipelines.lib.lease import WarehouseBusyError
    from pipelines.lib.workers import WorkerDiedError

    try:
        return args.handler(args)
    except WarehouseBusyError as error:  # another writer, or a read-write session on the published file
        print(f"kronika: {error}", file=sys.stderr)
        return EXIT_BUSY
    except WorkerDiedError as error:  # the batches before it are committed; the next run resumes after them
        print(f"kronika: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a DuckDB error from any verb is a sentence, never a traceback with its class
        import duckdb

        if not isinstance(error, duckdb.Error):
            raise
        from pipelines.lib.messages import explain_command_error

        print(f"kronika: {explain_command_error(error, _settings(args).warehouse_path, args.command)}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
