"""Header parsing over a frame: `parse_articles` runs the per-article parser in one or more forked
processes and builds typed columns; `benchmark_parse` times it."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import polars as pl

from pipelines.lib.language import detect_language
from pipelines.lib.metadata.body import may_hold_inline_links
from pipelines.lib.metadata.structure import parse_article, parse_article_text

# Below this many articles one process parses the batch: forking and pickling cost more than they save.
PARALLEL_MIN_ARTICLES = 4000
# Processes for large batches when the caller does not say (e.g. 1 in a job that already runs one
# process per core); unset means every usable core.
WORKERS_ENVIRONMENT_VARIABLE = "KRONIKA_PARSE_WORKERS"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# A frame may say when each text was fetched (relative stamps are resolved against it): a `crawled_at`
# Datetime column, else `mtime_ns` (the file's modification time, as discovery reports it).
CRAWL_TIME_COLUMNS = ("crawled_at", "mtime_ns")
ROW_COLUMNS = ("title", "caption", "published_at", "published_precision", "updated_at", "author", "outlet",
               "section", "section_norm", "header_language", "body", "metadata_rules", "authors", "dateline_place")
TIME_COLUMNS = ("published_at", "updated_at")


def _epoch_microseconds(moment: datetime | None) -> int | None:
    # Integer arithmetic on the aware datetime: exact, and Polars casts Int64 to Datetime in one pass.
    return None if moment is None else (moment - _EPOCH) // timedelta(microseconds=1)


@lru_cache(maxsize=4096)
def _rules_json(rules: tuple[tuple[str, str], ...]) -> str:
    # Articles share a handful of rule combinations; each is serialised once.
    return json.dumps(dict(rules), sort_keys=True)


def _crawl_time(epoch_microseconds: int | None) -> datetime | None:
    return None if epoch_microseconds is None else _EPOCH + timedelta(microseconds=epoch_microseconds)


def _parse_rows(texts: list[str | None], inline_flags: list[bool], default_timezone: str,
                crawl_times: list[int | None] | None = None) -> list[tuple]:
    """Plain tuples (column order of ROW_COLUMNS), so a worker process returns them cheaply.
    crawl_times: epoch microseconds per text (None: unknown)."""
    rows = []
    crawl_times = crawl_times or [None] * len(texts)
    for text, inline_links, crawl_time in zip(texts, inline_flags, crawl_times):
        article = parse_article_text(text or "", default_timezone, inline_links=inline_links,
                                     crawled_at=_crawl_time(crawl_time))
        rows.append((
            article.title, article.caption, _epoch_microseconds(article.published_at),
            article.published_precision, _epoch_microseconds(article.updated_at), article.author,
            article.outlet, article.section, article.section_norm, article.header_language, article.body,
            _rules_json(tuple(sorted(article.metadata_rules.items()))), list(article.authors) or None,
            article.dateline_place,
        ))
    return rows


def _rows_frame(rows: list[tuple]) -> pl.DataFrame:
    columns = list(zip(*rows)) if rows else [[] for _ in ROW_COLUMNS]
    utc = pl.Datetime("us", "UTC")
    return pl.DataFrame([
        pl.Series(name, values, dtype=pl.Int64).cast(utc) if name in TIME_COLUMNS
        else pl.Series(name, values, dtype=pl.List(pl.String)) if name == "authors"
        else pl.Series(name, values, dtype=pl.String)
        for name, values in zip(ROW_COLUMNS, columns)
    ])


def crawl_times_of(frame: pl.DataFrame) -> list[int | None] | None:
    """Epoch microseconds of each row's crawl time, from `crawled_at` or `mtime_ns`; None when neither exists."""
    if "crawled_at" in frame.columns:  # a zone-less Datetime is taken as UTC
        return frame["crawled_at"].dt.epoch("us").to_list()
    if "mtime_ns" in frame.columns:
        return (frame["mtime_ns"].cast(pl.Int64) // 1000).to_list()
    return None


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_IN_FORKED_WORKER = False


def _mark_forked_worker() -> None:
    global _IN_FORKED_WORKER
    _IN_FORKED_WORKER = True


def default_workers() -> int:
    """One process unless KRONIKA_PARSE_WORKERS asks for more: on a loaded 2-core machine two forked
    workers did not pay (docs/metadata.md), and forking a process that runs Polars/DuckDB threads is fragile."""
    configured = os.environ.get(WORKERS_ENVIRONMENT_VARIABLE, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return 1


def can_fork_workers() -> bool:
    """Fork is cheap (the parent's loaded modules and compiled patterns are inherited); only on Linux,
    never from a daemonic process (it may not have children) nor from a worker (no nested pools)."""
    return (sys.platform.startswith("linux") and not multiprocessing.current_process().daemon
            and not _IN_FORKED_WORKER)


# The work of the running map_in_forked_workers call: a forked worker inherits it with the rest of
# the parent's memory, so the chunks are never pickled on the way out.
_INHERITED_WORK: tuple | None = None


def _run_inherited_chunk(index: int):
    function, chunks = _INHERITED_WORK
    return function(*chunks[index])


def map_in_forked_workers(function, chunks: list[tuple], workers: int) -> list:
    """function(*chunk) for every chunk: the first in this process, the others in forked workers.

    Workers read their chunk from the inherited memory (with 5,000 texts pickled as arguments the
    worker started 0.27 s late); only results are pickled back. function must return
    plain Python values: Polars' thread pool does not survive a fork, so a worker must not build
    frames. Falls back to this process when a worker cannot be started. Results keep the chunk order."""
    global _INHERITED_WORK
    if len(chunks) < 2 or workers < 2 or not can_fork_workers():
        return [function(*chunk) for chunk in chunks]
    _INHERITED_WORK = (function, chunks)
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks)) - 1,
                                 mp_context=multiprocessing.get_context("fork"),
                                 initializer=_mark_forked_worker) as pool:
            # submit() forks the workers, so they see _INHERITED_WORK as set above.
            futures = [pool.submit(_run_inherited_chunk, index) for index in range(1, len(chunks))]
            first = function(*chunks[0])
            return [first] + [future.result() for future in futures]
    except (OSError, BrokenProcessPool):
        return [function(*chunk) for chunk in chunks]
    finally:
        _INHERITED_WORK = None


def split_evenly(items: list, parts: int) -> list[list]:
    size = -(-len(items) // parts) if items else 0
    return [items[index:index + size] for index in range(0, len(items), size)] if size else [items]


def parse_articles(frame: pl.DataFrame, *, default_timezone: str = "Europe/Tirane",
                   workers: int | None = None) -> pl.DataFrame:
    """Add the parsed header columns, the cleaned body and body_language to a frame with `text`
    (and optionally `crawled_at` or `mtime_ns`, the time each text was fetched).

    workers: processes for the per-article Python step; None uses KRONIKA_PARSE_WORKERS or every usable
    core for batches of at least PARALLEL_MIN_ARTICLES articles, and one process below that."""
    texts = frame["text"]
    text_list = texts.to_list()
    inline_flags = may_hold_inline_links(texts).to_list()
    if workers is None:
        workers = default_workers() if len(text_list) >= PARALLEL_MIN_ARTICLES else 1
    workers = max(1, min(workers, len(text_list)))
    crawl_times = crawl_times_of(frame)
    chunks = list(zip(split_evenly(text_list, workers), split_evenly(inline_flags, workers),
                      [default_timezone] * workers,
                      split_evenly(crawl_times, workers) if crawl_times is not None else [None] * workers))
    rows = [row for chunk_rows in map_in_forked_workers(_parse_rows, chunks, workers) for row in chunk_rows]
    columns = _rows_frame(rows)
    columns = columns.with_columns(detect_language(columns["body"]).alias("body_language"))
    existing = [name for name in columns.columns if name in frame.columns]
    return pl.concat([frame.drop(existing), columns], how="horizontal")


def benchmark_parse(n: int = 10_000) -> dict:
    """CPU seconds to parse n synthetic articles in both languages (header + tail, no I/O);
    `parse_articles` in one process and on every usable core (CPU includes the workers)."""
    samples = [
        "Titulli i lajmit për zgjedhjet në Tiranë\n\n2025-10-17 20:51:01Pikëpamje SHKRUAR NGA ARDIAN ÇELA\n"
        "Kryeministri dhe presidenti\n\n" + ("Qeveria njoftoi sot se do të ketë ndryshime në buxhet. " * 60)
        + "\n\nLexo edhe\nTitulli tjetër\nShpërndaje",
        " date 2026-02-02 The policy of personal diplomacy has reached an impasse\n\n"
        + ("The government said on Monday that the budget will change next year. " * 60) + "\n\nVideo",
        "Markets rally after the vote\nBy Jane O'Brien and Carlos de la Vega - Reuters\n"
        "Published: October 17, 2025 8:51 PM | Updated: October 18, 2025 9:00 AM\n\n"
        + ("Stocks rose sharply on Friday as investors welcomed the result. " * 60),
    ]
    texts = [samples[index % len(samples)] for index in range(n)]
    parse_article(texts[0])  # load reference data and compile patterns outside the timing
    started = time.process_time()
    for text in texts:
        parse_article(text)
    header_seconds = time.process_time() - started
    frame = pl.DataFrame({"source_path": [f"{index}.txt" for index in range(n)], "text": texts})
    report = {"articles": n, "parse_article_cpu_s": round(header_seconds, 3),
              "cpu_s_per_10k_parse_article": round(header_seconds * 10_000 / n, 3)}
    for label, workers in (("1_process", 1), ("all_cores", usable_cores())):
        cpu_started, wall_started = _cpu_seconds_with_children(), time.perf_counter()
        parse_articles(frame, workers=workers)
        cpu_seconds = _cpu_seconds_with_children() - cpu_started
        report[f"parse_articles_{label}_cpu_s"] = round(cpu_seconds, 3)
        report[f"parse_articles_{label}_wall_s"] = round(time.perf_counter() - wall_started, 3)
        report[f"cpu_s_per_10k_parse_articles_{label}"] = round(cpu_seconds * 10_000 / n, 3)
    report["workers"] = usable_cores()
    return report


def _cpu_seconds_with_children() -> float:
    """User + system CPU of this process and of its finished workers."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
