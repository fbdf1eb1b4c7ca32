"""Batch planning: duplicates, changed files, re-scrapes and quarantine decide each file's status."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from pipelines.lib.ingest import (
    SOURCE_FILE_COLUMNS, article_id_for, parse_documents, pending_changes, plan_batch, read_documents,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)

ARTICLE = """Kosovo and Serbia resume talks in Brussels
Published March 2, 2026 10:05 AM
By Jane Doe - Reuters

Albin Kurti and Aleksandar Vučić met in Brussels on Monday for the first time in months.
The European Union said the talks were constructive.
"""

REVISED = ARTICLE.replace("Published March 2, 2026 10:05 AM",
                          "Published March 2, 2026 10:05 AM\nUpdated: March 3, 2026 09:00 AM").replace(
    "constructive.", "constructive and would continue in April.")


def empty_manifest() -> pl.DataFrame:
    schema = {"source_path": pl.String, "content_sha256": pl.String, "size_bytes": pl.Int64, "mtime_ns": pl.Int64,
              "status": pl.String, "article_id": pl.String, "encoding": pl.String, "reason": pl.String,
              "first_seen_at": pl.Datetime("us", "UTC"), "last_seen_at": pl.Datetime("us", "UTC"),
              "missing_since": pl.Datetime("us", "UTC")}
    return pl.DataFrame(schema=schema)


def no_live_articles() -> pl.DataFrame:
    return pl.DataFrame(schema={"article_id": pl.String, "source_path": pl.String, "content_sha256": pl.String,
                                "updated_at": pl.Datetime("us", "UTC")})


def parsed_batch(raw_dir: Path, files: dict[str, bytes]) -> pl.DataFrame:
    for name, content in files.items():
        path = raw_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    documents = read_documents(raw_dir, sorted(files), max_file_bytes=5_000_000)
    return parse_documents(documents, timezone="Europe/Tirane")


def statuses(plan) -> dict[str, str]:
    return dict(plan.source_files.select("source_path", "status").iter_rows())


def test_new_files_are_ingested_and_identical_copies_are_duplicates(tmp_path):
    parsed = parsed_batch(tmp_path, {"a.txt": ARTICLE.encode(), "copy of a.txt": ARTICLE.encode()})
    plan = plan_batch(parsed, empty_manifest(), no_live_articles(), NOW)
    assert statuses(plan) == {"a.txt": "ingested", "copy of a.txt": "duplicate"}
    assert plan.articles.height == 1
    duplicate = plan.source_files.filter(pl.col("source_path") == "copy of a.txt").row(0, named=True)
    assert duplicate["reason"] == "same content as a.txt"
    assert duplicate["article_id"] == plan.articles["article_id"][0]


def test_unusable_files_are_quarantined_with_a_reason(tmp_path):
    parsed = parsed_batch(tmp_path, {"empty.txt": b"", "a.txt": ARTICLE.encode()})
    plan = plan_batch(parsed, empty_manifest(), no_live_articles(), NOW)
    quarantined = plan.source_files.filter(pl.col("status") == "quarantined").row(0, named=True)
    assert quarantined["source_path"] == "empty.txt"
    assert "empty" in quarantined["reason"]
    assert plan.articles["source_path"].to_list() == ["a.txt"]


def test_rescrape_with_update_line_keeps_one_article_and_supersedes_the_older(tmp_path):
    parsed = parsed_batch(tmp_path, {"old.txt": ARTICLE.encode(), "new.txt": REVISED.encode()})
    plan = plan_batch(parsed, empty_manifest(), no_live_articles(), NOW)
    assert statuses(plan) == {"old.txt": "superseded", "new.txt": "ingested"}
    assert plan.articles.height == 1
    assert "April" in plan.articles["body"][0]


def stored_state(parsed: pl.DataFrame, plan) -> tuple[pl.DataFrame, pl.DataFrame]:
    manifest = plan.source_files.select(SOURCE_FILE_COLUMNS)
    live = plan.articles.select("article_id", "source_path", "content_sha256", "updated_at")
    return manifest, live


def test_changed_file_supersedes_its_old_version_without_adding_an_article(tmp_path):
    first = parsed_batch(tmp_path, {"a.txt": ARTICLE.encode()})
    manifest, live = stored_state(first, plan_batch(first, empty_manifest(), no_live_articles(), NOW))
    second = parsed_batch(tmp_path, {"a.txt": REVISED.encode()})
    plan = plan_batch(second, manifest, live, LATER)
    rows = plan.source_files.sort("status").select("source_path", "status", "reason").rows()
    assert rows == [("a.txt", "ingested", None), ("a.txt", "superseded", "file content changed")]
    assert plan.articles.height == 1
    assert plan.retired_article_ids == []  # same title, time and author: the same article, replaced


def test_changed_file_with_a_new_identity_retires_the_old_article(tmp_path):
    first = parsed_batch(tmp_path, {"a.txt": ARTICLE.encode()})
    first_plan = plan_batch(first, empty_manifest(), no_live_articles(), NOW)
    manifest, live = stored_state(first, first_plan)
    other = ARTICLE.replace("Kosovo and Serbia resume talks in Brussels", "A different story entirely")
    second = parsed_batch(tmp_path, {"a.txt": other.encode()})
    plan = plan_batch(second, manifest, live, LATER)
    assert plan.retired_article_ids == first_plan.articles["article_id"].to_list()


def test_stored_version_loses_to_a_newer_rescrape(tmp_path):
    first = parsed_batch(tmp_path, {"old.txt": ARTICLE.encode()})
    manifest, live = stored_state(first, plan_batch(first, empty_manifest(), no_live_articles(), NOW))
    second = parsed_batch(tmp_path, {"new.txt": REVISED.encode()})
    plan = plan_batch(second, manifest, live, LATER)
    assert statuses(plan) == {"new.txt": "ingested", "old.txt": "superseded"}


def test_first_seen_is_kept_for_a_known_file_version(tmp_path):
    first = parsed_batch(tmp_path, {"a.txt": ARTICLE.encode()})
    manifest, live = stored_state(first, plan_batch(first, empty_manifest(), no_live_articles(), NOW))
    plan = plan_batch(first, manifest, live, LATER)
    row = plan.source_files.filter(pl.col("status") == "ingested").row(0, named=True)
    assert row["first_seen_at"] == NOW and row["last_seen_at"] == LATER


def test_article_id_comes_from_content_not_file_name():
    published = datetime(2026, 3, 2, 9, 5, tzinfo=timezone.utc)
    same = article_id_for("Title", published, "Jane Doe", "body one")
    assert same == article_id_for("  title ", published, "jane doe", "body two")
    assert same != article_id_for("Title", published, "John Roe", "body one")
    assert article_id_for(None, None, None, "a  body") == article_id_for(None, None, None, "a body")


def test_pending_changes_sees_new_and_changed_files_and_missing_ones(tmp_path):
    parsed = parsed_batch(tmp_path, {"a.txt": ARTICLE.encode(), "b.txt": REVISED.encode()})
    plan = plan_batch(parsed, empty_manifest(), no_live_articles(), NOW)
    manifest = plan.source_files
    assert pending_changes(tmp_path, manifest).files.height == 0
    (tmp_path / "b.txt").unlink()
    (tmp_path / "a.txt").write_text(ARTICLE + "\nOne more line.\n")
    (tmp_path / "c.txt").write_text(ARTICLE.replace("Kosovo", "Albania"))
    pending = pending_changes(tmp_path, manifest)
    assert dict(pending.files.select("source_path", "change").iter_rows()) == {"a.txt": "changed", "c.txt": "new"}
    assert pending.missing == ["b.txt"]


def test_a_fixed_file_supersedes_its_old_quarantine(tmp_path):
    first = parsed_batch(tmp_path, {"a.txt": b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "b.txt": b""})
    manifest = plan_batch(first, empty_manifest(), no_live_articles(), NOW).source_files.select(SOURCE_FILE_COLUMNS)
    assert set(manifest["status"]) == {"quarantined"}
    second = parsed_batch(tmp_path, {"a.txt": ARTICLE.encode(), "b.txt": b""})
    plan = plan_batch(second, manifest, no_live_articles(), LATER)
    rows = sorted(plan.source_files.select("source_path", "status", "reason").rows(), key=str)
    assert rows == [("a.txt", "ingested", None), ("a.txt", "superseded", "file content changed"),
                    ("b.txt", "quarantined", "empty file (0 bytes)")]
