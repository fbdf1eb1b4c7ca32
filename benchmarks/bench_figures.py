"""Benchmark figure extraction on a synthetic bilingual corpus or on pipeline texts of a generated corpus.
Run `python -m benchmarks.bench_figures [megabytes | corpus_dir]`; prints MB/s of text and articles per second."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import polars as pl

from pipelines.lib.figures import extract_figures

ENGLISH_SENTENCES = [
    "The ministry said the talks in Brussels would continue next week despite the objections of several members.",
    "Officials estimated that about 1,200 troops had been moved to the border since {year}.",
    "The fund lowered its growth forecast to {decimal} percent and warned that revenues had fallen by a quarter.",
    "The package is worth {int} billion euros, and a further ${int}m was promised for reconstruction.",
    "Prices rose from 20 to 30 percent in {month} {year}, while oil traded at $80 a barrel.",
    "Analysts in Washington and Kyiv argued that the ceasefire could hold only if both sides accepted monitoring.",
    "Nearly two thirds of respondents said the economy had doubled in size over the past ten years.",
]
ALBANIAN_SENTENCES = [
    "Ministria tha se bisedimet në Bruksel do të vazhdojnë javën e ardhshme pavarësisht kundërshtimeve.",
    "Sipas zyrtarëve, rreth {int} ushtarë janë zhvendosur drejt kufirit që nga viti {year}.",
    "FMN uli parashikimin e rritjes në {comma} për qind, ndërsa të ardhurat ranë me një të katërtën.",
    "Paketa vlen {comma} miliardë euro dhe qeveria premtoi edhe {int} milionë lekë për rindërtimin.",
    "Çmimet u rritën nga 20 në 30 për qind më {day} tetor {year}, ndërsa nafta kushtoi 80 dollarë për fuçi.",
    "Analistët në Tiranë dhe Prishtinë thanë se marrëveshja mund të mbahet vetëm me mbikëqyrje ndërkombëtare.",
    "Gati gjysma e të anketuarve thanë se çmimet janë dyfishuar gjatë tre viteve të fundit.",
]


def synthetic_articles(target_bytes: int, seed: int = 7) -> pl.DataFrame:
    """Articles of about 5 KB, half English and half Albanian, with figures in a third of sentences."""
    rng = random.Random(seed)
    rows, size = [], 0
    while size < target_bytes:
        language = "en" if len(rows) % 2 == 0 else "sq"
        pool = ENGLISH_SENTENCES if language == "en" else ALBANIAN_SENTENCES
        sentences = []
        for _ in range(40):
            sentences.append(
                rng.choice(pool).format(
                    year=rng.randint(1990, 2030),
                    int=rng.randint(2, 900),
                    decimal=f"{rng.randint(0, 9)}.{rng.randint(1, 9)}",
                    comma=f"{rng.randint(0, 9)},{rng.randint(1, 9)}",
                    month=rng.choice(["January", "March", "October"]),
                    day=rng.randint(1, 28),
                )
            )
        text = " ".join(sentences)
        rows.append((f"a{len(rows)}", "body", text, language))
        size += len(text.encode())
    return pl.DataFrame(rows, schema=["article_id", "field", "text", "language"], orient="row")


def pipeline_texts(corpus: Path) -> pl.DataFrame:
    """The titles and bodies the pipeline hands to `extract_figures`, from a directory written by
    `kronika bench generate N --out DIR` (parsed outside the timing)."""
    from pipelines.lib.extract import article_texts
    from pipelines.lib.ingest import parse_documents, read_documents

    paths = [str(path.relative_to(corpus)) for path in sorted(corpus.rglob("*.txt"))]
    documents = read_documents(corpus, paths, max_file_bytes=5_000_000)
    return article_texts(parse_documents(documents, timezone="Europe/Tirane"))


def main() -> None:
    argument = sys.argv[1] if len(sys.argv) > 1 else "20"
    if Path(argument).is_dir():
        articles = pipeline_texts(Path(argument))
    else:
        articles = synthetic_articles(int(float(argument) * 1e6))
    total_bytes = articles["text"].str.len_bytes().sum()
    extract_figures(articles.head(10))  # load reference data and compile patterns outside the timing
    timings, figures = [], None
    for _ in range(3):
        started = time.perf_counter()
        figures = extract_figures(articles)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    article_count = articles["article_id"].n_unique()
    print(
        f"{article_count} articles ({articles.height} texts), {total_bytes / 1e6:.1f} MB, {figures.height} figures: "
        f"best {best:.2f}s = {total_bytes / 1e6 / best:.1f} MB/s, {article_count / best:,.0f} articles/s "
        f"(runs: {', '.join(f'{t:.2f}' for t in timings)})"
    )


if __name__ == "__main__":
    main()
