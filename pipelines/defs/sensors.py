"""The sensor and the schedule that launch ingest runs; both share one discovery function.

New files are cut into batches of `batch_size`, one run each, so 10,000 new files make a handful of runs."""


import json
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines.defs.assets import batch_config
from pipelines.defs.resources import KronikaResource
from pipelines.lib import lake, warehouse
from pipelines.lib.discover import stable_files
from pipelines.lib.ingest import pending_changes
from pipelines.lib.lease import WarehouseBusyError, lease_holder

INGEST_JOB_NAME = "ingest"
ACTIVE_STATUSES = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
                   dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]

ingest_job = dg.define_asset_job(
    INGEST_JOB_NAME,
    selection=dg.AssetSelection.groups("ingest"),
    description="Discover new and changed files under raw/ and write them into the warehouse.",
    tags={"kronika/writer": "warehouse"},
)


def _empty_manifest() -> pl.DataFrame:
    return pl.DataFrame(schema={"source_path": pl.String, "size_bytes": pl.Int64, "mtime_ns": pl.Int64,
                                "content_sha256": pl.String, "status": pl.String, "reason": pl.String,
                                "last_seen_at": pl.Datetime("us", "UTC"), "missing_since": pl.Datetime("us", "UTC")})


def _read_writer_state(public_path: Path, read, empty):
    """`read(connection)` on the state the writer works from, opened read-only for a moment: its build file, not
    the public file (an analyst may hold that open read-write, and a publication may wait for them; the sensor
    would then keep launching work the writer already has). In DuckLake mode the lake is the writer's state
    (there is no build file), read at its latest snapshot. `empty` before the first run."""
    if lake.configured_lake() is not None:
        try:
            with warehouse.reader(public_path) as connection:
                return read(connection)
        except (duckdb.InvalidInputException, duckdb.CatalogException) as error:
            # No lake yet (the first run creates it), or one without Kronika's tables.
            if "does not exist" not in str(error):
                raise
            return empty
    build = warehouse.build_path_for(public_path)
    if not build.exists():
        return empty
    try:
        connection = duckdb.connect(str(build), read_only=True)
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        raise WarehouseBusyError(f"the warehouse {public_path} is being written; "
                                 "files wait for the next tick") from None
    try:
        return read(connection)
    finally:
        connection.close()


def writer_manifest(public_path: Path) -> pl.DataFrame:
    """The manifest the writer works from (every file is new before the first run)."""
    return _read_writer_state(public_path, warehouse.read_manifest, _empty_manifest())


def writer_stale_articles(public_path: Path) -> int:
    """How many stored articles wait for re-extraction in the writer's state: a curation change marks some, new
    extraction rules mark all."""
    from pipelines.lib.extraction_version import extraction_version

    return _read_writer_state(public_path,
                              lambda connection: warehouse.count_stale_articles(connection, extraction_version()), 0)


def _cursor_frame(cursor: str | None) -> pl.DataFrame:
    """The pending files of the previous look, kept in the sensor cursor as JSON."""
    rows = json.loads(cursor) if cursor else []
    return pl.DataFrame(rows, schema={"source_path": pl.String, "size_bytes": pl.Int64, "mtime_ns": pl.Int64},
                        orient="row")


def _cursor_text(files: pl.DataFrame, batch_size: int) -> str:
    """At most a few batches of files are remembered; the rest get their first look once those are in."""
    limit = max(3 * batch_size, 1_000)
    return json.dumps(files.sort("source_path").head(limit).select("source_path", "size_bytes", "mtime_ns").rows())


def ingest_run_requests(raw_dir: Path, public_path: Path, batch_size: int,
                        previous_look: pl.DataFrame | None = None) -> tuple[list[dg.RunRequest], pl.DataFrame]:
    """One run request per batch of pending files, and the pending files seen now.

    With `previous_look`, only files whose size and mtime did not move since then are launched:
    a file still being written waits for the next tick."""
    pending = pending_changes(raw_dir, writer_manifest(public_path))
    ready = pending.files if previous_look is None else stable_files(previous_look, pending.files)
    paths = ready["source_path"].to_list()
    # The first batch also records what this scan found missing and refused; no batch walks raw/ again.
    requests = [
        dg.RunRequest(run_config=batch_config(paths[i:i + batch_size], *((pending.missing, pending.refused)
                                                                         if i == 0 else ())),
                      tags={"kronika/batch_files": str(len(paths[i:i + batch_size]))})
        for i in range(0, len(paths), batch_size)
    ]
    if not requests and (pending.missing or pending.refused.height or writer_stale_articles(public_path)):
        # No files to read, but deletions to record or stored articles to re-extract (a curation change).
        requests.append(dg.RunRequest(tags={"kronika/batch_files": "0"}))
    return requests, pending.files


def busy_reason(public_path: Path) -> str | None:
    """Why a tick should not launch a run now: another process holds the writer lease. None when free."""
    holder = lease_holder(public_path)
    if holder is None:
        return None
    return f"the warehouse is being written by {holder.describe()}; files wait for the next tick"


def _ingest_in_progress(instance: dg.DagsterInstance) -> bool:
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=INGEST_JOB_NAME, statuses=ACTIVE_STATUSES), limit=1)
    return bool(runs)


@dg.sensor(job=ingest_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Launches an ingest run for each batch of new or changed files under raw/.")
def raw_files_sensor(context: dg.SensorEvaluationContext, kronika: KronikaResource):
    if _ingest_in_progress(context.instance):
        return dg.SkipReason("an ingest run is already queued or running; files wait for the next tick")
    settings = kronika.settings()
    if reason := busy_reason(settings.warehouse_path):
        return dg.SkipReason(reason)
    try:
        requests, seen = ingest_run_requests(settings.raw_dir, settings.warehouse_path, settings.batch_size,
                                             previous_look=_cursor_frame(context.cursor))
    except WarehouseBusyError as error:  # a writer opened the build file between the lease check and the read
        return dg.SkipReason(str(error))
    context.update_cursor(_cursor_text(seen, settings.batch_size))
    if not requests:
        waiting = f"; {seen.height} file(s) wait for a second look" if seen.height else ""
        return dg.SkipReason(f"no new or changed files ready under {settings.raw_dir}{waiting}")
    return requests


@dg.schedule(job=ingest_job, cron_schedule="0 * * * *", default_status=dg.DefaultScheduleStatus.STOPPED,
             description="Hourly ingest of new and changed files (stopped by default; the sensor does the same work).")
def hourly_ingest_schedule(context: dg.ScheduleEvaluationContext, kronika: KronikaResource):
    settings = kronika.settings()
    if reason := busy_reason(settings.warehouse_path):
        return dg.SkipReason(reason)
    try:
        requests, _ = ingest_run_requests(settings.raw_dir, settings.warehouse_path, settings.batch_size)
    except WarehouseBusyError as error:
        return dg.SkipReason(str(error))
    return requests or dg.SkipReason("no new or changed files")
