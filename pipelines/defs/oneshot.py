"""`kronika run`: materialise the same assets in-process, one batch of files per run, then the reports.

Frames stay in memory between steps (no Parquet hand-over) and each batch is one transaction."""


import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.defs import assets as ingest_assets
from pipelines.defs.reports import report_assets
from pipelines.defs.resources import duckdb_resource_for, KronikaResource
from pipelines.lib import publication, warehouse, warehouse_files
from pipelines.lib.extraction_version import extraction_version
from pipelines.lib.ingest import pending_changes
from pipelines.lib.lease import writer_lease
from pipelines.lib.settings import Settings
from pipelines.lib.workers import BatchFiles, WorkerDiedError, can_start_workers, prefetched


@dataclass
class RunSummary:
    up_to_date: bool = False
    batches: int = 0
    files_read: int = 0            # files on disk read by the run (a JSON Lines file is one file)
    records_read: int = 0          # articles in them (each JSON Lines line is one record)
    files_ingested: int = 0
    files_duplicate: int = 0
    files_quarantined: int = 0
    files_superseded: int = 0
    articles_reextracted: int = 0  # stored articles extracted again (new rules, or a curation change)
    batches_in_workers: int = 0    # batches read, parsed and extracted in worker processes (`--workers`)
    seconds: float = 0.0
    ingest_seconds: float = 0.0    # until the batches are committed
    reports_seconds: float = 0.0   # report tables, HTML report and the snapshot publication
    publication_note: str | None = None   # why the public file was not (or not simply) replaced


QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _resources(settings: Settings) -> dict:
    kronika = KronikaResource.from_settings(settings, publish_each_batch=False)
    return {"kronika": kronika, "duckdb": duckdb_resource_for(settings),
            "io_manager": dg.mem_io_manager}


def _count_statuses(result: dg.ExecuteInProcessResult, summary: RunSummary) -> None:
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        metadata = materialization.metadata
        if materialization.asset_key.path == ["parsed_articles"]:  # what the batch read from disk
            for counter in ("files_read", "records_read"):
                if metadata.get(counter) is not None:
                    setattr(summary, counter, getattr(summary, counter) + int(metadata[counter].value))
            summary.batches_in_workers += metadata["read_parsed_and_extracted_in"].value != "this process"
        if materialization.asset_key.path == ["extraction_texts"] and metadata.get("stale_articles") is not None:
            summary.articles_reextracted += int(metadata["stale_articles"].value)
        if materialization.asset_key.path != ["source_files"]:  # the final statuses of the batch
            continue
        for status in ("ingested", "duplicate", "quarantined", "superseded"):
            value = metadata.get(f"files_{status}")
            if value is not None:
                setattr(summary, f"files_{status}", getattr(summary, f"files_{status}") + int(value.value))


def _publication_note(result: dg.ExecuteInProcessResult) -> str | None:
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key.path == ["published_reports"] and "publication_note" in materialization.metadata:
            return materialization.metadata["publication_note"].value
    return None


def run_pipeline(settings: Settings, *, show_progress: bool = True, dagster_home: Path | None = None) -> RunSummary:
    """Ingest every pending file in batches, then refresh the report tables once, all under the writer lease.

    The lease comes first: a second writer that cannot get it raises WarehouseBusyError having done no work.
    With a `dagster_home` (the UI's DAGSTER_HOME), every batch and the report refresh are recorded in its instance
    as runs with their materialisations and checks, so the UI's catalog shows what `kronika run` wrote; without,
    the runs use a throw-away in-memory instance. The instance is opened only when there is work (it costs ~1-2 s)."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with writer_lease(settings.warehouse_path):
        return _run_pipeline(settings, show_progress=show_progress, dagster_home=dagster_home)


def _run_pipeline(settings: Settings, *, show_progress: bool, dagster_home: Path | None) -> RunSummary:
    started = time.perf_counter()
    summary = RunSummary()
    public, build = settings.warehouse_path, warehouse.build_path_for(settings.warehouse_path)
    # Batches prepared for a writer that was killed before it took them (this run holds the lease now).
    shutil.rmtree(warehouse_files.workers_dir(public), ignore_errors=True)
    # The writer's state comes from its own build file: the public file may be held open read-write by an analyst.
    # Opening it here also refuses, in one line, a program other than Kronika that holds the build file open,
    # rather than as a failed Dagster step with its log.
    with warehouse.writer(build) as connection:
        pending = pending_changes(settings.raw_dir, warehouse.read_manifest(connection))
        paths = pending.files["source_path"].to_list()
        stale = warehouse.count_stale_articles(connection, extraction_version())
        nothing_to_ingest = not paths and not pending.missing and not pending.refused.height and not stale
        if nothing_to_ingest and public.exists() and warehouse.reports_are_current(connection, settings.timezone):
            # An earlier run could not replace a held file, or died between its commit and the rename.
            if publication.needs_publication(connection, public):
                summary.publication_note = publication.publish_snapshot(connection, build, public).message
            summary.up_to_date = True
            summary.seconds = time.perf_counter() - started
            return summary
    batches = [paths[i:i + settings.batch_size] for i in range(0, len(paths), settings.batch_size)]
    if not nothing_to_ingest:
        # Runs with no files re-extract stored articles whose rules changed, a batch at a time.
        batches += [[]] * max(1 if not batches else 0, -(-stale // settings.batch_size) - len(batches))
    # One instance for every batch and the report refresh: `dg.materialize` without one builds an ephemeral
    # instance per call (in-memory SQLite storages and their migrations, ~0.35 s each).
    instance = (dg.DagsterInstance.from_config(str(dagster_home)) if dagster_home is not None
                else dg.DagsterInstance.ephemeral())
    try:
        return _run_batches(settings, summary, started, paths, batches, pending, instance, show_progress)
    finally:
        instance.dispose()


def _run_batches(settings: Settings, summary: RunSummary, started: float, paths: list[str], batches: list[list[str]],
                 pending, instance: dg.DagsterInstance, show_progress: bool) -> RunSummary:
    ingest = dg.load_assets_from_modules([ingest_assets])
    resources = _resources(settings)
    progress = None
    if show_progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        progress.start()
        # A run with no new files still re-extracts stale articles: then the bar counts batches, not files.
        task = (progress.add_task("ingesting files", total=len(paths)) if paths
                else progress.add_task("re-extracting stored articles", total=len(batches)) if batches else None)
    # With several batches of files, worker processes read, parse and extract the next batches while this process
    # writes the current one (one transaction each, in batch order); one batch is split over them instead (the
    # parsed_articles asset, as in the UI).
    file_batches = [BatchFiles(settings.raw_dir, batch, settings.max_file_bytes, settings.timezone)
                    for batch in batches if batch]
    folders = (prefetched(file_batches, settings.workers, warehouse_files.workers_dir(settings.warehouse_path))
               if settings.workers > 1 and len(file_batches) > 1 and can_start_workers() else None)
    try:
        for number, batch in enumerate(batches):
            prepared_dir = str(next(folders)) if folders is not None and batch else ""
            # This run's scan is handed to its batches (the first also records what is missing and refused),
            # so no batch walks raw/ again.
            config = (ingest_assets.batch_config(batch, pending.missing, pending.refused, prepared_dir) if number == 0
                      else ingest_assets.batch_config(batch, prepared_dir=prepared_dir))
            try:
                result = dg.materialize(
                    ingest, resources=resources, instance=instance,
                    run_config={**QUIET_LOGS, **config},
                    selection=dg.AssetSelection.groups(ingest_assets.INGEST_GROUP),
                )
            except dg.DagsterUserCodeExecutionError as error:  # a batch split over workers, one of which died
                if isinstance(error.user_exception, WorkerDiedError):
                    raise error.user_exception from None
                raise
            summary.batches += 1
            _count_statuses(result, summary)
            if progress and task is not None:
                progress.advance(task, len(batch) if paths else 1)
        summary.ingest_seconds = time.perf_counter() - started
        reports = report_assets()
        if reports:
            if progress:
                report_task = progress.add_task("refreshing reports", total=1)
            report_result = dg.materialize(reports, resources=resources, run_config=QUIET_LOGS, instance=instance)
            summary.publication_note = _publication_note(report_result)
            if progress:
                progress.advance(report_task)
    finally:
        if folders is not None:
            folders.close()
        if progress:
            progress.stop()
    summary.seconds = time.perf_counter() - started
    summary.reports_seconds = summary.seconds - summary.ingest_seconds
    return summary
