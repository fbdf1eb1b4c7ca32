"""Measure entity extraction throughput (MB/s of text, one core) with a gazetteer grown to ~10,000 aliases.
Run: POLARS_MAX_THREADS=1 .venv/bin/python benchmarks/bench_entities.py [--megabytes 50] [--aliases 10000] [--repeats 3]
[--corpus DIR]: instead, the real gazetteer on the pipeline texts of `kronika bench generate N --out DIR`."""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

from pipelines.lib.entities import TextBuffer, build_matcher, extract_mentions, raw_matches
from pipelines.lib.gazetteer import DEFAULT_DIRECTORY, GAZETTEER_COLUMNS, build_gazetteer, load_gazetteer

FILLER_EN = ("the talks on energy prices continued while officials said that a new agreement could follow "
             "however nobody expected quick results and the markets stayed calm during the week").split()
FILLER_SQ = ("bisedimet për çmimet e energjisë vazhduan ndërsa zyrtarët thanë se një marrëveshje e re mund "
             "të pasojë megjithatë askush nuk priste rezultate të shpejta dhe tregjet mbetën të qeta").split()
SYLLABLES = ["ka", "lo", "mir", "den", "sa", "vo", "tri", "ne", "ber", "ul", "go", "ran", "sti", "pe", "zo"]


def synthetic_person_lines(count: int, generator: random.Random) -> list[str]:
    """Invented people (two aliases each: full name and surname) to grow the gazetteer to benchmark size."""
    lines = []
    for index in range(count):
        first = "".join(generator.choices(SYLLABLES, k=2)).capitalize()
        last = "".join(generator.choices(SYLLABLES, k=3)).capitalize() + str(index)
        lines.append("\t".join([f"person:bench_{index}", "PERSON", f"{first} {last}", "", "", ""]))
    return lines


def grown_gazetteer_directory(alias_target: int, generator: random.Random) -> Path:
    directory = Path(tempfile.mkdtemp(prefix="kronika_bench_gazetteer_"))
    for path in DEFAULT_DIRECTORY.glob("*.tsv"):
        shutil.copy(path, directory / path.name)
    existing = build_gazetteer(directory).aliases.height
    # Each invented person brings a name, a surname and no folded spelling: two aliases.
    needed = max(0, (alias_target - existing) // 2)
    header = "\t".join(GAZETTEER_COLUMNS)
    (directory / "zz_bench.tsv").write_text(header + "\n" + "\n".join(synthetic_person_lines(needed, generator)) + "\n",
                                            encoding="utf-8")
    return directory


def synthetic_texts(megabytes: float, names: list[str], generator: random.Random, words_per_name: int) -> pl.DataFrame:
    """Articles of ~4 KB: filler words with a gazetteer name (possibly Albanian-inflected) every few words."""
    articles, total, index = [], 0, 0
    while total < megabytes * 1_000_000:
        language = "sq" if index % 2 else "en"
        filler = FILLER_SQ if language == "sq" else FILLER_EN
        words = []
        while sum(len(word) + 1 for word in words) < 4000:
            words += generator.choices(filler, k=words_per_name - 1)
            name = generator.choice(names)
            words.append(name + ("it" if language == "sq" and name[-1] not in "aeiouë" and generator.random() < 0.3 else ""))
        text = " ".join(words)
        articles.append((f"bench-{index}", "body", text, language))
        total += len(text.encode("utf-8"))
        index += 1
    return pl.DataFrame(articles, schema=["article_id", "field", "text", "language"], orient="row")


def pipeline_texts(corpus: Path) -> pl.DataFrame:
    """The titles and bodies the pipeline hands to `extract_mentions`, parsed once and cached as Parquet in the
    corpus directory (parsing is not what this benchmark times)."""
    cache = corpus / "entity_bench_texts.parquet"
    if cache.exists():
        return pl.read_parquet(cache)
    from pipelines.lib.extract import article_texts
    from pipelines.lib.ingest import parse_documents, read_documents

    paths = [str(path.relative_to(corpus)) for path in sorted(corpus.rglob("*.txt"))]
    documents = read_documents(corpus, paths, max_file_bytes=5_000_000)
    texts = article_texts(parse_documents(documents, timezone="Europe/Tirane"))
    texts.write_parquet(cache)
    return texts


def measure_corpus(corpus: Path, repeats: int) -> None:
    gazetteer = load_gazetteer()
    texts = pipeline_texts(corpus).rechunk()
    megabytes = texts["text"].str.len_bytes().sum() / 1_000_000
    print(f"corpus {corpus}: {texts['article_id'].n_unique()} articles, {texts.height} texts, {megabytes:.1f} MB")
    build_matcher(gazetteer)
    measure("extract_mentions (pipeline texts)", lambda: extract_mentions(texts, gazetteer), megabytes, repeats)


def measure(label: str, run, megabytes: float, repeats: int) -> float:
    """Print MB/s by CPU time (per core: on a shared machine wall time also counts the neighbours) and by wall
    time. Run with POLARS_MAX_THREADS=1 for a one-core figure; Polars may otherwise spread a step over cores."""
    cpu_timings, wall_timings = [], []
    for _ in range(repeats):
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        run()
        cpu_timings.append(time.process_time() - cpu_started)
        wall_timings.append(time.perf_counter() - wall_started)
    rate = megabytes / statistics.median(cpu_timings)
    print(f"{label:<46} {rate:8.1f} MB/s per core (CPU), {megabytes / statistics.median(wall_timings):6.1f} MB/s wall"
          f"  (median of {repeats}: {statistics.median(cpu_timings):.2f} s CPU)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=50.0)
    parser.add_argument("--aliases", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    # News prose names an entity roughly every 15-30 words; 12 is a dense worst case.
    parser.add_argument("--words-per-name", type=int, default=20)
    parser.add_argument("--corpus", type=Path, help="a directory written by `kronika bench generate N --out DIR`")
    arguments = parser.parse_args()
    if arguments.corpus:
        measure_corpus(arguments.corpus, arguments.repeats)
        return
    generator = random.Random(20251117)

    directory = grown_gazetteer_directory(arguments.aliases, generator)
    try:
        gazetteer = build_gazetteer(directory)
    finally:
        shutil.rmtree(directory)
    started = time.perf_counter()
    matcher = build_matcher(gazetteer)
    print(f"gazetteer: {gazetteer.entities.height} entities, {gazetteer.aliases.height} aliases, "
          f"{matcher.patterns.height} automaton patterns, built in {time.perf_counter() - started:.2f} s")

    texts = synthetic_texts(arguments.megabytes, gazetteer.aliases["alias"].to_list(), generator,
                            arguments.words_per_name)
    megabytes = texts["text"].str.len_bytes().sum() / 1_000_000
    print(f"corpus: {texts.height} articles, {megabytes:.1f} MB")

    measure("match only (automaton + word boundary)", lambda: raw_matches(TextBuffer.of(texts), matcher),
            megabytes, arguments.repeats)
    measure("extract_mentions (match, link, candidates)", lambda: extract_mentions(texts, gazetteer), megabytes,
            arguments.repeats)
    mentions = extract_mentions(texts, gazetteer)
    print(f"mentions: {mentions.height} ({mentions['linked'].sum()} linked)")


if __name__ == "__main__":
    main()
