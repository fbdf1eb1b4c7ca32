"""Measure the metadata stage: CPU per 10,000 articles and language-detection accuracy.
Run: .venv/bin/python benchmarks/bench_metadata.py [n_articles] [corpus_dir from `kronika bench generate`]"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipelines.lib.language import detect_language, detect_language_langdetect_only, stopword_scores  # noqa: E402
from pipelines.lib.metadata import benchmark_parse  # noqa: E402

SNIPPETS = REPO / "tests" / "fixtures" / "language" / "snippets.tsv"


def load_snippets() -> pl.DataFrame:
    rows = [line.split("\t", 1) for line in SNIPPETS.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return pl.DataFrame({"language": [row[0] for row in rows], "text": [row[1] for row in rows]})


def language_accuracy() -> dict:
    """Accuracy of stop words alone, langdetect alone and the combined detector, per language."""
    snippets = load_snippets()
    texts = snippets["text"]
    started = time.process_time()
    combined = detect_language(texts)
    combined_seconds = time.process_time() - started
    started = time.process_time()
    langdetect_only = detect_language_langdetect_only(texts)
    langdetect_seconds = time.process_time() - started
    frame = snippets.with_columns(
        stopword_scores(texts)["stopword_language"].alias("stopwords"),
        combined.alias("combined"),
        langdetect_only.alias("langdetect"),
    )
    report = {}
    for language in ("sq", "en", "other"):
        subset = frame.filter(pl.col("language").is_in(["sq", "en"]).not_() if language == "other"
                              else pl.col("language") == language)
        total = subset.height
        report[language] = {
            "snippets": total,
            "stopwords_decided": subset["stopwords"].is_not_null().sum(),
            "stopwords_correct": (subset["stopwords"] == subset["language"]).sum(),
            "stopwords_wrong": ((subset["stopwords"] != subset["language"]) & subset["stopwords"].is_not_null()).sum(),
            "langdetect_correct": (subset["langdetect"] == subset["language"]).sum(),
            "combined_correct": (subset["combined"] == subset["language"]).sum(),
        }
    report["cpu_s_combined"] = round(combined_seconds, 3)
    report["cpu_s_langdetect_only"] = round(langdetect_seconds, 3)
    return report


def corpus_timings(corpus_dir: Path) -> dict:
    """read_documents, then parse_documents in one process and on every core, on a folder of articles."""
    from pipelines.lib import ingest
    from pipelines.lib.metadata import batch

    paths = sorted(str(path.relative_to(corpus_dir)) for path in corpus_dir.rglob("*.txt"))
    ingest.parse_documents(ingest.read_documents(corpus_dir, paths[:50], max_file_bytes=5_000_000),
                           timezone="Europe/Tirane")  # warm up: patterns, reference data, langdetect
    report = {"articles": len(paths)}
    cpu_started, wall_started = batch._cpu_seconds_with_children(), time.perf_counter()
    documents = ingest.read_documents(corpus_dir, paths, max_file_bytes=5_000_000)
    report["read_documents"] = {"cpu_s": round(batch._cpu_seconds_with_children() - cpu_started, 3),
                                "wall_s": round(time.perf_counter() - wall_started, 3)}
    automatic_threshold = batch.PARALLEL_MIN_ARTICLES
    for label, threshold in (("1_process", len(paths) + 1), ("all_cores", automatic_threshold)):
        batch.PARALLEL_MIN_ARTICLES = threshold  # parse_documents has no workers argument
        cpu_started, wall_started = batch._cpu_seconds_with_children(), time.perf_counter()
        ingest.parse_documents(documents, timezone="Europe/Tirane")
        report[f"parse_documents_{label}"] = {
            "cpu_s": round(batch._cpu_seconds_with_children() - cpu_started, 3),
            "wall_s": round(time.perf_counter() - wall_started, 3)}
    batch.PARALLEL_MIN_ARTICLES = automatic_threshold
    return report


def main() -> None:
    articles = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print("parse:", benchmark_parse(articles))
    if len(sys.argv) > 2:
        print("corpus:", corpus_timings(Path(sys.argv[2])))
    print("language:", language_accuracy())


if __name__ == "__main__":
    main()
