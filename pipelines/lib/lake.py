"""The DuckLake storage mode: the warehouse's tables in a DuckLake (PostgreSQL catalog, Parquet data folder).

`KRONIKA_STORAGE=ducklake` with `KRONIKA_LAKE_CATALOG` and `KRONIKA_LAKE_DATA` (docs/scaling.md); the write path is unchanged."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import duckdb

from pipelines.lib.duckdb_extensions import load_extension
from pipelines.lib.settings import lake_settings_from_env

LAKE_ALIAS = "lake"
# Column compression is a DuckDB-file storage hint; DuckLake writes Parquet (zstd by default) and refuses the clause.
_COMPRESSION_CLAUSE = re.compile(r"\s+USING\s+COMPRESSION\s+\w+", re.IGNORECASE)
# Every DDL statement is a DuckLake commit (a snapshot, and a conflict for a concurrent writer), so schema.sql is
# applied once per version of its text, recorded here, not at every connection as on the embedded file.
SCHEMA_MARKER_TABLE = "kronika_lake_schema"


@dataclass(frozen=True)
class LakeLocation:
    catalog: str      # DuckLake catalog: `postgres:dbname=... host=... port=...`
    data_path: str    # where DuckLake writes its Parquet files (a folder, or s3://... in production)


def configured_lake() -> LakeLocation | None:
    """The lake of `KRONIKA_STORAGE=ducklake`, or None in the embedded (single DuckDB file) mode."""
    found = lake_settings_from_env()
    return None if found is None else LakeLocation(*found)


def schema_for_lake(schema_sql: str) -> str:
    """schema.sql as DuckLake accepts it (the same tables and views)."""
    return _COMPRESSION_CLAUSE.sub("", schema_sql)


def ensure_lake_schema(connection: duckdb.DuckDBPyConnection, schema_sql: str) -> None:
    """Apply schema.sql in one commit when the lake does not hold this version of it yet; else one small query."""
    digest = hashlib.sha256(schema_sql.encode()).hexdigest()
    if _applied_schema(connection) == digest:
        return
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(schema_for_lake(schema_sql))
        connection.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA_MARKER_TABLE} (schema_sha256 VARCHAR NOT NULL)")
        connection.execute(f"DELETE FROM {SCHEMA_MARKER_TABLE}")
        connection.execute(f"INSERT INTO {SCHEMA_MARKER_TABLE} VALUES (?)", [digest])
        connection.execute("COMMIT")
    except BaseException:
        try:
            connection.execute("ROLLBACK")
        except duckdb.TransactionException:
            pass  # a failed COMMIT (a conflict) has already ended the transaction
        if _applied_schema(connection) == digest:  # a concurrent writer applied the same version first
            return
        raise


def _applied_schema(connection: duckdb.DuckDBPyConnection) -> str | None:
    exists = connection.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = ? "
                                "AND table_name = ?", [LAKE_ALIAS, SCHEMA_MARKER_TABLE]).fetchall()[0][0]
    if not exists:
        return None
    found = connection.execute(f"SELECT max(schema_sha256) FROM {SCHEMA_MARKER_TABLE}").fetchall()
    return found[0][0] if found else None


def connect_lake(location: LakeLocation, *, read_only: bool = False,
                 config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session with the lake attached and in use, so every query names the same tables."""
    connection = duckdb.connect(config=config or {})
    try:
        load_extension(connection, "ducklake")
        if location.catalog.startswith("postgres:"):
            load_extension(connection, "postgres")
        options = [f"DATA_PATH '{_quoted(location.data_path)}'"]
        if read_only:
            options.append("READ_ONLY")
        connection.execute(f"ATTACH 'ducklake:{_quoted(location.catalog)}' AS {LAKE_ALIAS} ({', '.join(options)})")
        connection.execute(f"USE {LAKE_ALIAS}")
    except BaseException:
        connection.close()
        raise
    return connection


def _quoted(text: str) -> str:
    return text.replace("'", "''")
