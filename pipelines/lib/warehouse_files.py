"""One folder per warehouse: where a warehouse's own files live beside its database file.

`warehouse/kronika.duckdb` keeps everything a run writes in `warehouse/kronika.files/` (docs/warehouse.md)."""

from __future__ import annotations

import os
from pathlib import Path

FILES_SUFFIX = ".files"


def files_dir(public_path: Path) -> Path:
    """The folder named after the database: `news.duckdb` -> `news.files/`, so warehouses never share files."""
    return public_path.with_name(f"{public_path.stem}{FILES_SUFFIX}")


def build_path(public_path: Path) -> Path:
    """The writer's private database (the one all writes go to; the public file is published from it)."""
    return files_dir(public_path) / f"build{public_path.suffix or '.duckdb'}"


def public_path_for_build(build: Path) -> Path:
    """The public database a build file belongs to (the inverse of `build_path`)."""
    folder = build.parent
    return folder.with_name(folder.name.removesuffix(FILES_SUFFIX) + build.suffix)


def staging_dir(public_path: Path) -> Path:
    """Parquet hand-over between Dagster steps."""
    return files_dir(public_path) / "staging"


def workers_dir(public_path: Path) -> Path:
    """Batches that worker processes have prepared (Arrow IPC), each removed once the writer has taken it."""
    return files_dir(public_path) / "workers"


def report_html_path(public_path: Path) -> Path:
    """The static HTML report; its SVG charts go to `report-charts/` beside it."""
    return files_dir(public_path) / "report.html"


def lease_path(public_path: Path) -> Path:
    """The writer lease's lock file."""
    return files_dir(public_path) / "writer.lock"


def publication_state_path(public_path: Path) -> Path:
    """What the last publication wrote (to tell a public file someone changed) and whether one is pending."""
    return files_dir(public_path) / "publication.json"


def kept_dir(public_path: Path) -> Path:
    """Public files that a program changed after publication are moved here, never deleted."""
    return files_dir(public_path) / "kept"


def ensure_files_dir(public_path: Path) -> Path:
    """Create the folder, moving a build file of the old layout (`.kronika.build.duckdb` beside) into it."""
    folder = files_dir(public_path)
    folder.mkdir(parents=True, exist_ok=True)
    old_build = public_path.with_name(f".{public_path.stem}.build{public_path.suffix}")
    new_build = build_path(public_path)
    if old_build.exists() and not new_build.exists():
        for suffix in (".wal", ""):  # the WAL first: a build file is never left without its log
            old = Path(f"{old_build}{suffix}")
            if old.exists():
                os.replace(old, f"{new_build}{suffix}")
    return folder
