"""The sensor and the schedule that launch ingest runs; both share one discovery function.

New files are cut into batches of `batch_size`, one run each, so 10,000 new files make a handful of runs."""


from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.lib import warehouse
from pipelines.lib.ingest import pending_changes
from pipelines.lib.settings import settings_from_env

INGEST_JOB_NAME = "ingest"
ACTIVE_STATUSES = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
                   dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]

ingest_job = dg.define_asset_job(
    INGEST_JOB_NAME,
    selection=dg.AssetSelection.groups("ingest"),
    description="Discover new and changed files under raw/ and write them into the warehouse.",
    tags={"kronika/writer": "warehouse"},
)


def published_manifest(public_path: Path) -> pl.DataFrame:
    """The manifest as readers see it: read from the published snapshot, so ticks never lock the writer."""
    if not public_path.exists():
        return pl.DataFrame(schema={"source_path": pl.String, "size_bytes": pl.Int64, "mtime_ns": pl.Int64,
                                    "content_sha256": pl.String, "status": pl.String, "reason": pl.String,
                                    "last_seen_at": pl.Datetime("us", "UTC"),
                                    "missing_since": pl.Datetime("us", "UTC")})
    connection = warehouse.connect_reader(public_path)
    try:
        return warehouse.read_manifest(connection)
    finally:
        connection.close()


def ingest_run_requests(raw_dir: Path, public_path: Path, batch_size: int) -> list[dg.RunRequest]:
    """One run request per batch of pending files; none when nothing changed."""
    pending = pending_changes(raw_dir, published_manifest(public_path))
    paths = pending.files["source_path"].to_list()
    requests = [
        dg.RunRequest(run_config={"ops": {"raw_files": {"config": {"paths": paths[i:i + batch_size]}}}},
                      tags={"kronika/batch_files": str(len(paths[i:i + batch_size]))})
        for i in range(0, len(paths), batch_size)
    ]
    if not requests and (pending.missing or pending.refused.height):
        requests.append(dg.RunRequest(tags={"kronika/batch_files": "0"}))
    return requests


def _ingest_in_progress(instance: dg.DagsterInstance) -> bool:
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=INGEST_JOB_NAME, statuses=ACTIVE_STATUSES), limit=1)
    return bool(runs)


@dg.sensor(job=ingest_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Launches an ingest run for each batch of new or changed files under raw/.")
def raw_files_sensor(context: dg.SensorEvaluationContext):
    if _ingest_in_progress(context.instance):
        return dg.SkipReason("an ingest run is already queued or running; files wait for the next tick")
    settings = settings_from_env()
    requests = ingest_run_requests(settings.raw_dir, settings.warehouse_path, settings.batch_size)
    if not requests:
        return dg.SkipReason(f"no new or changed files under {settings.raw_dir}")
    return requests


@dg.schedule(job=ingest_job, cron_schedule="0 * * * *", default_status=dg.DefaultScheduleStatus.STOPPED,
             description="Hourly ingest of new and changed files (stopped by default; the sensor does the same work).")
def hourly_ingest_schedule(context: dg.ScheduleEvaluationContext):
    settings = settings_from_env()
    requests = ingest_run_requests(settings.raw_dir, settings.warehouse_path, settings.batch_size)
    return requests or dg.SkipReason("no new or changed files")
