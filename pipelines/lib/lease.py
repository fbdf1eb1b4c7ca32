"""The single-writer lease: a lock file beside the warehouse, held with `flock` for the whole of a writing run.

A second writer waits a bounded time (KRONIKA_LOCK_WAIT_SECONDS, default 60 s) and then stops with one line naming
the holder; a holder that dies releases the lease with its file descriptor, so a stale lock file never blocks anyone.

Design notes:
- The lease is taken before any work (discovery, planning, writes), so a refused writer has done nothing.
- `flock` locks belong to an open file description: a second `open` + `flock` in the same process would wait on
  itself. The lease is therefore re-entrant per process (a count per lock file), so `kronika run` can hold it
  around Dagster runs whose writer resource takes it again.
- The file is opened without truncation and rewritten only by the process that got the lock, so a waiter can read
  who holds it (pid, host, start time, command).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from pipelines.lib import warehouse_files
from pipelines.lib.settings import lake_settings_from_env

LOCK_WAIT_ENVIRONMENT_VARIABLE = "KRONIKA_LOCK_WAIT_SECONDS"
DEFAULT_LOCK_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.2


class WarehouseBusyError(RuntimeError):
    """Another process is writing (or holds open) the warehouse; the message is one line saying who and what to do."""


@dataclass(frozen=True)
class LeaseHolder:
    pid: int | None
    host: str | None
    started_at: str | None
    command: str | None

    def describe(self) -> str:
        if self.pid is None:
            return "another process (it has not written its name into the lock file yet)"
        parts = [f"pid {self.pid} on {self.host or 'an unknown host'}"]
        if self.command:
            parts.append(f"`{self.command}`")
        if self.started_at:
            parts.append(f"since {self.started_at}")
        return ", ".join(parts)


LAKE_LEASE_FILE = ".kronika-writer.lock"


def lease_path_for(public_path: Path) -> Path:
    """The lock file in the warehouse's folder: warehouse/kronika.files/writer.lock for warehouse/kronika.duckdb.

    In DuckLake mode the lease belongs to the lake, not to one warehouse folder: two runs given different
    `--warehouse` folders still write the same tables. With a local (or shared-filesystem) data path the lock file
    lives there; an object-store data path has no file to lock, so the warehouse folder's lease is used and writers
    on other machines are not excluded (docs/scaling.md)."""
    found = lake_settings_from_env()
    if found is not None and "://" not in found[1]:
        return Path(found[1]) / LAKE_LEASE_FILE
    return warehouse_files.lease_path(public_path)


def _lease_target(public_path: Path) -> str:
    found = lake_settings_from_env()
    return f"lake {found[1]}" if found is not None and "://" not in found[1] else str(public_path)


def configured_wait_seconds() -> float:
    setting = os.environ.get(LOCK_WAIT_ENVIRONMENT_VARIABLE, "").strip()
    try:
        return max(0.0, float(setting)) if setting else DEFAULT_LOCK_WAIT_SECONDS
    except ValueError:
        return DEFAULT_LOCK_WAIT_SECONDS


def current_command() -> str:
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    return " ".join([program, *sys.argv[1:3]])


# Leases this process holds: lock file path -> [file descriptor, nesting count].
_held: dict[str, list[int]] = {}
_held_guard = threading.Lock()


def _read_holder(descriptor: int) -> LeaseHolder:
    try:
        content = os.pread(descriptor, 4096, 0).decode("utf-8", "replace")
        fields = json.loads(content) if content.strip() else {}
    except (OSError, ValueError):
        fields = {}
    if not isinstance(fields, dict):
        fields = {}
    pid = fields.get("pid")
    return LeaseHolder(pid=pid if isinstance(pid, int) else None, host=fields.get("host"),
                       started_at=fields.get("started_at"), command=fields.get("command"))


def _open_lock_file(lock_path: Path) -> int:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)


def lease_holder(public_path: Path) -> LeaseHolder | None:
    """Who holds the lease now, or None when it is free (or held by this process). Never waits."""
    lock_path = lease_path_for(public_path)
    if str(lock_path) in _held or not lock_path.exists():
        return None
    try:
        descriptor = os.open(lock_path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(descriptor)
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return None
    finally:
        os.close(descriptor)


def acquire_lease(public_path: Path, *, wait_seconds: float | None = None, command: str | None = None) -> None:
    """Take the writer lease, waiting up to `wait_seconds`; raise WarehouseBusyError naming the holder after that."""
    lock_path = lease_path_for(public_path)
    key = str(lock_path)
    with _held_guard:
        if key in _held:
            _held[key][1] += 1
            return
    wait_seconds = configured_wait_seconds() if wait_seconds is None else wait_seconds
    descriptor = _open_lock_file(lock_path)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(descriptor)
                    raise WarehouseBusyError(
                        f"the warehouse {_lease_target(public_path)} is being written by {holder.describe()}; waited "
                        f"{wait_seconds:.0f} s ({LOCK_WAIT_ENVIRONMENT_VARIABLE}). Let it finish, then try again."
                    ) from None
                time.sleep(POLL_SECONDS)
    except BaseException:
        os.close(descriptor)
        raise
    holder = {"pid": os.getpid(), "host": socket.gethostname(),
              "started_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
              "command": command or current_command()}
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, (json.dumps(holder) + "\n").encode(), 0)
    with _held_guard:
        _held[key] = [descriptor, 1]


def release_lease(public_path: Path) -> None:
    key = str(lease_path_for(public_path))
    with _held_guard:
        entry = _held.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _held[key]
    # The holder's line stays in the file: it is only read while someone holds the lock, who rewrote it.
    fcntl.flock(entry[0], fcntl.LOCK_UN)
    os.close(entry[0])


def holds_lease(public_path: Path) -> bool:
    return str(lease_path_for(public_path)) in _held


@contextmanager
def writer_lease(public_path: Path, *, wait_seconds: float | None = None,
                 command: str | None = None) -> Iterator[None]:
    """Hold the writer lease for the body of a `with` block."""
    acquire_lease(public_path, wait_seconds=wait_seconds, command=command)
    try:
        yield
    finally:
        release_lease(public_path)
