"""Find the raw files to ingest and decide which are new, changed, unchanged or missing.
Walks raw/ without hashing, refuses what must not be read, and renders JSON Lines records as header+body text.

Design notes:
- `scan_raw_dir` costs one `stat` per file (through `os.scandir`), so 100,000 unchanged files scan
  in about a second; only files that `plan_changes` calls new or changed are ever hashed.
- Files still being written are skipped by name (`.tmp`, `.part`, `.crdownload`, `~`, hidden
  `.*` files and folders). A writer that keeps the final name is caught by `stable_files`: the
  caller (the sensor) keeps its previous scan and passes it with the new one; a file counts only
  once two looks agree on size and mtime, so a growing file waits for the next tick. A one-shot
  CLI run may skip that step.
- Containment: paths are built from directory entries, never parsed, so a name with spaces,
  newlines or `..` is just data. A symlink is followed only when its resolved target is a regular
  file inside raw_dir; one pointing outside, a broken one, or anything that is not a regular file
  (a FIFO, a socket, a device) is refused with a reason. Symlinked *directories* are not walked:
  when they point inside raw_dir their files are found at their real path anyway, and walking
  them could loop. `hash_files` checks containment again, because its paths may come from a
  stored manifest.
- File names that are not valid UTF-8 cannot be stored as Polars strings; they are refused with
  the name shown with backslash escapes.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.lib.decode import QuarantineError, decode_bytes

SUPPORTED_SUFFIXES = (".txt", ".md", ".jsonl")
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".crdownload", "~")
HASH_CHUNK_BYTES = 1024 * 1024

FILES_SCHEMA = {"source_path": pl.String, "size_bytes": pl.Int64, "mtime_ns": pl.Int64}
REFUSED_SCHEMA = {"source_path": pl.String, "reason": pl.String}
MANIFEST_SCHEMA = {**FILES_SCHEMA, "content_sha256": pl.String}
HASHES_SCHEMA = {"source_path": pl.String, "content_sha256": pl.String, "hash_error": pl.String}

# Field names scrapers use for the same thing, most common first.
JSONL_TITLE_FIELDS = ("title", "headline")
JSONL_DATE_FIELDS = ("date", "published_at", "published", "datetime", "pubDate")
JSONL_SECTION_FIELDS = ("section", "category")
JSONL_AUTHOR_FIELDS = ("author", "authors", "byline")
JSONL_OUTLET_FIELDS = ("outlet", "source", "publisher", "site")
JSONL_BODY_FIELDS = ("body", "text", "content", "article")

_FILE_KIND_NAMES = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def scan_raw_dir(raw_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Walk raw_dir recursively with os.scandir (no hashing). Returns (files, refused):
    files: source_path (posix path relative to raw_dir, str), size_bytes (Int64), mtime_ns (Int64)
    refused: source_path, reason  — symlinks pointing outside raw_dir, unreadable files (permission denied), ...
    Skips files still being written: names ending .tmp/.part/.crdownload/~ and hidden files (.*)."""
    root = os.path.realpath(raw_dir)
    files: dict[str, list] = {"source_path": [], "size_bytes": [], "mtime_ns": []}
    refused: dict[str, list] = {"source_path": [], "reason": []}

    def refuse(relative_path: str, reason: str) -> None:
        refused["source_path"].append(relative_path)
        refused["reason"].append(reason)

    pending_directories = [(str(raw_dir), "")]
    while pending_directories:
        directory, relative_prefix = pending_directories.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as error:
            refuse(_storable_name(relative_prefix or "."), f"directory not readable: {_error_text(error)}")
            continue
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name.lower().endswith(IN_PROGRESS_SUFFIXES):
                continue
            relative_path = relative_prefix + name
            if not _is_valid_utf8(relative_path):
                refuse(_storable_name(relative_path), "file name is not valid UTF-8")
                continue
            try:
                if entry.is_symlink():
                    outcome = _follow_symlink(entry.path, root)
                    if outcome is None:
                        continue  # a symlinked directory: not walked (see the module docstring)
                    if isinstance(outcome, str):
                        refuse(relative_path, outcome)
                        continue
                    file_stat = outcome
                elif entry.is_dir(follow_symlinks=False):
                    pending_directories.append((entry.path, relative_path + "/"))
                    continue
                else:
                    file_stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed between listing and stat: the next scan sees it gone
            except OSError as error:
                refuse(relative_path, f"cannot stat: {_error_text(error)}")
                continue
            reason = _refusal_for_file(entry.path, name, file_stat)
            if reason is not None:
                refuse(relative_path, reason)
                continue
            files["source_path"].append(relative_path)
            files["size_bytes"].append(file_stat.st_size)
            files["mtime_ns"].append(file_stat.st_mtime_ns)
    return (
        pl.DataFrame(files, schema=FILES_SCHEMA).sort("source_path"),
        pl.DataFrame(refused, schema=REFUSED_SCHEMA).sort("source_path"),
    )


def _follow_symlink(link_path: str, root: str) -> os.stat_result | str | None:
    """The target's stat when it is inside root, a refusal reason, or None for a directory inside root."""
    target = os.path.realpath(link_path)
    if target != root and not target.startswith(root + os.sep):
        return f"symlink points outside raw_dir (to {target})"
    try:
        target_stat = os.stat(target)
    except FileNotFoundError:
        return "broken symlink (its target does not exist)"
    if stat.S_ISDIR(target_stat.st_mode):
        return None
    return target_stat


def _refusal_for_file(path: str, name: str, file_stat: os.stat_result) -> str | None:
    if not stat.S_ISREG(file_stat.st_mode):
        kind = _FILE_KIND_NAMES.get(stat.S_IFMT(file_stat.st_mode), "not a regular file")
        return f"not a regular file: {kind}"
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "no suffix"
        return f"unsupported file type ({shown}); supported: {', '.join(SUPPORTED_SUFFIXES)}"
    if not os.access(path, os.R_OK):
        return "permission denied"
    return None


def _is_valid_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.scandir keeps undecodable bytes as lone surrogates
        return False
    return True


def _storable_name(name: str) -> str:
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _error_text(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


def stable_files(first: pl.DataFrame, second: pl.DataFrame) -> pl.DataFrame:
    """Rows of the later scan `second` whose size and mtime equal those in the earlier scan `first`.

    A file that is new in `second`, or whose size or mtime moved between the two looks, is left
    out: it is probably still being written and will be stable at the next look."""
    return second.join(first.select("source_path", "size_bytes", "mtime_ns"), on=["source_path", "size_bytes", "mtime_ns"], how="semi")


def plan_changes(files: pl.DataFrame, manifest: pl.DataFrame) -> pl.DataFrame:
    """manifest: source_path, size_bytes, mtime_ns, content_sha256 (what the warehouse already has; may be empty).
    Returns files with a `change` column: 'new', 'changed' (size or mtime differ), 'unchanged', and rows for
    manifest paths no longer on disk with change='missing'. Vectorised (a join), no per-row Python.

    Output columns: source_path, size_bytes, mtime_ns, content_sha256 (the manifest's hash for
    unchanged and missing rows, null where the file must be hashed), change. When the manifest
    holds several versions of one path, a version matching the file on disk wins."""
    on_disk = files.select(list(FILES_SCHEMA)).cast(FILES_SCHEMA)  # type: ignore[arg-type]
    known = _manifest_frame(manifest).rename(
        {"size_bytes": "known_size_bytes", "mtime_ns": "known_mtime_ns"}
    ).with_columns(pl.lit(True).alias("in_manifest"))
    joined = on_disk.with_columns(pl.lit(True).alias("on_disk")).join(
        known, on="source_path", how="full", coalesce=True
    )
    same_file = (pl.col("size_bytes") == pl.col("known_size_bytes")) & (pl.col("mtime_ns") == pl.col("known_mtime_ns"))
    change = (
        pl.when(pl.col("on_disk").is_null()).then(pl.lit("missing"))
        .when(pl.col("in_manifest").is_null()).then(pl.lit("new"))
        .when(same_file.fill_null(False)).then(pl.lit("unchanged"))
        .otherwise(pl.lit("changed"))
    )
    planned = joined.with_columns(change.alias("change"))
    return (
        planned.sort("source_path", pl.col("change") == "unchanged", descending=[False, True])
        .unique(subset="source_path", keep="first", maintain_order=True)
        .select(
            "source_path",
            pl.when(pl.col("change") == "missing").then(pl.col("known_size_bytes")).otherwise(pl.col("size_bytes")).alias("size_bytes"),
            pl.when(pl.col("change") == "missing").then(pl.col("known_mtime_ns")).otherwise(pl.col("mtime_ns")).alias("mtime_ns"),
            pl.when(pl.col("change").is_in(["unchanged", "missing"])).then(pl.col("content_sha256")).alias("content_sha256"),
            "change",
        )
    )


def _manifest_frame(manifest: pl.DataFrame) -> pl.DataFrame:
    """The manifest's four columns with their types; an empty or column-less frame becomes an empty manifest."""
    missing_columns = sorted(set(MANIFEST_SCHEMA) - set(manifest.columns))
    if missing_columns and manifest.height == 0:
        return pl.DataFrame(schema=MANIFEST_SCHEMA)
    if missing_columns:
        raise ValueError(f"manifest lacks columns {missing_columns}; expected {list(MANIFEST_SCHEMA)}")
    return manifest.select(list(MANIFEST_SCHEMA)).cast(MANIFEST_SCHEMA)  # type: ignore[arg-type]


def hash_files(raw_dir: Path, paths: list[str]) -> pl.DataFrame:
    """source_path, content_sha256 (hex), hash_error — streamed in 1 MiB chunks.

    A path that escapes raw_dir or cannot be read gets a null hash and a `hash_error`."""
    root = os.path.realpath(raw_dir)
    buffer = bytearray(HASH_CHUNK_BYTES)
    view = memoryview(buffer)
    hashes: list[str | None] = []
    errors: list[str | None] = []
    for relative_path in paths:
        digest, error = _hash_one_file(root, relative_path, view)
        hashes.append(digest)
        errors.append(error)
    return pl.DataFrame({"source_path": paths, "content_sha256": hashes, "hash_error": errors}, schema=HASHES_SCHEMA)


def _hash_one_file(root: str, relative_path: str, view: memoryview) -> tuple[str | None, str | None]:
    target = os.path.realpath(os.path.join(root, relative_path))
    if not target.startswith(root + os.sep):
        return None, "path escapes raw_dir"
    digest = hashlib.sha256()
    try:
        with open(target, "rb", buffering=0) as handle:
            while read_count := handle.readinto(view):
                digest.update(view[:read_count])
    except OSError as error:
        return None, _error_text(error)
    return digest.hexdigest(), None


def read_jsonl_records(raw: bytes, *, problems: list[str] | None = None) -> list[dict]:
    """Records of a JSON Lines file, each with `_line` (1-based line number) added.

    Tolerant: a line that is not a JSON object is skipped and described in `problems` when a list
    is given ("line 7: invalid JSON (...)"); an undecodable or empty file gives no records."""
    found_problems = problems if problems is not None else []
    try:
        text = decode_bytes(raw, max_bytes=max(len(raw), 1)).text
    except QuarantineError as error:
        found_problems.append(f"file: {error}")
        return []
    records = []
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            found_problems.append(f"line {line_number}: invalid JSON ({error.msg} at column {error.colno})")
            continue
        if not isinstance(record, dict):
            found_problems.append(f"line {line_number}: a JSON {type(record).__name__}, not an object")
            continue
        record["_line"] = line_number
        records.append(record)
    return records


def jsonl_record_to_text(record: dict) -> str:
    """Render a record as the header+body text the metadata parser reads from plain files:
    title line, date line, section line, 'By author - outlet' line, a blank line, then the body.
    Lines whose field is absent are left out."""
    title = _first_text(record, JSONL_TITLE_FIELDS)
    published = _first_text(record, JSONL_DATE_FIELDS)
    section = _first_text(record, JSONL_SECTION_FIELDS)
    author = _first_text(record, JSONL_AUTHOR_FIELDS)
    outlet = _first_text(record, JSONL_OUTLET_FIELDS)
    body = _first_text(record, JSONL_BODY_FIELDS, keep_newlines=True)
    header = [line for line in (title, published, section) if line]
    if author:
        header.append(f"By {author} - {outlet}" if outlet else f"By {author}")
    elif outlet:
        header.append(f"Source: {outlet}")
    return "\n".join(header) + "\n\n" + (body or "") if header else (body or "")


def _first_text(record: dict, field_names: tuple[str, ...], *, keep_newlines: bool = False) -> str | None:
    """The first present, non-empty field, as one line (lists joined with ', ') unless keep_newlines."""
    for field_name in field_names:
        value: Any = record.get(field_name)
        if isinstance(value, list):
            value = ", ".join(str(item).strip() for item in value if str(item).strip())
        elif isinstance(value, dict):
            value = value.get("name")
        if value is None or isinstance(value, bool):
            continue
        text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
        if not keep_newlines:
            text = " ".join(text.split())
        if text:
            return text
    return None
