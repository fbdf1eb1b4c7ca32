"""Turns DuckDB errors into one sentence that says what went wrong and what to do, for the CLI and the sensor.

DuckDB prefixes its messages with an error class (`IO Error:`, `Conversion Error:`); users see none of that."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

ERROR_CLASS = re.compile(r"^(?:[A-Z][A-Za-z ]*? )?Error: ")
LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")


def strip_error_class(message: str) -> str:
    """'Invalid Input Error: period must be week or month' -> 'period must be week or month'."""
    first = message.strip().splitlines()[0] if message.strip() else message
    return ERROR_CLASS.sub("", first, count=1)


def explain_open_error(error: duckdb.Error, path: Path) -> str | None:
    """A sentence for errors opening a warehouse file (not a DuckDB file, locked), else None."""
    message = str(error)
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
