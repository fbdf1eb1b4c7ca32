"""The Dagster code location of Kronika: assets, checks, resources, sensor, schedule and automation.

Global policies (executor, resources, automation sensor) are applied here once."""

from __future__ import annotations

import dagster as dg

from pipelines.defs import assets as ingest_assets
from pipelines.defs.reports import report_assets
from pipelines.defs.resources import default_resources
from pipelines.defs.sensors import hourly_ingest_schedule, ingest_job, raw_files_sensor

automation_sensor = dg.AutomationConditionSensorDefinition(
    "report_tables_automation",
    target=dg.AssetSelection.groups("reports"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Refreshes the report tables after each ingest (declarative automation, eager).",
)

defs = dg.Definitions(
    assets=[*dg.load_assets_from_modules([ingest_assets]), *report_assets()],
    jobs=[ingest_job],
    sensors=[raw_files_sensor, automation_sensor],
    schedules=[hourly_ingest_schedule],
    resources=default_resources(),
    # One process per run: stages hand over Parquet files, so steps need no subprocesses of their own.
    executor=dg.in_process_executor,
)
