"""The independent part of a batch: its files read, parsed and extracted into frames, without the warehouse.

`prepare_batch` runs in the writer's process or in a worker process (`pipelines.lib.workers`); the writer then
plans the batch against the warehouse and takes the prepared extraction of the articles its plan keeps."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from pipelines.lib.extraction_version import extraction_version
from pipelines.lib.extract import (
    article_texts, extract_article_figures, extract_entity_mentions, extract_sentences,
)
from pipelines.lib.gazetteer import Gazetteer, load_gazetteer
from pipelines.lib.ingest import ARTICLE_COLUMNS, parse_documents, plan_batch, read_documents
from pipelines.lib.isolation import restrict, run_isolated

KEY_COLUMNS = ["article_id", "content_sha256"]


@dataclass(frozen=True)
class Extracted:
    """The extraction of some articles; `failures` (article_id, reason) are the articles a stage set aside."""

    texts: pl.DataFrame
    sentences: pl.DataFrame
    mentions: pl.DataFrame
    figures: pl.DataFrame
    failures: pl.DataFrame


@dataclass(frozen=True)
class PreparedBatch:
    parsed: pl.DataFrame      # `parse_documents` of the batch's files: one row per document
    extracted_keys: pl.DataFrame  # article_id, content_sha256 of the article versions extracted below
    extraction: Extracted
    extraction_version: str   # of the rules that extracted it (a hand-over made by other rules is not used)


def extracted_texts(articles: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(texts, failures) of articles (article_id, title, body, body_language)."""
    return run_isolated("texts", articles, "article_id", article_texts)


def sentences_of(texts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return run_isolated("sentences", texts, "article_id", extract_sentences)


def mentions_of(texts: pl.DataFrame, sentences: pl.DataFrame,
                gazetteer: Gazetteer) -> tuple[pl.DataFrame, pl.DataFrame]:
    return run_isolated("entities", texts, "article_id", lambda part: extract_entity_mentions(
        part, restrict(sentences, part, texts, "article_id"), gazetteer))


def figures_of(texts: pl.DataFrame, sentences: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return run_isolated("figures", texts, "article_id", lambda part: extract_article_figures(
        part, restrict(sentences, part, texts, "article_id")))


def extract_isolated(articles: pl.DataFrame, gazetteer: Gazetteer | None = None) -> Extracted:
    """Every stage over the articles, each article that makes a stage raise set aside with its reason."""
    texts, text_failures = extracted_texts(articles)
    sentences, sentence_failures = sentences_of(texts)
    mentions, mention_failures = mentions_of(texts, sentences, gazetteer or load_gazetteer())
    figures, figure_failures = figures_of(texts, sentences)
    return Extracted(texts, sentences, mentions, figures,
                     pl.concat([text_failures, sentence_failures, mention_failures, figure_failures]))


def batch_candidates(parsed: pl.DataFrame) -> pl.DataFrame:
    """The articles the batch would ingest if the warehouse were empty: a superset of what the writer's plan keeps
    of this batch (stored files can only make more of its documents duplicates or older versions)."""
    manifest = pl.DataFrame(schema={
        "source_path": pl.String, "content_sha256": pl.String, "size_bytes": pl.Int64, "mtime_ns": pl.Int64,
        "status": pl.String, "article_id": pl.String, "encoding": pl.String, "reason": pl.String,
        "first_seen_at": pl.Datetime("us", "UTC"), "last_seen_at": pl.Datetime("us", "UTC"),
        "missing_since": pl.Datetime("us", "UTC")})
    live = pl.DataFrame(schema={"article_id": pl.String, "source_path": pl.String, "content_sha256": pl.String,
                                "updated_at": pl.Datetime("us", "UTC")})
    return plan_batch(parsed, manifest, live, datetime.now(timezone.utc)).articles.select(ARTICLE_COLUMNS)


def prepare_batch(raw_dir: Path, source_paths: list[str], *, max_file_bytes: int, timezone_name: str) -> PreparedBatch:
    """Read, decode, parse and extract one batch of files. Never raises for a broken file: it carries its reason."""
    documents = read_documents(raw_dir, source_paths, max_file_bytes=max_file_bytes)
    parsed = parse_documents(documents, timezone=timezone_name)
    candidates = batch_candidates(parsed)
    return PreparedBatch(parsed, candidates.select(KEY_COLUMNS),
                         extract_isolated(candidates.select("article_id", "title", "body", "body_language")),
                         extraction_version())


def take_prepared(parts: list[PreparedBatch], articles: pl.DataFrame) -> tuple[Extracted, pl.DataFrame]:
    """(the prepared extraction of the planned `articles`, the planned articles no part has extracted).

    An article counts as prepared only in the version the plan keeps (same id and bytes); when two parts hold it
    (the same bytes under two paths), the first part's rows are taken."""
    taken: list[Extracted] = []
    remaining = articles
    for part in parts:
        covered = remaining.join(part.extracted_keys, on=KEY_COLUMNS, how="semi").select("article_id")
        if not covered.height:
            continue
        remaining = remaining.join(covered, on="article_id", how="anti")
        taken.append(Extracted(*(getattr(part.extraction, field.name).join(covered, on="article_id", how="semi")
                                 for field in fields(Extracted))))
    if not taken:  # parts is never empty: a batch of no files is prepared too (it yields empty frames)
        taken = [Extracted(*(getattr(parts[0].extraction, field.name).clear() for field in fields(Extracted)))]
    return (Extracted(*(pl.concat([getattr(item, field.name) for item in taken], how="vertical_relaxed")
                        for field in fields(Extracted))), remaining)


def write_prepared(prepared: PreparedBatch, folder: Path) -> Path:
    """The batch's frames as uncompressed Arrow IPC files (read back without decoding)."""
    folder.mkdir(parents=True, exist_ok=True)
    prepared.parsed.write_ipc(folder / "parsed.arrow")
    prepared.extracted_keys.write_ipc(folder / "extracted_keys.arrow")
    (folder / "extraction_version").write_text(prepared.extraction_version)
    for field in fields(Extracted):
        getattr(prepared.extraction, field.name).write_ipc(folder / f"{field.name}.arrow")
    return folder


def read_prepared(folder: Path) -> PreparedBatch:
    def read(name: str) -> pl.DataFrame:
        return pl.read_ipc(folder / f"{name}.arrow")

    return PreparedBatch(read("parsed"), read("extracted_keys"),
                         Extracted(*(read(field.name) for field in fields(Extracted))),
                         (folder / "extraction_version").read_text())

