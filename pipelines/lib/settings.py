"""Where Kronika reads and writes, and the knobs of a run, from the environment with defaults.

`KRONIKA_RAW_DIR`, `KRONIKA_WAREHOUSE`, `KRONIKA_TIMEZONE`, `KRONIKA_MAX_FILE_BYTES`, `KRONIKA_BATCH_SIZE`, `KRONIKA_STORAGE`,
`KRONIKA_USER_GAZETTEER`, `KRONIKA_WORKERS`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RAW_DIR = "raw"
DEFAULT_WAREHOUSE = "warehouse/kronika.duckdb"
DEFAULT_TIMEZONE = "Europe/Tirane"
DEFAULT_MAX_FILE_BYTES = 5_000_000
DEFAULT_BATCH_SIZE = 20_000
WORKERS_ENVIRONMENT_VARIABLE = "KRONIKA_WORKERS"
# At most this many worker processes by default: the machines Kronika is measured on have 2 cores.
DEFAULT_MAX_WORKERS = 2
# The user's curation file (docs/curation.md), outside pipelines/reference/ so that curating never changes the
# extraction version: only the articles a change affects are re-extracted.
DEFAULT_USER_GAZETTEER = "curation/gazetteer.tsv"


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse_path: Path
    timezone: str = DEFAULT_TIMEZONE
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    batch_size: int = DEFAULT_BATCH_SIZE
    # Processes that read, parse and extract batches (`pipelines.lib.workers`); 1 does it all in the writer's.
    workers: int = 1


def default_workers() -> int:
    """KRONIKA_WORKERS, else the usable cores capped at DEFAULT_MAX_WORKERS; 1 means no worker processes."""
    configured = os.environ.get(WORKERS_ENVIRONMENT_VARIABLE, "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise ValueError(f"{WORKERS_ENVIRONMENT_VARIABLE}={configured!r} is not a number of processes (1 or more)")
        return int(configured)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, DEFAULT_MAX_WORKERS))


def _resolve(path: str) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (Path.cwd() / candidate)


def settings_from_env(raw_dir: str | None = None, warehouse: str | None = None) -> Settings:
    """Explicit arguments win over the environment, which wins over the defaults."""
    return Settings(
        raw_dir=_resolve(raw_dir or os.environ.get("KRONIKA_RAW_DIR", DEFAULT_RAW_DIR)),
        warehouse_path=_resolve(warehouse or os.environ.get("KRONIKA_WAREHOUSE", DEFAULT_WAREHOUSE)),
        timezone=os.environ.get("KRONIKA_TIMEZONE", DEFAULT_TIMEZONE),
        max_file_bytes=int(os.environ.get("KRONIKA_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)),
        batch_size=int(os.environ.get("KRONIKA_BATCH_SIZE", DEFAULT_BATCH_SIZE)),
        workers=default_workers(),
    )


def user_gazetteer_path() -> Path:
    """The user gazetteer file: KRONIKA_USER_GAZETTEER, else curation/gazetteer.tsv under the current folder."""
    return _resolve(os.environ.get("KRONIKA_USER_GAZETTEER") or DEFAULT_USER_GAZETTEER)


STORAGE_MODES = ("embedded", "ducklake")


def lake_settings_from_env() -> tuple[str, str] | None:
    """(catalog, data path) when `KRONIKA_STORAGE=ducklake`, None in the default embedded mode (docs/scaling.md)."""
    storage = os.environ.get("KRONIKA_STORAGE", "embedded").strip().lower() or "embedded"
    if storage not in STORAGE_MODES:
        raise ValueError(f"KRONIKA_STORAGE={storage!r} is not a storage mode: use one of {', '.join(STORAGE_MODES)}")
    if storage == "embedded":
        return None
    catalog, data_path = os.environ.get("KRONIKA_LAKE_CATALOG", ""), os.environ.get("KRONIKA_LAKE_DATA", "")
    if not catalog or not data_path:
        raise ValueError("KRONIKA_STORAGE=ducklake needs KRONIKA_LAKE_CATALOG (e.g. 'postgres:dbname=kronika "
                         "host=localhost') and KRONIKA_LAKE_DATA (the folder or s3:// prefix for its Parquet files)")
    return catalog, str(_resolve(data_path)) if "://" not in data_path else data_path
