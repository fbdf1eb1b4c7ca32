"""A batch's independent part (read, parse, extract) prepared in parts, and the writer taking what its plan keeps."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl

from pipelines.lib.ingest import plan_batch
from pipelines.lib.prepare import prepare_batch, take_prepared
from tests.lib.test_ingest import ARTICLE, REVISED, empty_manifest

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
NO_LIVE_ARTICLES = pl.DataFrame(schema={"article_id": pl.String, "source_path": pl.String,
                                        "content_sha256": pl.String, "updated_at": pl.Datetime("us", "UTC")})


def test_the_writer_takes_each_kept_article_from_the_part_that_extracted_that_version(tmp_path):
    # Part one holds the article; part two the same bytes under another name and the revised version, which wins.
    (tmp_path / "a.txt").write_text(ARTICLE)
    (tmp_path / "b.txt").write_text(ARTICLE)
    (tmp_path / "c.txt").write_text(REVISED)
    parts = [prepare_batch(tmp_path, ["a.txt"], max_file_bytes=1_000_000, timezone_name="Europe/Tirane"),
             prepare_batch(tmp_path, ["b.txt", "c.txt"], max_file_bytes=1_000_000, timezone_name="Europe/Tirane")]
    assert parts[1].extracted_keys.height == 1  # c.txt: b.txt is the same article in an older version

    plan = plan_batch(pl.concat([part.parsed for part in parts]), empty_manifest(), NO_LIVE_ARTICLES, NOW)
    taken, remaining = take_prepared(parts, plan.articles)

    assert plan.articles["source_path"].to_list() == ["c.txt"]
    assert remaining.height == 0
    body = taken.texts.filter(pl.col("field") == "body")["text"].to_list()
    assert len(body) == 1 and "would continue in April" in body[0]
    assert taken.sentences.height > 0 and taken.mentions.height > 0
    assert set(taken.sentences["article_id"]) == set(plan.articles["article_id"])


def test_a_kept_version_no_part_extracted_is_left_to_the_writer(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE)
    parts = [prepare_batch(tmp_path, ["a.txt"], max_file_bytes=1_000_000, timezone_name="Europe/Tirane")]
    plan = plan_batch(parts[0].parsed, empty_manifest(), NO_LIVE_ARTICLES, NOW)
    other_bytes = plan.articles.with_columns(pl.lit("0" * 64).alias("content_sha256"))

    taken, remaining = take_prepared(parts, other_bytes)

    assert remaining["article_id"].to_list() == plan.articles["article_id"].to_list()
    assert taken.texts.height == taken.sentences.height == taken.mentions.height == 0
