"""Finds the SQL reports in `sql/`, reads their header comments and runs them with bound parameters.

A report file reads its parameters with `getvariable('name')`; Kronika binds them with
`SET VARIABLE name = ?`, so a value is always data, never SQL, and the file runs as-is in the DuckDB CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import polars as pl

from pipelines.lib import report_maintenance
from pipelines.lib.settings import PROJECT_ROOT

SQL_DIR = PROJECT_ROOT / "sql"
HEADER_LINE = re.compile(r"^--\s?(?P<key>[a-z_ ()A-Z]+):\s*(?P<value>.*)$")
PARAM_LINE = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)\s*(?:=\s*(?P<default>[^-]*?))?\s*(?:--\s*(?P<help>.*))?$")
PARAM_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class ReportParameter:
    name: str
    default: str | None
    help: str
    values: str | None = None   # the `-- values:` spec: `entity`, `YYYY-MM`, `integer`, `day | week | month`, …

    @property
    def required(self) -> bool:
        return self.help.endswith("(required)")


@dataclass(frozen=True)
class Report:
    name: str
    path: Path
    description: str
    parameters: list[ReportParameter] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    materialize_as: str | None = None   # a report table the Dagster report assets build from this file
    role: str = "query"                 # "build": a build step whose table other reports read, not a query

    @property
    def sql(self) -> str:
        return self.path.read_text()


def parse_report(path: Path) -> Report:
    """Read the leading `-- key: value` comment block of a report file."""
    description, parameters, examples, table, role, specs = "", [], [], None, "query", {}
    for line in path.read_text().splitlines():
        if not line.startswith("--"):
            break
        match = HEADER_LINE.match(line)
        if not match:
            continue
        key, value = match["key"].strip().lower(), match["value"].strip()
        if key == "description":
            description = value
        elif key == "param":
            param = PARAM_LINE.match(value)
            if param:
                default = (param["default"] or "").strip() or None
                parameters.append(ReportParameter(param["name"], None if default == "NULL" else default,
                                                  (param["help"] or "").strip()))
        elif key == "values" and "=" in value:
            name, spec = value.split("=", 1)
            specs[name.strip()] = spec.strip()
        elif key.startswith("example"):
            examples.append(value)
        elif key == "materialize":
            table = value
        elif key == "role":
            role = value
    parameters = [ReportParameter(p.name, p.default, p.help, specs.get(p.name)) for p in parameters]
    return Report(name=path.stem, path=path, description=description, parameters=parameters,
                  examples=examples, materialize_as=table, role=role)


def list_reports(sql_dir: Path = SQL_DIR) -> list[Report]:
    return [parse_report(path) for path in sorted(sql_dir.glob("*.sql"))]


def find_report(name: str, sql_dir: Path = SQL_DIR) -> Report:
    path = sql_dir / f"{name}.sql"
    if not PARAM_NAME.match(name) or not path.is_file():
        known = ", ".join(r.name for r in list_reports(sql_dir))
        raise KeyError(f"no report named {name!r}; known reports: {known}")
    return parse_report(path)


def coerce_parameter(value: str) -> int | float | str:
    """CLI values arrive as text; numbers are bound as numbers so comparisons and LIMIT work."""
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def bind_parameters(connection: duckdb.DuckDBPyConnection, report: Report, values: dict[str, object]) -> None:
    known = {p.name for p in report.parameters}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"report {report.name} has no parameter {', '.join(sorted(unknown))}; "
                         f"it takes: {', '.join(sorted(known)) or 'none'}")
    for parameter in report.parameters:
        connection.execute(f"RESET VARIABLE {parameter.name}")
        if parameter.name in values and values[parameter.name] is not None:
            connection.execute(f"SET VARIABLE {parameter.name} = ?", [values[parameter.name]])


def statements(sql: str) -> list[str]:
    """Split a report file into statements at `;`, skipping `--` comments and `;` inside quotes."""
    found, current, index, quote = [], [], 0, None
    while index < len(sql):
        char = sql[index]
        if quote:
            current.append(char)
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            current.append(char)
        elif sql.startswith("--", index):
            newline = sql.find("\n", index)
            index = len(sql) if newline < 0 else newline
            continue
        elif char == ";":
            found.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    found.append("".join(current).strip())
    return [statement for statement in found if statement]


class ReportTableMissingError(ValueError):
    """A report reads a `report_*` table that has not been materialised in this warehouse yet."""


def _explain_missing_table(error: duckdb.CatalogException, sql_dir: Path) -> Exception:
    builders = {r.materialize_as: r.name for r in list_reports(sql_dir) if r.materialize_as}
    for table, builder in builders.items():
        if table in str(error):
            return ReportTableMissingError(
                f"the table {table} is missing from this warehouse: run `kronika run` (or materialise the Dagster "
                f"asset {table}, built from sql/{builder}.sql) first")
    return error


def _run_statements(connection: duckdb.DuckDBPyConnection, report: Report,
                    values: dict[str, object] | None) -> str | None:
    """Bind the parameters and run every statement but the last; return the last one."""
    bind_parameters(connection, report, values or {})
    found = statements(report.sql)
    for statement in found[:-1]:
        connection.execute(statement).fetchall()  # fetch to the end: DuckDB 2 refuses new work on an open result
    return found[-1] if found else None


def set_display_timezone(connection: duckdb.DuckDBPyConnection, zone: str) -> None:
    """Show times in this zone, with its offset ('2026-01-09 00:00:00+01:00'), and cast them to dates in it.

    Storage stays TIMESTAMPTZ (an instant); only this connection's session zone changes. An unknown
    zone is refused with its name (KRONIKA_TIMEZONE takes an IANA name such as Europe/Tirane)."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {zone!r}: KRONIKA_TIMEZONE takes an IANA name such as Europe/Tirane") from error
    connection.execute(f"SET TimeZone = '{zone}'")


def run_report(connection: duckdb.DuckDBPyConnection, report: Report, values: dict[str, object] | None = None,
               *, display_timezone: str | None = None) -> pl.DataFrame:
    """Run every statement of the file; the last one's result is the report.

    display_timezone: times come back in this zone (see `set_display_timezone`), and a report with a
    `timezone` parameter buckets days in it unless the caller passes another."""
    values = dict(values or {})
    if display_timezone is not None:
        set_display_timezone(connection, display_timezone)
        if any(parameter.name == "timezone" for parameter in report.parameters):
            values.setdefault("timezone", display_timezone)
    try:
        last = _run_statements(connection, report, values)
        if not last:
            return pl.DataFrame()
        return connection.sql(report_maintenance.maintained_form(connection, report.name, last)).pl()
    except duckdb.CatalogException as error:
        raise _explain_missing_table(error, report.path.parent) from error


def materialize_report(connection: duckdb.DuckDBPyConnection, report: Report,
                       values: dict[str, object] | None = None, *, timezone: str | None = None) -> int:
    """Store the report's result as its `-- materialize:` table inside DuckDB (no round trip through Python).

    timezone: dates (first/last seen, days) are cast in this zone, as `kronika report` casts them in
    KRONIKA_TIMEZONE, so the table and the CLI give the same rows; the connection's zone is restored after.
    Returns the row count. The caller owns the transaction."""
    if timezone is None:
        return _materialize(connection, report, values)
    previous = connection.sql("SELECT current_setting('TimeZone')").fetchall()[0][0]
    set_display_timezone(connection, timezone)
    try:
        return _materialize(connection, report, values)
    finally:
        connection.execute(f"SET TimeZone = '{previous}'")


def _materialize(connection: duckdb.DuckDBPyConnection, report: Report, values: dict[str, object] | None) -> int:
    if not report.materialize_as or not PARAM_NAME.match(report.materialize_as):
        raise ValueError(f"report {report.name} has no valid `-- materialize: table_name` header")
    if report.materialize_as == report_maintenance.MAINTAINED_VIEW and not values:
        # Kept current by each batch's write (lib/report_maintenance.py), not rebuilt; the file stays the
        # from-scratch definition it must equal, and runs as-is with other parameters.
        return report_maintenance.ensure_view(connection)
    if report.materialize_as in report_maintenance.DERIVED_REPORTS and not values:
        # From the counts each batch maintains: the same rows as the file, at a cost independent of the corpus.
        bind_parameters(connection, report, {})
        return report_maintenance.materialize_derived(connection, report.materialize_as)
    last = _run_statements(connection, report, values)
    connection.execute(f"CREATE OR REPLACE TABLE {report.materialize_as} AS {last}").fetchall()
    return connection.execute(f"SELECT count(*) FROM {report.materialize_as}").fetchall()[0][0]


def refresh_maintained_tables(connection: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR, *,
                              timezone: str | None = None) -> list[str]:
    """Rebuild the report tables that come from the maintained counts (cheap at any corpus size), for a writer that
    changed articles outside a run, such as `kronika purge-missing`. Returns the tables refreshed."""
    refreshed = []
    for report in list_reports(sql_dir):
        if report.materialize_as in report_maintenance.DERIVED_REPORTS:
            materialize_report(connection, report, timezone=timezone)
            refreshed.append(report.materialize_as)
    return refreshed


def parameter_defaults(report: Report) -> dict[str, object]:
    """The header's defaults, coerced as the CLI would; a file must behave the same with or without them."""
    return {p.name: coerce_parameter(p.default) for p in report.parameters if p.default is not None}
