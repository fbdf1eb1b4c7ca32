"""Finds the SQL reports in `sql/`, reads their header comments and runs them with bound parameters.

A report file reads its parameters with `getvariable('name')`; Kronika binds them with
`SET VARIABLE name = ?`, so a value is always data, never SQL, and the file runs as-is in the DuckDB CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

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


@dataclass(frozen=True)
class Report:
    name: str
    path: Path
    description: str
    parameters: list[ReportParameter] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    materialize_as: str | None = None   # a report table the Dagster report assets build from this file

    @property
    def sql(self) -> str:
        return self.path.read_text()


def parse_report(path: Path) -> Report:
    """Read the leading `-- key: value` comment block of a report file."""
    description, parameters, examples, table = "", [], [], None
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
        elif key.startswith("example"):
            examples.append(value)
        elif key == "materialize":
            table = value
    return Report(name=path.stem, path=path, description=description, parameters=parameters,
                  examples=examples, materialize_as=table)


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
    """Split a report file into statements (report files keep `;` out of string literals)."""
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def run_report(connection: duckdb.DuckDBPyConnection, report: Report, values: dict[str, object] | None = None) -> pl.DataFrame:
    """Run every statement of the file; the last one's result is the report."""
    bind_parameters(connection, report, values or {})
    result = None
    for statement in statements(report.sql):
        result = connection.sql(statement)
    return result.pl() if result is not None else pl.DataFrame()
