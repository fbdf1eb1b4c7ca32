"""Publication of the analyst-facing DuckDB file from the writer's build file, safe against any open session.

A file held read-write by another program is never replaced (its writes would be lost); tables and views an analyst
created in it are carried into each new file, and a file changed since publication is kept in `<name>.files/kept/`."""

from __future__ import annotations

import fcntl
import glob
import json
import os
import shutil
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipelines.lib import lake, warehouse_files
from pipelines.lib.test_hooks import crash_point


@dataclass(frozen=True)
class Publication:
    """What a publication did: `published` is False when it waits for a read-write session to close."""
    published: bool
    message: str | None = None   # one line for the operator, when something needs saying


def read_write_holder(public_path: Path) -> int | None:
    """The pid of another process holding the file open read-write (DuckDB's exclusive lock), or None.

    DuckDB locks the whole file with fcntl: read-only sessions take read locks, a read-write session a write lock.
    Asking F_GETLK about a read lock reports only write locks, so read-only readers never delay publication.
    Locks of this very process are not reported (fcntl's rule), and a read-write session of this process on the
    public file is not a supported use."""
    try:
        descriptor = os.open(public_path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        query = struct.pack("hhqqi4x", fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0)
        answer = fcntl.fcntl(descriptor, fcntl.F_GETLK, query)
        lock_type, _, _, _, pid = struct.unpack("hhqqi4x", answer)
        return pid if lock_type != fcntl.F_UNLCK else None
    finally:
        os.close(descriptor)


def _program_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() or "a program"
    except OSError:
        return "a program"


def _file_signature(path: Path) -> dict | None:
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    # No inode: a copied or restored warehouse folder (copy2 keeps mtimes) is not a changed file.
    return {"size": found.st_size, "mtime_ns": found.st_mtime_ns}


def _read_state(public_path: Path) -> dict:
    try:
        return json.loads(warehouse_files.publication_state_path(public_path).read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _write_state(public_path: Path, state: dict) -> None:
    path = warehouse_files.publication_state_path(public_path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(state) + "\n")
    os.replace(temporary, path)


def publication_pending(public_path: Path) -> bool:
    """True when a committed change waits for publication (a read-write session held the public file)."""
    return bool(_read_state(public_path).get("pending"))


def _build_marker(connection: duckdb.DuckDBPyConnection) -> str:
    """What identifies the build file's committed state: its last batch, report refresh and manifest size."""
    return str(connection.execute(
        "SELECT (SELECT max(finished_at) FROM ingest_runs)::VARCHAR || '|' || "
        "(SELECT max(refreshed_at) FROM report_refreshes)::VARCHAR || '|' || "
        "(SELECT count(*) FROM source_files)::VARCHAR").fetchall()[0][0])


def needs_publication(connection: duckdb.DuckDBPyConnection, public_path: Path) -> bool:
    """True when the public file lags the build file: a publication waited, or a run died before or while publishing."""
    if lake.configured_lake() is not None:
        return False
    state = _read_state(public_path)
    return (not public_path.exists() or bool(state.get("pending"))
            or state.get("build_marker") != _build_marker(connection))


def changed_since_published(public_path: Path) -> bool:
    """True when another program wrote into the public file after Kronika published it (or left a WAL beside it)."""
    if not public_path.exists():
        return False
    if Path(f"{public_path}.wal").exists():
        return True
    recorded = _read_state(public_path).get("published")
    # A public file Kronika has no record of (published before this record existed) is taken as its own.
    return recorded is not None and recorded != _file_signature(public_path)


def _keep_changed_file(public_path: Path) -> Path:
    """Move the changed public file (and its WAL) into kept/; the move is a rename, so it costs nothing."""
    kept = warehouse_files.kept_dir(public_path)
    kept.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = kept / f"{public_path.stem}-{stamp}{public_path.suffix}"
    wal = Path(f"{public_path}.wal")
    if wal.exists():
        os.replace(wal, f"{target}.wal")
    os.replace(public_path, target)
    return target


def _carry_over_own_objects(new_file: Path, old_file: Path) -> list[str]:
    """Copy the tables and views of the old public file that are not Kronika's (not in the new file) into the new one.

    Run at every publication, so what an analyst created in the public file survives each replacement."""
    connection = duckdb.connect(str(new_file))
    try:
        connection.execute(f"ATTACH '{old_file.as_posix()}' AS old_public (READ_ONLY)")
        ours = {row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()").fetchall()}
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'old_public' "
            "AND NOT internal AND NOT temporary ORDER BY table_name").fetchall()
        views = connection.execute(
            "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = 'old_public' "
            "AND NOT internal AND NOT temporary ORDER BY view_name").fetchall()
        carried = []
        for schema, name in tables:
            if name not in ours:
                connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                connection.execute(f'CREATE TABLE "{schema}"."{name}" AS SELECT * FROM old_public."{schema}"."{name}"')
                carried.append(name)
        for schema, name, sql in views:
            if name not in ours:
                connection.execute(f'SET schema = "{schema}"')
                connection.execute(sql)
                carried.append(name)
        connection.execute("DETACH old_public")
        if carried:
            connection.execute("CHECKPOINT")
        return carried
    finally:
        connection.close()


def publish_snapshot(connection: duckdb.DuckDBPyConnection, build_path: Path, public_path: Path) -> Publication:
    """Checkpoint the build file, copy it and atomically rename the copy over the public file.

    Readers holding the old file (read-only) keep reading the old inode; new readers see the new state. A file held
    read-write elsewhere is left alone and the publication waits (`publication_pending`); the batch stays committed
    in the build file and the next run publishes it. In DuckLake mode a commit is already the published snapshot."""
    if lake.configured_lake() is not None:
        return Publication(True)
    holder = read_write_holder(public_path)
    if holder is not None:
        _write_state(public_path, {**_read_state(public_path), "pending": True})
        return Publication(False, (
            f"{public_path} is open read-write in {_program_name(holder)} (pid {holder}), so the new data is not "
            f"published yet (it is committed). Close that session, or open it with -readonly, and run "
            f"`kronika run` again to publish."))
    connection.execute("CHECKPOINT")
    # A writer killed mid-copy leaves its copy behind; the caller holds the lease, so every such file is stale.
    for stale in glob.glob(glob.escape(str(public_path.with_name(f".{public_path.name}."))) + "*.tmp"):
        os.remove(stale)
    temporary = public_path.with_name(f".{public_path.name}.{os.getpid()}.tmp")
    shutil.copyfile(build_path, temporary)
    message = None
    if public_path.exists():
        kept = _keep_changed_file(public_path) if changed_since_published(public_path) else None
        try:
            carried = _carry_over_own_objects(temporary, kept or public_path)
        except duckdb.IOException as error:  # opened read-write since the check above: wait for it, as above
            if "lock" not in str(error).lower():
                raise
            os.remove(temporary)
            return publish_snapshot(connection, build_path, public_path)
        if kept:
            message = (f"{public_path} had been changed by another program since it was published; it is kept as "
                       f"{kept}" + (f", and the tables and views created in it ({', '.join(carried)}) are in the "
                                    f"new file" if carried else "") +
                       ". Changes to Kronika's own tables are only in the kept file.")
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    crash_point("publish_before_rename")
    os.replace(temporary, public_path)
    directory = os.open(public_path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    _write_state(public_path, {"published": _file_signature(public_path), "pending": False,
                               "build_marker": _build_marker(connection)})
    return Publication(True, message)
