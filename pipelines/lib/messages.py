"""Turns DuckDB errors into one sentence that says what went wrong and what to do, for the CLI and the sensor.

DuckDB prefixes its messages with an error class (`IO Error:`, `Conversion Error:`); users see none of that."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

ERROR_CLASS = re.compile(r"^(?:[A-Z][A-Za-z ]*? )?Error: ")
MISSING_TABLE = re.compile(r"Table with name (?P<table>\w+) does not exist")
LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")


def strip_error_class(message: str) -> str:
    """'Invalid Input Error: period must be week or month' -> 'period must be week or month'."""
    first = message.strip().splitlines()[0] if message.strip() else message
    return ERROR_CLASS.sub("", first, count=1)


def explain_open_error(error: duckdb.Error, path: Path, writing: bool = False) -> str | None:
    """A sentence for errors opening a warehouse file (not a DuckDB file, locked), else None.

    `writing` is for the verbs that publish to the file (run, purge-missing): they never overwrite a foreign file."""
    message = str(error)
    if "not a valid DuckDB database file" in message and writing:
        return (f"{path} is not a DuckDB warehouse (the file exists but is not a DuckDB database), so Kronika "
                "will not replace it: move it aside or point --warehouse (or KRONIKA_WAREHOUSE) at another path; "
                "what was written is kept in the build file and published by the next `kronika run`")
    if "not a valid DuckDB database file" in message:
        return (f"{path} is not a DuckDB warehouse (the file exists but is not a DuckDB database): "
                "point --warehouse (or KRONIKA_WAREHOUSE) at the kronika.duckdb that `kronika run` writes")
    if "Could not set lock" in message:
        holder = LOCK_HOLDER.search(message)
        who = f"process {holder['pid']} ({Path(holder['program']).name})" if holder else "another process"
        return (f"{path} is locked by {who}, which has it open for writing: wait for it to finish, "
                "or open the published snapshot (the --warehouse path `kronika run` prints) instead")
    if "database file version" in message or "older version of DuckDB" in message or "newer version" in message:
        return (f"{path} was written by another DuckDB version: rebuild it with `kronika run` "
                "or open it with the DuckDB version that wrote it")
    return None


def explain_query_error(error: duckdb.Error, report_name: str) -> str:
    """A sentence for an error raised while a report runs; the `--help` hint only where a value was at fault."""
    message = strip_error_class(str(error))
    if isinstance(error, (duckdb.ConversionException, duckdb.InvalidInputException)) or "TimeZone" in str(error):
        if "Unknown TimeZone" in str(error):
            message = "timezone must be an IANA time zone such as Europe/Tirane or UTC"
        return f"report {report_name}: {message} (`kronika report {report_name} --help` lists its parameters)"
    if isinstance(error, duckdb.CatalogException):
        return (f"report {report_name} needs a table this warehouse lacks ({message}): "
                "run `kronika run` to bring the warehouse up to date")
    return f"report {report_name} failed: {message}"


def refuse_foreign_file(path: Path) -> str | None:
    """A sentence when the warehouse path holds a file that is not a DuckDB database, checked before a writer starts.

    Without it a run would ingest into its build file and only fail when publishing over the foreign file."""
    if not path.is_file():
        return None
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.Error as error:  # a lock held by an analyst is fine: publication handles a held file
        if "not a valid DuckDB database file" in str(error):
            return (f"{path} is not a DuckDB warehouse (the file exists but is not a DuckDB database), so Kronika "
                    "will not replace it: move it aside or point --warehouse (or KRONIKA_WAREHOUSE) at another "
                    "path; nothing was written")
    return None


def explain_command_error(error: duckdb.Error, path: Path, command: str) -> str:
    """A sentence for a DuckDB error that reached a verb other than `report` (status, run, purge-missing)."""
    explained = explain_open_error(error, path, writing=command in ("run", "purge-missing"))
    if explained:
        return explained
    missing_table = MISSING_TABLE.search(str(error))
    if isinstance(error, duckdb.CatalogException) and missing_table:
        return (f"{path} has no table {missing_table['table']}, so it is not a Kronika warehouse or predates this "
                "version: point --warehouse (or KRONIKA_WAREHOUSE) at the kronika.duckdb that `kronika run` writes, "
                "or run `kronika run` to bring it up to date")
    return (f"`kronika {command}` failed on {path}: {strip_error_class(str(error))}; "
            "run `kronika run` to rebuild the warehouse, then try again")
