"""The DuckDB extensions load offline from their PyPI packages and work on real files (a DuckLake, a SQLite db).
Autoinstall/autoload are off and the extension directory is empty, so nothing can come from a download cache."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.duckdb_extensions import ExtensionNotInstalled, extension_path, load_extension


@pytest.fixture
def offline_connection(tmp_path: Path):
    empty_extension_dir = tmp_path / "no_extensions_here"
    empty_extension_dir.mkdir()
    connection = duckdb.connect(config={
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "extension_directory": str(empty_extension_dir),
    })
    yield connection
    connection.close()


def test_ducklake_loads_by_path_and_round_trips_a_table(offline_connection, tmp_path: Path):
    load_extension(offline_connection, "ducklake")
    catalog = tmp_path / "lake.ducklake"
    data_dir = tmp_path / "lake_data"
    # Inlining off: small inserts would otherwise stay in the catalog and never reach Parquet.
    offline_connection.execute(f"ATTACH 'ducklake:{catalog.as_posix()}' AS lake "
                               f"(DATA_PATH '{data_dir.as_posix()}', DATA_INLINING_ROW_LIMIT 0)")
    offline_connection.execute("CREATE TABLE lake.entities (entity_id VARCHAR, name VARCHAR)")
    offline_connection.execute("INSERT INTO lake.entities VALUES ('country:US', 'United States'), ('country:AL', 'Albania')")
    rows = offline_connection.sql("SELECT entity_id FROM lake.entities ORDER BY entity_id").fetchall()
    assert rows == [("country:AL",), ("country:US",)]
    assert any(data_dir.rglob("*.parquet")), "DuckLake should have written its data as Parquet files"


def test_sqlite_scanner_loads_by_alias_and_reads_a_sqlite_file(offline_connection, tmp_path: Path):
    database = tmp_path / "articles.sqlite"
    with sqlite3.connect(database) as sqlite_connection:
        sqlite_connection.execute("CREATE TABLE articles (title TEXT, words INTEGER)")
        sqlite_connection.execute("INSERT INTO articles VALUES ('Lajme', 120), ('News', 80)")
    load_extension(offline_connection, "sqlite")
    load_extension(offline_connection, "sqlite_scanner")  # a second load is a no-op, not an error
    total = offline_connection.sql(
        f"SELECT sum(words) FROM sqlite_scan('{database.as_posix()}', 'articles')").fetchone()[0]
    assert total == 200
    loaded = offline_connection.sql(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'sqlite_scanner'").fetchone()
    assert loaded == (True,)


def test_postgres_scanner_file_matches_the_running_duckdb():
    path = extension_path("postgres")
    assert path.name == "postgres_scanner.duckdb_extension"
    assert path.parent.name == f"v{duckdb.__version__}"


def test_a_missing_extension_package_says_what_to_install():
    with pytest.raises(ExtensionNotInstalled, match=r"duckdb-extension-no-such-thing==1\.5\.5"):
        extension_path("no_such_thing")
