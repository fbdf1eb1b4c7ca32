"""Measure sentence splitting throughput (MB/s of text) on a synthetic bilingual corpus.
Run: .venv/bin/python benchmarks/bench_sentences.py [--articles 20000] [--repeats 3]"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import polars as pl

from pipelines.lib.sentences import split_sentences

ENGLISH_SENTENCES = [
    "Mr. Smith met Dr. Jones in Washington on Jan. 5 to discuss the U.S. budget.",
    "The growth rate slowed to 0.8 percent, while inflation stayed near 3.5%.",
    "“We will not back down,” the minister said.",
    "Analysts at the International Energy Agency expect a surplus of 1.200 barrels a day, i.e. more than last year.",
    "Was it enough? Nobody in Brussels seemed to think so…",
    "J. D. Vance spoke after the meeting with Prof. Ettore Rossi and Gen. Mark Milley.",
]
ALBANIAN_SENTENCES = [
    "Kryeministri z. Rama tha se çështja e Kosovës është e vështirë.",
    "Sipas Bankës Botërore, ekonomia do të rritet me 3,4 për qind në vitin 2026.",
    "„Nuk do të heqim dorë“, deklaroi zj. Hoxha para gazetarëve në Tiranë.",
    "Çmimet e energjisë u rritën p.sh. në Prishtinë dhe në Shkodër, etj. Qytetarët protestuan.",
    "A do të ketë marrëveshje? Askush në Bruksel nuk e di ende.",
    "Ëndrra e integrimit evropian mbetet e gjallë për shumicën e shqiptarëve.",
]


def synthetic_article(generator: random.Random) -> str:
    pool = ENGLISH_SENTENCES if generator.random() < 0.5 else ALBANIAN_SENTENCES
    paragraphs = [" ".join(generator.choices(pool, k=generator.randint(2, 6))) for _ in range(generator.randint(6, 14))]
    return "\n\n".join(paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    generator = random.Random(7)
    bodies = [synthetic_article(generator) for _ in range(arguments.articles)]
    texts = pl.DataFrame({
        "article_id": [f"a{index}" for index in range(len(bodies))],
        "field": ["body"] * len(bodies),
        "text": bodies,
    })
    megabytes = texts["text"].str.len_bytes().sum() / 1e6
    timings = []
    for _ in range(arguments.repeats):
        started = time.perf_counter()
        sentences = split_sentences(texts)
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    print(f"{arguments.articles:,} articles, {megabytes:.1f} MB, {sentences.height:,} sentences")
    print(f"split_sentences: median {median:.2f} s over {arguments.repeats} runs = {megabytes / median:.1f} MB/s")

    single = pl.DataFrame({"article_id": ["long"], "field": ["body"], "text": [" ".join(bodies)[:5_000_000]]})
    started = time.perf_counter()
    long_sentences = split_sentences(single)
    elapsed = time.perf_counter() - started
    print(f"one 5 MB single-line text: {elapsed:.2f} s, {long_sentences.height:,} sentences")


if __name__ == "__main__":
    main()
