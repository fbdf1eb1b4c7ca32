"""Stage isolation: the whole frame first, bisection only after a failure; failed articles leave the plan cleanly."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.lib.ingest import exclude_failed_articles, plan_batch
from pipelines.lib.isolation import failure_reason, run_isolated
from tests.lib.test_ingest import ARTICLE, LATER, NOW, REVISED, empty_manifest, no_live_articles, parsed_batch, \
    stored_state


def doubled(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns((pl.col("value") * 2).alias("doubled"))


def test_the_happy_path_runs_once_over_the_whole_frame():
    frame = pl.DataFrame({"article_id": [str(i) for i in range(100)], "value": list(range(100))})
    calls = []
    output, failures = run_isolated("double", frame, "article_id", lambda part: calls.append(part.height) or doubled(part))
    assert calls == [100]
    assert output["doubled"].to_list() == [2 * i for i in range(100)] and failures.height == 0


def test_bisection_finds_every_culprit_and_keeps_the_rest():
    frame = pl.DataFrame({"article_id": [str(i) for i in range(1000) for _ in range(3)],
                          "value": [i for i in range(1000) for _ in range(3)]})
    culprits = {"7", "500", "998"}

    def stage(part: pl.DataFrame) -> pl.DataFrame:
        bad = set(part["article_id"].to_list()) & culprits
        if bad:
            raise ValueError(f"no rule for {sorted(bad)[0]}\nsecond line")
        return doubled(part)

    output, failures = run_isolated("double", frame, "article_id", stage)
    assert set(failures["article_id"].to_list()) == culprits
    assert set(output["article_id"].to_list()) == {str(i) for i in range(1000)} - culprits
    assert output.height == 3 * (1000 - len(culprits))
    reason = dict(failures.iter_rows())["500"]
    assert reason == "double failed: ValueError: no rule for 500 second line"


def test_a_stage_that_fails_on_no_rows_is_a_bug_and_raises():
    frame = pl.DataFrame({"article_id": ["a", "b"], "value": [1, 2]})

    def broken(part: pl.DataFrame) -> pl.DataFrame:
        raise TypeError("always")

    with pytest.raises(TypeError):
        run_isolated("broken", frame, "article_id", broken)


def test_failure_reasons_are_one_bounded_line():
    reason = failure_reason("parse", ValueError("x" * 1000 + "\n\ttail"))
    assert reason.startswith("parse failed: ValueError: xxx") and "\n" not in reason and len(reason) < 400


def test_a_failed_newer_version_keeps_the_stored_one_live(tmp_path):
    first = parsed_batch(tmp_path, {"old.txt": ARTICLE.encode()})
    manifest, live = stored_state(first, plan_batch(first, empty_manifest(), no_live_articles(), NOW))
    second = parsed_batch(tmp_path, {"new.txt": REVISED.encode()})
    plan = plan_batch(second, manifest, live, LATER)
    article_id = plan.articles["article_id"][0]
    failures = pl.DataFrame({"article_id": [article_id], "reason": ["entities failed: RuntimeError: boom"]})
    kept = exclude_failed_articles(plan, failures, manifest, live)
    assert kept.source_files.select("source_path", "status", "reason").rows() == [
        ("new.txt", "quarantined", "entities failed: RuntimeError: boom")]  # old.txt keeps its stored row
    assert kept.articles.height == 0 and kept.retired_article_ids == []


def test_a_failed_new_article_and_a_failed_stored_one_are_quarantined_and_retired(tmp_path):
    first = parsed_batch(tmp_path, {"stored.txt": ARTICLE.encode()})
    first_plan = plan_batch(first, empty_manifest(), no_live_articles(), NOW)
    manifest, live = stored_state(first, first_plan)
    other = ARTICLE.replace("Kosovo and Serbia resume talks in Brussels", "A different story entirely")
    second = parsed_batch(tmp_path, {"new.txt": other.encode(), "copy.txt": other.encode()})
    plan = plan_batch(second, manifest, live, LATER)
    stored_id, new_id = first_plan.articles["article_id"][0], plan.articles["article_id"][0]
    failures = pl.DataFrame({"article_id": [new_id, stored_id], "reason": ["figures failed: A: a", "sentences failed: B: b"]})
    kept = exclude_failed_articles(plan, failures, manifest, live)
    assert sorted(kept.source_files.select("source_path", "status", "reason").rows()) == [
        ("copy.txt", "quarantined", "figures failed: A: a"), ("new.txt", "quarantined", "figures failed: A: a"),
        ("stored.txt", "quarantined", "sentences failed: B: b")]
    assert kept.articles.height == 0 and sorted(kept.retired_article_ids) == sorted([new_id, stored_id])
