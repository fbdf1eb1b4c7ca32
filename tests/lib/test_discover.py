"""Tests for pipelines.lib.discover: scanning raw/, change planning, hashing, JSON Lines records."""

import hashlib
import json
import os
from pathlib import Path

import polars as pl
import pytest

from pipelines.lib.discover import (
    SUPPORTED_SUFFIXES,
    hash_files,
    jsonl_record_to_text,
    plan_changes,
    read_jsonl_records,
    scan_raw_dir,
    stable_files,
)

ARTICLE = "Titulli\n\nShqipëria dhe Kosova: çështja është e vështirë.\n".encode()


def write(path: Path, content: bytes = ARTICLE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def refusal_reasons(refused: pl.DataFrame) -> dict[str, str]:
    return dict(zip(refused["source_path"], refused["reason"]))


def test_scan_lists_nested_files_with_posix_paths_sizes_and_mtimes(tmp_path):
    write(tmp_path / "a.txt")
    write(tmp_path / "2026" / "02" / "b.md", b"# Titull\n\nTrup.")
    write(tmp_path / "batch.jsonl", b'{"title": "x"}\n')
    files, refused = scan_raw_dir(tmp_path)
    assert files["source_path"].to_list() == ["2026/02/b.md", "a.txt", "batch.jsonl"]
    assert files.schema == pl.Schema({"source_path": pl.String, "size_bytes": pl.Int64, "mtime_ns": pl.Int64})
    nested = tmp_path / "2026" / "02" / "b.md"
    row = files.filter(pl.col("source_path") == "2026/02/b.md").row(0, named=True)
    assert row["size_bytes"] == nested.stat().st_size
    assert row["mtime_ns"] == nested.stat().st_mtime_ns
    assert refused.height == 0


def test_files_being_written_and_hidden_files_are_skipped_silently(tmp_path):
    write(tmp_path / "kept.txt")
    for name in ("download.part", "download.txt.crdownload", "article.tmp", "article.txt~", ".hidden.txt", "UPPER.TMP"):
        write(tmp_path / name)
    write(tmp_path / ".git" / "inside.txt")
    files, refused = scan_raw_dir(tmp_path)
    assert files["source_path"].to_list() == ["kept.txt"]
    assert refused.height == 0


def test_unsupported_file_types_are_refused_with_the_supported_list(tmp_path):
    write(tmp_path / "report.pdf", b"%PDF-1.4")
    write(tmp_path / "README", b"notes")
    write(tmp_path / "Article.TXT")
    files, refused = scan_raw_dir(tmp_path)
    assert files["source_path"].to_list() == ["Article.TXT"]
    reasons = refusal_reasons(refused)
    assert reasons["report.pdf"].startswith("unsupported file type ('.pdf')")
    assert reasons["README"].startswith("unsupported file type (no suffix)")
    assert all(suffix in reasons["report.pdf"] for suffix in SUPPORTED_SUFFIXES)


def test_symlink_pointing_outside_raw_dir_is_refused(tmp_path):
    raw_dir = tmp_path / "raw"
    secret = write(tmp_path / "outside" / "secret.txt")
    raw_dir.mkdir()
    (raw_dir / "link.txt").symlink_to(secret)
    (raw_dir / "relative_escape.txt").symlink_to(Path("..") / "outside" / "secret.txt")
    files, refused = scan_raw_dir(raw_dir)
    assert files.height == 0
    reasons = refusal_reasons(refused)
    assert reasons["link.txt"] == f"symlink points outside raw_dir (to {secret.resolve()})"
    assert reasons["relative_escape.txt"].startswith("symlink points outside raw_dir")


def test_symlink_to_a_file_inside_raw_dir_is_kept_with_the_target_size(tmp_path):
    target = write(tmp_path / "real" / "article.txt")
    (tmp_path / "alias.txt").symlink_to(target)
    files, refused = scan_raw_dir(tmp_path)
    assert files["source_path"].to_list() == ["alias.txt", "real/article.txt"]
    assert files["size_bytes"].to_list() == [len(ARTICLE), len(ARTICLE)]
    assert refused.height == 0


def test_symlinked_directory_is_not_walked_twice_or_into_a_loop(tmp_path):
    write(tmp_path / "real" / "article.txt")
    (tmp_path / "again").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "loop").symlink_to(tmp_path, target_is_directory=True)
    files, refused = scan_raw_dir(tmp_path)
    assert files["source_path"].to_list() == ["real/article.txt"]
    assert refused.height == 0


def test_entries_that_cannot_be_read_are_refused_even_for_root(tmp_path):
    # chmod 000 does not stop root, so unreadable entries are made in ways that fail for everyone.
    write(tmp_path / "good.txt")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "deleted.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    files, refused = scan_raw_dir(tmp_path)
    assert files["source_path"].to_list() == ["good.txt"]
    reasons = refusal_reasons(refused)
    assert reasons["dangling.txt"] == "broken symlink (its target does not exist)"
    assert reasons["pipe.txt"] == "not a regular file: a named pipe (FIFO)"


def test_odd_file_names_are_stored_as_data(tmp_path):
    names = ["with space.txt", "Shqipëria – çështja „lajme“.txt", "line\nbreak.txt", "a..b.txt", "-leading-dash.md"]
    for name in names:
        write(tmp_path / name)
    write(tmp_path / "dir with space" / "ëndrra.txt")
    files, refused = scan_raw_dir(tmp_path)
    assert sorted(files["source_path"].to_list()) == sorted([*names, "dir with space/ëndrra.txt"])
    assert refused.height == 0
    hashed = hash_files(tmp_path, files["source_path"].to_list())
    assert hashed["content_sha256"].to_list() == [hashlib.sha256(ARTICLE).hexdigest()] * len(hashed)


def test_file_name_that_is_not_utf8_is_refused_with_an_escaped_name(tmp_path):
    write(tmp_path / "fine.txt")
    descriptor = os.open(os.fsencode(tmp_path) + b"/Tiran\xeb.txt", os.O_WRONLY | os.O_CREAT)
    os.close(descriptor)
    files, refused = scan_raw_dir(tmp_path)
    assert files["source_path"].to_list() == ["fine.txt"]
    assert refusal_reasons(refused) == {"Tiran\\xeb.txt": "file name is not valid UTF-8"}


def test_ten_thousand_files_are_scanned_and_plan_as_unchanged(tmp_path):
    for index in range(10_000):
        write(tmp_path / f"{index % 50:02d}" / f"article_{index:05d}.txt", f"Artikulli {index}".encode())
    files, refused = scan_raw_dir(tmp_path)
    assert files.height == 10_000
    assert refused.height == 0
    assert files["source_path"].n_unique() == 10_000
    assert files["size_bytes"].sum() == sum(len(f"Artikulli {index}".encode()) for index in range(10_000))
    manifest = files.with_columns(pl.lit("0" * 64).alias("content_sha256"))
    planned = plan_changes(files, manifest)
    assert planned["change"].unique().to_list() == ["unchanged"]


def manifest_of(rows: list[tuple[str, int, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"source_path": pl.String, "size_bytes": pl.Int64, "mtime_ns": pl.Int64, "content_sha256": pl.String}, orient="row")


def test_plan_changes_marks_new_changed_unchanged_and_missing():
    files = pl.DataFrame(
        {"source_path": ["new.txt", "same.txt", "grown.txt", "touched.txt"], "size_bytes": [1, 2, 30, 4], "mtime_ns": [10, 20, 30, 41]},
        schema={"source_path": pl.String, "size_bytes": pl.Int64, "mtime_ns": pl.Int64},
    )
    manifest = manifest_of([
        ("same.txt", 2, 20, "hash-same"),
        ("grown.txt", 3, 30, "hash-grown"),
        ("touched.txt", 4, 40, "hash-touched"),
        ("gone.txt", 5, 50, "hash-gone"),
    ])
    planned = plan_changes(files, manifest)
    by_path = {row["source_path"]: row for row in planned.iter_rows(named=True)}
    assert {path: row["change"] for path, row in by_path.items()} == {
        "new.txt": "new", "same.txt": "unchanged", "grown.txt": "changed", "touched.txt": "changed", "gone.txt": "missing",
    }
    assert by_path["same.txt"]["content_sha256"] == "hash-same"
    assert by_path["grown.txt"]["content_sha256"] is None
    assert by_path["new.txt"]["content_sha256"] is None
    assert (by_path["gone.txt"]["size_bytes"], by_path["gone.txt"]["mtime_ns"], by_path["gone.txt"]["content_sha256"]) == (5, 50, "hash-gone")
    assert planned.columns == ["source_path", "size_bytes", "mtime_ns", "content_sha256", "change"]


def test_plan_changes_with_an_empty_manifest_calls_everything_new(tmp_path):
    write(tmp_path / "a.txt")
    write(tmp_path / "b.txt")
    files, _ = scan_raw_dir(tmp_path)
    for empty_manifest in (pl.DataFrame(), manifest_of([])):
        assert plan_changes(files, empty_manifest)["change"].to_list() == ["new", "new"]


def test_plan_changes_prefers_the_manifest_version_matching_the_disk():
    files = pl.DataFrame({"source_path": ["a.txt"], "size_bytes": [7], "mtime_ns": [70]})
    manifest = manifest_of([("a.txt", 5, 50, "old-version"), ("a.txt", 7, 70, "current-version")])
    planned = plan_changes(files, manifest)
    assert planned.rows() == [("a.txt", 7, 70, "current-version", "unchanged")]


def test_plan_changes_rejects_a_manifest_without_its_columns():
    files = pl.DataFrame({"source_path": ["a.txt"], "size_bytes": [7], "mtime_ns": [70]})
    with pytest.raises(ValueError, match="manifest lacks columns"):
        plan_changes(files, pl.DataFrame({"source_path": ["a.txt"]}))


def test_a_growing_file_waits_until_two_scans_agree(tmp_path):
    write(tmp_path / "done.txt")
    growing = write(tmp_path / "growing.txt", b"first half")
    first, _ = scan_raw_dir(tmp_path)
    with growing.open("ab") as handle:
        handle.write(b" and the second half")
    write(tmp_path / "arrived.txt")
    second, _ = scan_raw_dir(tmp_path)
    assert stable_files(first, second)["source_path"].to_list() == ["done.txt"]
    third, _ = scan_raw_dir(tmp_path)
    assert stable_files(second, third)["source_path"].to_list() == ["arrived.txt", "done.txt", "growing.txt"]


def test_hash_files_streams_large_files_and_refuses_escapes(tmp_path):
    raw_dir = tmp_path / "raw"
    large_content = os.urandom(3 * 1024 * 1024 + 17)
    write(raw_dir / "large.txt", large_content)
    write(tmp_path / "outside.txt")
    hashed = hash_files(raw_dir, ["large.txt", "../outside.txt", "missing.txt"])
    rows = {row["source_path"]: row for row in hashed.iter_rows(named=True)}
    assert rows["large.txt"]["content_sha256"] == hashlib.sha256(large_content).hexdigest()
    assert rows["large.txt"]["hash_error"] is None
    assert rows["../outside.txt"] == {"source_path": "../outside.txt", "content_sha256": None, "hash_error": "path escapes raw_dir"}
    assert rows["missing.txt"]["content_sha256"] is None
    assert "no such file" in rows["missing.txt"]["hash_error"]


def test_read_jsonl_records_skips_and_reports_bad_lines():
    lines = [
        json.dumps({"title": "Lajmi i parë", "body": "Trupi ë ç"}, ensure_ascii=False),
        "{not json",
        "",
        "[1, 2, 3]",
        json.dumps({"title": "Second", "body": "Body"}),
    ]
    problems: list[str] = []
    records = read_jsonl_records(("\r\n".join(lines)).encode("utf-8"), problems=problems)
    assert [(record["title"], record["_line"]) for record in records] == [("Lajmi i parë", 1), ("Second", 5)]
    assert records[0]["body"] == "Trupi ë ç"
    assert len(problems) == 2
    assert problems[0].startswith("line 2: invalid JSON")
    assert problems[1] == "line 4: a JSON list, not an object"


def test_read_jsonl_records_of_an_empty_file_is_empty_with_a_problem():
    problems: list[str] = []
    assert read_jsonl_records(b"", problems=problems) == []
    assert problems == ["file: empty file (0 bytes)"]


def test_jsonl_record_renders_as_header_and_body():
    record = {
        "title": "Kurti dhe Vuçiç në Bruksel",
        "date": "2025-11-03T09:15:22+01:00",
        "section": "Politikë",
        "author": "Arta Hoxha",
        "outlet": "Gazeta Shqip",
        "body": "Paragrafi i parë.\r\n\r\nParagrafi i dytë.",
        "url": "https://example.invalid/a",
    }
    assert jsonl_record_to_text(record) == (
        "Kurti dhe Vuçiç në Bruksel\n2025-11-03T09:15:22+01:00\nPolitikë\nBy Arta Hoxha - Gazeta Shqip\n\n"
        "Paragrafi i parë.\n\nParagrafi i dytë."
    )


def test_jsonl_record_with_alternative_field_names_and_author_list():
    record = {"headline": "  Markets\nslip  ", "published_at": "2026-02-05", "authors": ["Jane Doe", "John Roe"], "text": "Body text."}
    assert jsonl_record_to_text(record) == "Markets slip\n2026-02-05\nBy Jane Doe, John Roe\n\nBody text."


def test_jsonl_record_without_header_fields_is_just_the_body():
    assert jsonl_record_to_text({"content": "Vetëm trupi."}) == "Vetëm trupi."
    assert jsonl_record_to_text({"title": "Only a title", "author": None}) == "Only a title\n\n"


def test_open_inside_never_follows_a_symlink_swapped_in_after_the_path_was_resolved(tmp_path, monkeypatch):
    from pipelines.lib import discover
    from pipelines.lib.discover import UnsafeFileError, open_inside, read_inside

    raw_dir, outside = tmp_path / "raw", tmp_path / "outside"
    (raw_dir / "folder").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (raw_dir / "file.txt").symlink_to(outside / "secret.txt")
    (raw_dir / "linked_folder").symlink_to(outside, target_is_directory=True)
    os.mkfifo(raw_dir / "pipe.txt")
    (raw_dir / "folder" / "ok.txt").write_text("fine")
    # The swap lands after resolution: realpath still sees the old, harmless paths.
    real_realpath = os.path.realpath
    monkeypatch.setattr(discover.os.path, "realpath",
                        lambda path: os.path.normpath(path) if str(path).startswith(str(raw_dir)) else real_realpath(path))
    for path in ("file.txt", "linked_folder/secret.txt"):
        with pytest.raises(UnsafeFileError, match="not followed"):
            open_inside(raw_dir, path)
    with pytest.raises(UnsafeFileError, match="named pipe"):
        open_inside(raw_dir, "pipe.txt")  # O_NONBLOCK: the open itself never waits for a writer
    assert read_inside(raw_dir, "folder/ok.txt", max_bytes=100)[0] == b"fine"
    assert read_inside(raw_dir, "folder/ok.txt", max_bytes=3)[0] is None
