"""Turns a batch of raw files into documents and articles, and decides each file's status.

Reading, decoding and parsing happen here; `plan_batch` compares the batch with what the warehouse
already holds so that a duplicate, a changed file or a re-scrape is never counted twice."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.lib.decode import QuarantineError, clean_text, decode_bytes
from pipelines.lib.discover import (
    UnsafeFileError, jsonl_lines, jsonl_record_to_text, plan_changes, read_inside, scan_paths,
    scan_raw_dir,
)
from pipelines.lib.isolation import failure_reason, run_isolated
from pipelines.lib.metadata import parse_articles
from pipelines.lib.test_hooks import pause_point

DOCUMENT_SCHEMA = {
    "source_path": pl.String,
    "content_sha256": pl.String,
    "size_bytes": pl.Int64,
    "mtime_ns": pl.Int64,
    "encoding": pl.String,
    "reason": pl.String,
    "text": pl.String,
}

SOURCE_FILE_COLUMNS = [
    "source_path", "content_sha256", "size_bytes", "mtime_ns", "status", "article_id",
    "encoding", "reason", "first_seen_at", "last_seen_at", "missing_since",
]

ARTICLE_COLUMNS = [
    "article_id", "source_path", "content_sha256", "title", "caption", "published_at",
    "published_precision", "updated_at", "author", "outlet", "section", "section_norm",
    "header_language", "body_language", "body", "metadata_rules", "authors", "dateline_place",
]


def _document(source_path: str, raw: bytes | None, size: int | None, mtime: int | None,
              *, text: str | None = None, encoding: str | None = None, reason: str | None = None) -> dict:
    return {
        "source_path": source_path,
        "content_sha256": hashlib.sha256(raw).hexdigest() if raw is not None else None,
        "size_bytes": size,
        "mtime_ns": mtime,
        "encoding": encoding,
        "reason": reason,
        "text": text,
    }


def _jsonl_documents(source_path: str, raw: bytes, mtime: int | None) -> list[dict]:
    """One document per JSON Lines record, addressed as `<file>#<line>`; a broken line is a quarantined document
    of its own (its reason names the line), so the good records beside it are ingested."""
    lines, file_problem = jsonl_lines(raw)
    if file_problem is not None:
        return [_document(source_path, raw, len(raw), mtime, reason=f"JSON Lines file: {file_problem}")]
    if not lines:
        return [_document(source_path, raw, len(raw), mtime, reason="JSON Lines file with no record")]
    documents = []
    for line_number, line, record, problem in lines:
        # Size and mtime are the containing file's, so change detection works per file.
        address, line_bytes = f"{source_path}#{line_number}", line.encode("utf-8", "surrogatepass")
        if problem is not None:
            documents.append(_document(address, line_bytes, len(raw), mtime, reason=problem))
            continue
        try:
            text, cleaned = clean_text(jsonl_record_to_text(record))
        except Exception as error:  # noqa: BLE001 - one odd record must not stop its file
            documents.append(_document(address, line_bytes, len(raw), mtime,
                                       reason=f"line {line_number}: {failure_reason('render', error)}"))
            continue
        documents.append(_document(address, line_bytes, len(raw), mtime, text=text,
                                   encoding="utf-8+cleaned" if cleaned else "utf-8"))
    return documents


def read_document(raw_dir: Path, source_path: str, *, max_file_bytes: int) -> list[dict]:
    """Read, hash and decode one file. Never raises: a file that cannot be used carries a `reason`.

    The file is opened without following symlinks and checked on its descriptor (`discover.open_inside`)."""
    try:
        raw, stat = read_inside(raw_dir, source_path, max_file_bytes)
    except UnsafeFileError as error:
        return [_document(source_path, None, None, None, reason=str(error))]
    except OSError as error:
        return [_document(source_path, None, None, None, reason=f"unreadable file: {error.strerror or error}")]
    if raw is None:
        return [_document(source_path, None, stat.st_size, stat.st_mtime_ns,
                          reason=f"file too large: {stat.st_size:,} bytes > limit {max_file_bytes:,} "
                                 "(raise KRONIKA_MAX_FILE_BYTES to accept it)")]
    if source_path.endswith(".jsonl"):
        try:
            return _jsonl_documents(source_path, raw, stat.st_mtime_ns)
        except Exception as error:  # noqa: BLE001
            return [_document(source_path, raw, len(raw), stat.st_mtime_ns, reason=failure_reason("decode", error))]
    try:
        decoded = decode_bytes(raw, max_bytes=max_file_bytes)
    except QuarantineError as error:
        return [_document(source_path, raw, len(raw), stat.st_mtime_ns, reason=str(error))]
    except Exception as error:  # noqa: BLE001 - a decoder bug on one file quarantines that file only
        return [_document(source_path, raw, len(raw), stat.st_mtime_ns, reason=failure_reason("decode", error))]
    return [_document(source_path, raw, len(raw), stat.st_mtime_ns, text=decoded.text, encoding=decoded.encoding)]


def _read_document_safely(raw_dir: Path, source_path: str, max_file_bytes: int) -> list[dict]:
    try:
        return read_document(raw_dir, source_path, max_file_bytes=max_file_bytes)
    except Exception as error:  # noqa: BLE001 - e.g. a hashing or memory error on one file
        return [_document(source_path, None, None, None, reason=failure_reason("read", error))]


def read_documents(raw_dir: Path, source_paths: list[str], *, max_file_bytes: int) -> pl.DataFrame:
    """Documents for a batch of files. A per-file loop: each file is one open/read/decode anyway.

    One process on purpose: split over two forked workers, 10,000 files took longer (0.78–0.82 s
    against 0.52–0.69 s), because every text comes back pickled and is unpickled under the parent's GIL."""
    pause_point("before_read")
    rows = [row for path in source_paths for row in _read_document_safely(raw_dir, path, max_file_bytes)]
    return pl.DataFrame(rows, schema=DOCUMENT_SCHEMA)


def article_id_for(title: str | None, published_at, author: str | None, body: str | None) -> str:
    """Stable id from what identifies an article (title, time, author), not from the file name.

    A re-scrape with an edited body keeps its id; without a title and a time the body decides."""
    if title and published_at is not None:
        key = "|".join([" ".join(title.lower().split()), published_at.isoformat(), (author or "").lower()])
    else:
        key = " ".join((body or "").split())
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _article_ids(keys: pl.DataFrame) -> tuple[list[str | None], list[str | None]]:
    """(article ids, failure reasons) over plain lists: a cryptographic id is not a column expression."""
    ids: list[str | None] = []
    reasons: list[str | None] = []
    for title, published_at, author, body in zip(*(keys[name].to_list() for name in keys.columns)):
        try:
            ids.append(article_id_for(title, published_at, author, body))
            reasons.append(None)
        except Exception as error:  # noqa: BLE001
            ids.append(None)
            reasons.append(failure_reason("article id", error))
    return ids, reasons


def parse_documents(documents: pl.DataFrame, *, timezone: str) -> pl.DataFrame:
    """Documents plus article metadata and `article_id`; quarantined documents keep null article fields.

    Parsing runs over the whole frame; a document that makes it raise is quarantined with the stage, the
    exception and its message (`isolation.run_isolated`), and the rest of the batch is parsed as usual."""
    readable = documents.filter(pl.col("reason").is_null())
    # mtime_ns is the crawl time: relative stamps ('2 orë më parë') are resolved against it.
    parsed, parse_failures = run_isolated(
        "parse", readable.select("source_path", "text", "mtime_ns"), "source_path",
        lambda part: parse_articles(part, default_timezone=timezone))
    # A time Python's datetime cannot hold (year 0 after conversion to UTC) must not raise outside the
    # per-article try below: it counts as no time, and the body decides the id.
    representable = pl.col("published_at").dt.year().is_between(1, 9998).fill_null(False)
    # Bodies are handed to Python only for articles without a title or a time.
    needs_body = pl.col("title").fill_null("").eq("") | ~representable
    keys = parsed.select("title", pl.when(representable).then(pl.col("published_at")).alias("published_at"), "author",
                         pl.when(needs_body).then(pl.col("body")).alias("body"))
    ids, id_reasons = _article_ids(keys)
    parsed = parsed.with_columns(pl.Series("article_id", ids, dtype=pl.String),
                                 pl.Series("failure", id_reasons, dtype=pl.String))
    failures = pl.concat([
        parse_failures.rename({"reason": "failure"}),
        parsed.filter(pl.col("failure").is_not_null()).select("source_path", "failure"),
    ])
    parsed = parsed.filter(pl.col("failure").is_null()).drop("failure")
    empty_body = parsed.filter(pl.col("body").fill_null("").str.strip_chars().str.len_chars() == 0)
    parsed = parsed.filter(pl.col("body").fill_null("").str.strip_chars().str.len_chars() > 0)
    article_columns = [c for c in ARTICLE_COLUMNS if c not in ("source_path", "content_sha256")]
    joined = readable.drop("text").join(parsed.select(["source_path", *article_columns]), on="source_path", how="left")
    joined = joined.join(failures, on="source_path", how="left").with_columns(
        pl.when(pl.col("failure").is_not_null()).then(pl.col("failure"))
        .when(pl.col("source_path").is_in(empty_body["source_path"].implode()))
        .then(pl.lit("no article text after the header"))
        .otherwise(pl.col("reason")).alias("reason")
    ).drop("failure")
    quarantined = documents.filter(pl.col("reason").is_not_null()).drop("text")
    return pl.concat([joined, quarantined], how="diagonal_relaxed")


@dataclass(frozen=True)
class BatchPlan:
    source_files: pl.DataFrame      # rows to upsert into source_files, keyed by (source_path, content_sha256)
    articles: pl.DataFrame          # live article versions to upsert (delete + insert by article_id)
    retired_article_ids: list[str]  # articles with no live file left (their rows are deleted)


def plan_batch(parsed: pl.DataFrame, manifest: pl.DataFrame, live_articles: pl.DataFrame, now) -> BatchPlan:
    """Decide the status of every document in the batch against the warehouse.

    - unreadable → quarantined; same bytes as a live file elsewhere → duplicate;
    - several versions of one article (same path changed, or a re-scrape elsewhere) → the newest
      (latest `updated_at`, then the batch over what is stored) is ingested, the others superseded."""
    manifest = manifest.select(SOURCE_FILE_COLUMNS)
    first_seen = manifest.group_by("source_path", "content_sha256").agg(pl.col("first_seen_at").min())
    batch = parsed.join(first_seen, on=["source_path", "content_sha256"], how="left").with_columns(
        pl.col("first_seen_at").fill_null(pl.lit(now).cast(pl.Datetime("us", "UTC"))),
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("last_seen_at"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("missing_since"),
    )
    quarantined = batch.filter(pl.col("reason").is_not_null()).with_columns(
        pl.lit("quarantined").alias("status"), pl.lit(None, pl.String).alias("article_id"))
    readable = batch.filter(pl.col("reason").is_null())

    # Exact duplicates: the first path (stored live files first, then batch order) owns the bytes.
    stored_owners = manifest.filter(pl.col("status") == "ingested").select(
        "content_sha256", pl.col("source_path").alias("owner_path"), pl.col("article_id").alias("owner_article"))
    readable = readable.with_row_index("batch_order").join(stored_owners, on="content_sha256", how="left")
    batch_owner = readable.sort("batch_order").group_by("content_sha256", maintain_order=True).agg(
        pl.col("source_path").first().alias("batch_owner_path"), pl.col("article_id").first().alias("batch_owner_article"))
    readable = readable.join(batch_owner, on="content_sha256", how="left").with_columns(
        pl.coalesce("owner_path", "batch_owner_path").alias("owner_path"),
        pl.coalesce("owner_article", "batch_owner_article").alias("owner_article"),
    )
    is_duplicate = pl.col("owner_path") != pl.col("source_path")
    duplicates = readable.filter(is_duplicate).with_columns(
        pl.lit("duplicate").alias("status"),
        pl.col("owner_article").alias("article_id"),
        (pl.lit("same content as ") + pl.col("owner_path")).alias("reason"),
    )
    candidates = readable.filter(~is_duplicate)

    # Versions of one article compete: batch candidates and the stored live version.
    stored_versions = live_articles.select(
        "article_id", "source_path", "content_sha256", "updated_at", pl.lit(False).alias("from_batch"))
    versions = pl.concat([
        candidates.select("article_id", "source_path", "content_sha256", "updated_at", pl.lit(True).alias("from_batch")),
        stored_versions.filter(pl.col("article_id").is_in(candidates["article_id"].implode())),
    ], how="vertical_relaxed").sort(
        [pl.col("updated_at").is_null(), "updated_at", "from_batch", "source_path"],
        descending=[False, True, True, False], nulls_last=True)
    winners = versions.group_by("article_id", maintain_order=True).first().select(
        "article_id", pl.col("source_path").alias("live_path"), pl.col("content_sha256").alias("live_sha"))
    candidates = candidates.join(winners, on="article_id", how="left")
    won = (pl.col("live_path") == pl.col("source_path")) & (pl.col("live_sha") == pl.col("content_sha256"))
    candidates = candidates.with_columns(
        pl.when(won).then(pl.lit("ingested")).otherwise(pl.lit("superseded")).alias("status"),
        pl.when(won).then(pl.lit(None, pl.String))
        .otherwise(pl.lit("older version of the article now read from ") + pl.col("live_path")).alias("reason"),
    )

    # Stored files that lose: a changed file's old bytes, or a stored version beaten by the batch.
    batch_paths = candidates["source_path"].implode()
    changed_away = manifest.filter(
        (pl.col("status") == "ingested") & pl.col("source_path").is_in(batch_paths)
        & ~pl.col("content_sha256").is_in(candidates["content_sha256"].implode())
    ).with_columns(pl.lit("superseded").alias("status"), pl.lit("file content changed").alias("reason"))
    beaten = manifest.filter(pl.col("status") == "ingested").join(
        winners, on="article_id", how="inner").filter(
        (pl.col("live_path") != pl.col("source_path")) | (pl.col("live_sha") != pl.col("content_sha256"))
    ).with_columns(pl.lit("superseded").alias("status"),
                   (pl.lit("older version of the article now read from ") + pl.col("live_path")).alias("reason")
    ).select(SOURCE_FILE_COLUMNS)
    # A quarantine recorded for bytes that are no longer on disk (the file was fixed, or a refused entry became a
    # file) is over: the old row is superseded, so `kronika status` lists only what is quarantined now.
    stale_quarantine = manifest.filter(
        (pl.col("status") == "quarantined") & pl.col("source_path").is_in(batch["source_path"].implode())
    ).join(batch.select("source_path", "content_sha256"), on=["source_path", "content_sha256"], how="anti",
           nulls_equal=True).with_columns(
        pl.lit("superseded").alias("status"), pl.lit("file content changed").alias("reason"))
    # A changed file's old bytes say so, even when the new bytes are also the article's newer version.
    stored_updates = pl.concat([beaten, changed_away.select(SOURCE_FILE_COLUMNS),
                                stale_quarantine.select(SOURCE_FILE_COLUMNS)], how="vertical_relaxed").unique(
        ["source_path", "content_sha256"], keep="last", maintain_order=True)

    source_rows = pl.concat([
        frame.select(SOURCE_FILE_COLUMNS) for frame in (quarantined, duplicates, candidates)
    ] + [stored_updates], how="vertical_relaxed")

    live_ids = set(candidates.filter(pl.col("status") == "ingested")["article_id"].to_list())
    retired = set(changed_away["article_id"].drop_nulls().to_list()) - live_ids
    articles = candidates.filter(pl.col("status") == "ingested").select(ARTICLE_COLUMNS)
    return BatchPlan(source_files=source_rows, articles=articles, retired_article_ids=sorted(retired))


def exclude_failed_articles(plan: BatchPlan, failures: pl.DataFrame, manifest: pl.DataFrame,
                            live_articles: pl.DataFrame) -> BatchPlan:
    """The plan without the articles whose extraction failed (failures: article_id, reason).

    Their files in this batch become `quarantined` with the reason; a stored live version of such an article
    that this batch would have superseded keeps its status and rows (nothing is lost); a stored article that
    failed re-extraction under new rules is retired and its files quarantined, so the next run does not retry it
    until its file changes. Called only when something failed: the happy path never pays for it."""
    failed = failures.unique("article_id", keep="first", maintain_order=True)
    if not failed.height:
        return plan
    failed_ids = failed["article_id"].implode()
    rows = plan.source_files.join(failed.rename({"reason": "failure"}), on="article_id", how="left")
    stored_live = manifest.filter(pl.col("status") == "ingested").select(
        "source_path", "content_sha256", pl.lit(True).alias("stored_live"))
    rows = rows.join(stored_live, on=["source_path", "content_sha256"], how="left")
    # A stored version this batch would have beaten keeps its row as it is (dropped from the upsert).
    kept_stored = (pl.col("failure").is_not_null() & pl.col("stored_live").fill_null(False)
                   & (pl.col("status") == "superseded") & (pl.col("reason") != "file content changed"))
    takes_failure = pl.col("failure").is_not_null() & pl.col("status").is_in(["ingested", "duplicate"])
    rows = rows.filter(~kept_stored).with_columns(
        pl.when(takes_failure).then(pl.lit("quarantined")).otherwise(pl.col("status")).alias("status"),
        pl.when(takes_failure).then(pl.col("failure")).otherwise(pl.col("reason")).alias("reason"),
        pl.when(takes_failure).then(pl.lit(None, pl.String)).otherwise(pl.col("article_id")).alias("article_id"),
    ).select(SOURCE_FILE_COLUMNS)
    # Stored files of failed articles the batch did not touch (re-extraction under new rules) are quarantined too.
    planned_keys = plan.source_files.select("source_path", "content_sha256")  # what the plan touched, kept or not
    stored_rows = manifest.select(SOURCE_FILE_COLUMNS).filter(
        pl.col("article_id").is_in(failed_ids) & pl.col("status").is_in(["ingested", "duplicate"])
    ).join(planned_keys, on=["source_path", "content_sha256"], how="anti").join(
        failed.rename({"reason": "failure"}), on="article_id", how="left"
    ).with_columns(pl.lit("quarantined").alias("status"), pl.col("failure").alias("reason"),
                   pl.lit(None, pl.String).alias("article_id")).select(SOURCE_FILE_COLUMNS)
    rows = pl.concat([rows, stored_rows], how="vertical_relaxed")
    # A failed article stays only where its stored live file is still ingested after this plan.
    still_live = live_articles.filter(pl.col("article_id").is_in(failed_ids)).join(
        manifest.filter(pl.col("status") == "ingested").select("source_path", "content_sha256"),
        on=["source_path", "content_sha256"], how="semi",
    ).join(rows.filter(pl.col("status") != "ingested").select("source_path", "content_sha256"),
           on=["source_path", "content_sha256"], how="anti")
    retired = set(failed["article_id"].to_list()) - set(still_live["article_id"].to_list())
    return BatchPlan(
        source_files=rows,
        articles=plan.articles.filter(~pl.col("article_id").is_in(failed_ids)),
        retired_article_ids=sorted(set(plan.retired_article_ids) | retired),
    )


@dataclass(frozen=True)
class PendingChanges:
    files: pl.DataFrame     # source_path, size_bytes, mtime_ns, change ('new' | 'changed')
    missing: list[str]      # paths in the warehouse that are no longer on disk
    refused: pl.DataFrame   # source_path, reason: files discovery refused, not yet recorded


def _manifest_by_file(manifest: pl.DataFrame) -> pl.DataFrame:
    """The latest known version of each file on disk (JSON Lines records fold into their file)."""
    return (
        manifest.with_columns(pl.col("source_path").str.replace(r"#\d+$", "").alias("file_path"))
        .sort("last_seen_at")
        .group_by("file_path").last()
        .select(pl.col("file_path").alias("source_path"), "size_bytes", "mtime_ns", "content_sha256")
    )


def pending_changes(raw_dir: Path, manifest: pl.DataFrame) -> PendingChanges:
    """What a run must ingest: the one discovery function behind the asset, the sensor and the schedule."""
    files, refused = scan_raw_dir(raw_dir)
    planned = plan_changes(files, _manifest_by_file(manifest))
    known_missing = manifest.filter(pl.col("missing_since").is_not_null())["source_path"].str.replace(r"#\d+$", "")
    # A refused file (FIFO, unsupported suffix, link out of raw/) is still on disk: never missing, never purged.
    missing = planned.filter((pl.col("change") == "missing") & ~pl.col("source_path").is_in(known_missing.implode())
                             & ~pl.col("source_path").is_in(refused["source_path"].implode()))
    # A refusal marked missing by an older version is recorded again, which clears its missing_since.
    recorded = manifest.filter((pl.col("status") == "quarantined") & pl.col("missing_since").is_null()).select(
        "source_path", "reason")
    new_refusals = refused.join(recorded, on=["source_path", "reason"], how="anti")
    return PendingChanges(
        files=planned.filter(pl.col("change").is_in(["new", "changed"])).select(
            "source_path", "size_bytes", "mtime_ns", "change").sort("source_path"),
        missing=missing["source_path"].to_list(),
        refused=new_refusals,
    )


def batch_changes(raw_dir: Path, manifest: pl.DataFrame, paths: list[str], missing: list[str],
                  refused: pl.DataFrame) -> PendingChanges:
    """`pending_changes` for a batch a full scan found just before: only its files are looked at again (so a file
    changed or swapped since the scan is judged as it is now), a path reported missing counts only if it is still
    gone, and the scan's refusals are recorded as they were found."""
    files, refused_now = scan_paths(raw_dir, paths)
    planned = plan_changes(files, _manifest_by_file(manifest)).filter(pl.col("change") != "missing")
    still_missing = [path for path in missing if not os.path.lexists(os.path.join(raw_dir, path))]
    return PendingChanges(
        files=planned.filter(pl.col("change").is_in(["new", "changed"])).select(
            "source_path", "size_bytes", "mtime_ns", "change").sort("source_path"),
        missing=still_missing,
        refused=pl.concat([refused.select("source_path", "reason"), refused_now]).unique("source_path", keep="first")
        .sort("source_path"),
    )


def refused_documents(refused: pl.DataFrame) -> pl.DataFrame:
    """Discovery refusals (links out of raw/, unreadable entries) as documents that carry their reason."""
    return pl.DataFrame({
        "source_path": refused["source_path"], "content_sha256": None, "size_bytes": None, "mtime_ns": None,
        "encoding": None, "reason": refused["reason"], "text": None,
    }, schema=DOCUMENT_SCHEMA)
