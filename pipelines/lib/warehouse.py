"""The DuckDB warehouse: schema, one-transaction batch writes, and read-only access to the published file.

The writer owns a private build file in the warehouse's folder; `publication.py` publishes it to the public file,
so readers (DuckDB CLI, notebooks) never block ingestion nor see a half-written state."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl

from pipelines.lib import lake, report_maintenance, warehouse_files
from pipelines.lib.lease import WarehouseBusyError, configured_wait_seconds, writer_lease
from pipelines.lib.test_hooks import crash_point

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
# Files must open in the DuckDB CLI on the package index (1.5.x), so the storage format is pinned.
# The writer's buffer pool is capped so a 100k-article run stays under 3 GB (DuckDB spills beyond it);
# by default DuckDB takes up to 80% of RAM and keeps it as cache.
CONNECTION_CONFIG = {"storage_compatibility_version": "v1.5.0", "memory_limit": "1536MB"}


def build_path_for(public_path: Path) -> Path:
    """The writer's private file, in the warehouse's own folder (`kronika.files/build.duckdb`)."""
    return warehouse_files.build_path(public_path)


def public_path_for(build_path: Path) -> Path:
    """The published snapshot a build file belongs to (the inverse of `build_path_for`)."""
    return warehouse_files.public_path_for_build(build_path)


def connect_writer(build_path: Path, *, wait_seconds: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the build file for writing. Kronika writers are serialised by the lease (`lib/lease.py`); this waits
    only for a program that opened the build file itself, up to the lease's bounded wait."""
    warehouse_files.ensure_files_dir(public_path_for(build_path))
    location = lake.configured_lake()
    if location is not None:  # DuckLake mode: the lake is the build and the published state at once
        connection = lake.connect_lake(location, config={"memory_limit": CONNECTION_CONFIG["memory_limit"]})
        lake.ensure_lake_schema(connection, SCHEMA_FILE.read_text())
        return connection
    wait_seconds = configured_wait_seconds() if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        try:
            connection = duckdb.connect(str(build_path), config=CONNECTION_CONFIG)
            ensure_schema(connection)
            return connection
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusyError(
                    f"the build file {build_path} is held open by another program "
                    f"({str(error).splitlines()[0]}); waited {wait_seconds:.0f} s. Close it, then try again."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


@contextmanager
def writer(build_path: Path, *, wait_seconds: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The build file for writing, under the writer lease (taken first, so a refused writer did no work)."""
    with writer_lease(public_path_for(build_path), wait_seconds=wait_seconds):
        connection = connect_writer(build_path)
        try:
            yield connection
        finally:
            connection.close()


def connect_reader(public_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot.

    A program holding the file open read-write (`duckdb warehouse/kronika.duckdb` without -readonly) makes DuckDB
    refuse every other process; that becomes a one-line WarehouseBusyError naming the program, not a traceback."""
    location = lake.configured_lake()
    if location is not None:  # each DuckLake commit is a snapshot: readers see whole batches only
        return lake.connect_lake(location, read_only=True)
    if not public_path.exists():
        raise FileNotFoundError(f"no warehouse at {public_path}: run `kronika run` first")
    try:
        return duckdb.connect(str(public_path), read_only=True)
    except duckdb.IOException as error:
        message = str(error)
        if "lock" not in message.lower():
            raise
        holder = re.search(r"held in (.+?) \(PID (\d+)\)", message)
        who = f"{holder.group(1)} (pid {holder.group(2)})" if holder else "another program"
        raise WarehouseBusyError(
            f"the warehouse {public_path} is open read-write in {who}; close that session or reopen it "
            f"read-only (`duckdb -readonly {public_path}`), then try again."
        ) from None


@contextmanager
def reader(public_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published snapshot, closed on exit."""
    connection = connect_reader(public_path)
    try:
        yield connection
    finally:
        connection.close()


def query_rows(public_path: Path, query: str, params: list | None = None) -> list[tuple]:
    """Every row of one query against the published snapshot."""
    with reader(public_path) as connection:
        return connection.execute(query, params or []).fetchall()


def ensure_schema(connection: duckdb.DuckDBPyConnection) -> None:
    if lake.configured_lake() is not None:
        lake.ensure_lake_schema(connection, SCHEMA_FILE.read_text())
        return
    connection.execute(SCHEMA_FILE.read_text())


def as_utc(frame: pl.DataFrame) -> pl.DataFrame:
    """DuckDB hands TIMESTAMPTZ over in the session zone (e.g. Etc/UTC); frames in Kronika use UTC."""
    return frame.with_columns([
        pl.col(name).dt.convert_time_zone("UTC") for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    ])


def read_frame(connection: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> pl.DataFrame:
    frame = connection.sql(query, params=params).pl() if params else connection.sql(query).pl()
    return as_utc(frame)


def scalar(connection: duckdb.DuckDBPyConnection, query: str, params: list | None = None):
    """The single value of a one-row, one-column query (fetched whole: DuckDB 2 forbids half-read results)."""
    rows = connection.execute(query, params or []).fetchall()
    return rows[0][0] if rows else None


def read_manifest(connection: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read_frame(connection, "SELECT * FROM source_files")


def read_manifest_rows(connection: duckdb.DuckDBPyConnection, *, source_paths: list[str] = (),
                       content_hashes: list[str] = (), article_ids: list[str] = ()) -> pl.DataFrame:
    """The manifest rows a batch's decisions read: those of its files (a JSON Lines file's every record), of its
    bytes and of its articles. Planning a batch against these gives what it gives against the whole manifest, whose
    100,000 rows cost ~0.2 s to bring into Polars, twice per batch."""
    keys = {"manifest_paths": ("source_path", source_paths), "manifest_hashes": ("content_sha256", content_hashes),
            "manifest_article_ids": ("article_id", article_ids)}
    for view, (column, values) in keys.items():
        connection.register(view, pl.DataFrame({column: list(values)}, schema={column: pl.String}).to_arrow())
    try:
        return read_frame(connection, """
            SELECT * FROM source_files
            WHERE regexp_replace(source_path, '#\\d+$', '') IN (SELECT source_path FROM manifest_paths)
               OR source_path IN (SELECT source_path FROM manifest_paths)
               OR content_sha256 IN (SELECT content_sha256 FROM manifest_hashes)
               OR article_id IN (SELECT article_id FROM manifest_article_ids)""")
    finally:
        for view in keys:
            connection.unregister(view)


def read_live_articles(connection: duckdb.DuckDBPyConnection, article_ids: list[str]) -> pl.DataFrame:
    ids = pl.DataFrame({"article_id": article_ids}, schema={"article_id": pl.String})
    connection.register("live_ids", ids.to_arrow())
    try:
        return read_frame(connection,
            "SELECT a.article_id, a.source_path, a.content_sha256, a.updated_at FROM articles a "
            "SEMI JOIN live_ids USING (article_id)")
    finally:
        connection.unregister("live_ids")


def stored_article_ids(connection: duckdb.DuckDBPyConnection, article_ids: list[str]) -> list[str]:
    """Which of these articles the warehouse holds (a scan of `articles`' id column only)."""
    if not article_ids:
        return []
    ids = pl.DataFrame({"article_id": list(dict.fromkeys(article_ids))}, schema={"article_id": pl.String})
    connection.register("asked_ids", ids.to_arrow())
    try:
        return [row[0] for row in connection.execute(
            "SELECT article_id FROM articles SEMI JOIN asked_ids USING (article_id)").fetchall()]
    finally:
        connection.unregister("asked_ids")


def upsert_source_files(connection: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> None:
    if not rows.height:
        return
    rows = conform(connection, "source_files", rows)
    connection.register("source_rows", rows.to_arrow())
    connection.execute(
        "DELETE FROM source_files s USING source_rows r "
        "WHERE s.source_path = r.source_path AND s.content_sha256 IS NOT DISTINCT FROM r.content_sha256"
    )
    columns = ", ".join(rows.columns)
    connection.execute(f"INSERT INTO source_files ({columns}) SELECT {columns} FROM source_rows")
    connection.unregister("source_rows")


EXTRACTION_TABLES = ("mentions", "figures", "figure_entity_links", "sentences")
ARTICLE_TABLES = (*EXTRACTION_TABLES, "articles")


def delete_articles(connection: duckdb.DuckDBPyConnection, article_ids: list[str]) -> None:
    """Remove every row of these articles from every article table."""
    if not article_ids:
        return
    connection.register("deleted_ids", pl.DataFrame({"article_id": article_ids}, schema={"article_id": pl.String}).to_arrow())
    for table in ARTICLE_TABLES:
        connection.execute(f"DELETE FROM {table} WHERE article_id IN (SELECT article_id FROM deleted_ids)")
    connection.unregister("deleted_ids")


def table_columns(connection: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()]


def conform(connection: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame) -> pl.DataFrame:
    """The frame's columns that the table has, in the table's order (stages may carry extra columns)."""
    return rows.select([name for name in table_columns(connection, table) if name in rows.columns])


def insert_rows(connection: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame) -> None:
    if not rows.height:
        return
    rows = conform(connection, table, rows)
    columns = ", ".join(rows.columns)
    connection.register("inserted_rows", rows.to_arrow())
    connection.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM inserted_rows")
    connection.unregister("inserted_rows")


def replace_extraction(connection: duckdb.DuckDBPyConnection, article_ids: list[str], sentences: pl.DataFrame,
                       mentions: pl.DataFrame, figures: pl.DataFrame, figure_links: pl.DataFrame) -> None:
    """Idempotent: the extraction rows of these articles are deleted before the new ones are inserted."""
    if article_ids:
        ids = pl.DataFrame({"article_id": article_ids}, schema={"article_id": pl.String})
        connection.register("extracted_ids", ids.to_arrow())
        for table in EXTRACTION_TABLES:
            connection.execute(f"DELETE FROM {table} WHERE article_id IN (SELECT article_id FROM extracted_ids)")
        connection.unregister("extracted_ids")
    for table, rows in (("sentences", sentences), ("mentions", mentions), ("figures", figures),
                        ("figure_entity_links", figure_links)):
        insert_rows(connection, table, rows)


def replace_entities(connection: duckdb.DuckDBPyConnection, entities: pl.DataFrame) -> None:
    """The gazetteer is replaced whole; candidate entities are kept while any mention uses them, their name and type
    chosen over every stored mention, as one batch of the whole corpus would choose them."""
    connection.execute("DELETE FROM entities WHERE linked")
    connection.register("entity_rows", entities.to_arrow())
    columns = ", ".join(entities.columns)
    connection.execute(
        f"INSERT INTO entities ({columns}) SELECT {columns} FROM entity_rows e "
        "WHERE e.linked OR e.entity_id NOT IN (SELECT entity_id FROM entities)"
    )
    # A candidate's name and type are its most frequent surface and type over every stored mention (ties: the first
    # in byte order), as one batch would choose them, so cutting a corpus into batches changes neither. One pass over
    # the candidates' mentions gives both; mentions written before `candidate_type` existed carry none and leave the
    # type as it was.
    connection.execute(
        "UPDATE entities SET name = chosen.name, entity_type = coalesce(chosen.entity_type, entities.entity_type) "
        "FROM ("
        "  WITH used AS MATERIALIZED ("
        "    SELECT entity_id, surface, candidate_type FROM mentions"
        "    WHERE entity_id IN (SELECT entity_id FROM entity_rows WHERE NOT linked)),"
        "  names AS (SELECT entity_id, surface FROM (SELECT entity_id, surface, count(*) AS uses FROM used GROUP BY ALL)"
        "    QUALIFY row_number() OVER (PARTITION BY entity_id ORDER BY uses DESC, surface) = 1),"
        "  types AS (SELECT entity_id, candidate_type FROM ("
        "      SELECT entity_id, candidate_type, count(*) AS uses FROM used WHERE candidate_type IS NOT NULL GROUP BY ALL)"
        "    QUALIFY row_number() OVER (PARTITION BY entity_id ORDER BY uses DESC, candidate_type) = 1)"
        "  SELECT n.entity_id, n.surface AS name, t.candidate_type AS entity_type"
        "  FROM names n LEFT JOIN types t USING (entity_id)) chosen "
        "WHERE entities.entity_id = chosen.entity_id AND NOT entities.linked "
        "AND (entities.name <> chosen.name OR entities.entity_type IS DISTINCT FROM "
        "     coalesce(chosen.entity_type, entities.entity_type))"
    )
    connection.unregister("entity_rows")
    connection.execute(
        "DELETE FROM entities WHERE NOT linked AND entity_id NOT IN (SELECT DISTINCT entity_id FROM mentions)"
    )


def replace_entity_id_renames(connection: duckdb.DuckDBPyConnection, renames: pl.DataFrame) -> None:
    """The rename list is reference data: replaced whole, like the gazetteer's entities."""
    connection.execute("DELETE FROM entity_id_renames")
    insert_rows(connection, "entity_id_renames", renames.select("old_entity_id", "entity_id", "reason"))


def mark_missing(connection: duckdb.DuckDBPyConnection, missing_paths: list[str], now) -> int:
    if not missing_paths:
        return 0
    paths = pl.DataFrame({"source_path": missing_paths}, schema={"source_path": pl.String})
    connection.register("missing_paths", paths.to_arrow())
    connection.execute(
        "UPDATE source_files SET missing_since = ? WHERE missing_since IS NULL "
        "AND regexp_replace(source_path, '#\\d+$', '') IN (SELECT source_path FROM missing_paths)", [now])
    connection.unregister("missing_paths")
    return len(missing_paths)


def purge_missing(connection: duckdb.DuckDBPyConnection) -> int:
    """Delete the articles whose files are all gone from raw/, and those files' rows."""
    connection.execute("BEGIN")
    gone = connection.sql(
        "SELECT article_id FROM articles a WHERE NOT EXISTS (SELECT 1 FROM source_files s WHERE "
        "s.article_id = a.article_id AND s.status IN ('ingested', 'duplicate') AND s.missing_since IS NULL)"
    ).pl()
    ids = gone["article_id"].to_list()
    maintained = report_maintenance.before_change(connection, ids)
    delete_articles(connection, ids)
    report_maintenance.after_change(connection, ids, maintained)
    connection.execute("DELETE FROM source_files WHERE missing_since IS NOT NULL")
    connection.execute("COMMIT")
    return len(ids)


def reports_are_current(connection: duckdb.DuckDBPyConnection, timezone: str | None = None) -> bool:
    """True when the report tables were rebuilt after the last committed ingest batch (asked of the build file)
    and, given a zone, cast their dates in it: a run after a change of KRONIKA_TIMEZONE rebuilds them."""
    current = scalar(connection, """
        SELECT (SELECT max(finished_at) FROM ingest_runs)
               IS NOT DISTINCT FROM (SELECT max(ingest_finished_at) FROM report_refreshes)""")
    if not current or timezone is None:
        return bool(current)
    return scalar(connection, "SELECT timezone FROM report_refreshes ORDER BY refreshed_at DESC LIMIT 1") == timezone


def record_report_refresh(connection: duckdb.DuckDBPyConnection, timezone: str | None = None) -> None:
    connection.execute("INSERT INTO report_refreshes (refreshed_at, ingest_finished_at, timezone) "
                       "SELECT now(), (SELECT max(finished_at) FROM ingest_runs), ?", [timezone])


def count_stale_articles(connection: duckdb.DuckDBPyConnection, current_version: str) -> int:
    """How many stored articles were extracted by other rules (asked of the build file)."""
    return int(scalar(connection, "SELECT count(*) FROM articles WHERE extraction_version <> ?", [current_version]))


def read_stale_articles(connection: duckdb.DuckDBPyConnection, current_version: str, limit: int) -> pl.DataFrame:
    """Stored articles extracted by other rules than the current ones (re-extracted from the stored text)."""
    return read_frame(connection,
        "SELECT article_id, title, body, body_language FROM articles WHERE extraction_version <> ? "
        "ORDER BY article_id LIMIT ?", [current_version, limit])


def rollback(connection: duckdb.DuckDBPyConnection) -> None:
    """Undo the open transaction, if any: a failed COMMIT (a DuckLake commit conflict) has already ended it, and a
    second error from ROLLBACK would hide the first."""
    try:
        connection.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


def write_batch(connection: duckdb.DuckDBPyConnection, *, source_files: pl.DataFrame, articles: pl.DataFrame,
                retired_article_ids: list[str], extracted_article_ids: list[str], sentences: pl.DataFrame,
                mentions: pl.DataFrame, figures: pl.DataFrame, figure_links: pl.DataFrame,
                entities: pl.DataFrame, missing_paths: list[str],
                extraction_version: str, now, run_id: str = "manual", files_new: int = 0,
                files_changed: int = 0, entity_id_renames: pl.DataFrame | None = None) -> None:
    """Every write of one batch in one transaction: a crash at any point leaves the warehouse as it was."""
    connection.execute("BEGIN TRANSACTION")
    try:
        # The pair counts of every article this batch replaces, deletes or re-extracts: out before, in after.
        touched_ids = retired_article_ids + articles["article_id"].to_list() + list(extracted_article_ids)
        # Only stored articles have rows to delete and counts to subtract. A DELETE or a count by article_id scans
        # the whole of each big table (no index), so a batch of new articles skips them: they cost in proportion
        # to the warehouse, not to the batch.
        stored = set(stored_article_ids(connection, touched_ids))
        pair_counts_maintained = report_maintenance.before_change(connection, sorted(stored))
        upsert_source_files(connection, source_files)
        delete_articles(connection, [article_id for article_id in retired_article_ids + articles["article_id"].to_list()
                                     if article_id in stored])
        insert_rows(connection, "articles", articles.with_columns(
            pl.lit(extraction_version).alias("extraction_version"),
            pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("ingested_at")))
        if extracted_article_ids:
            ids = pl.DataFrame({"article_id": extracted_article_ids}, schema={"article_id": pl.String})
            connection.register("reextracted_ids", ids.to_arrow())
            connection.execute("UPDATE articles SET extraction_version = ? WHERE article_id IN "
                               "(SELECT article_id FROM reextracted_ids)", [extraction_version])
            connection.unregister("reextracted_ids")
        replace_extraction(connection, [article_id for article_id in extracted_article_ids if article_id in stored],
                           sentences, mentions, figures, figure_links)
        replace_entities(connection, entities)
        if entity_id_renames is not None:
            replace_entity_id_renames(connection, entity_id_renames)
        mark_missing(connection, missing_paths, now)
        # After the write, the touched articles' mentions and sentences are exactly the batch's frames.
        report_maintenance.after_change(connection, touched_ids, pair_counts_maintained,
                                        mentions=mentions, sentences=sentences)
        statuses = source_files["status"].value_counts() if source_files.height else None
        count = {} if statuses is None else dict(statuses.iter_rows())
        connection.execute(
            "INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, now, source_files.height, files_new, files_changed, count.get("duplicate", 0),
             count.get("quarantined", 0), len(missing_paths), articles.height,
             len(set(extracted_article_ids) - set(articles["article_id"].to_list())), extraction_version])
        crash_point("batch_before_commit")
        connection.execute("COMMIT")
    except BaseException:
        rollback(connection)
        raise
    crash_point("batch_after_commit")
