"""Detect the language of article bodies and headers (ISO 639-1 codes).
A vectorised English/Albanian stop-word score decides most texts; langdetect settles the rest."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import polars as pl

from pipelines.lib.header_reference import fold_text, header_vocabulary

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"

# A sample is decided by stop words when the winning language has at least this many hits,
# beats the other by this factor, and its hits are this share of all words in the sample.
MIN_STOPWORD_HITS = 3
MIN_WINNER_FACTOR = 3.0
MIN_STOPWORD_SHARE = 0.15

_WORD_PATTERN = r"[\p{L}']+"


def read_word_list(file_name: str) -> list[str]:
    """One entry per line; lines starting with # are comments."""
    lines = (REFERENCE_DIR / file_name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def load_stopwords() -> dict[str, list[str]]:
    return {
        "en": sorted(set(read_word_list("stopwords_en.txt"))),
        "sq": sorted(set(read_word_list("stopwords_sq.txt"))),
    }


def _langdetect_code(text: str) -> str | None:
    # Imported lazily: langdetect loads its profiles on first use (~0.5 s), and most
    # samples never reach it.
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0
    try:
        code = detect(text)
    except LangDetectException:
        return None
    return code.split("-")[0]


def stopword_scores(texts: pl.Series, *, sample_chars: int = 600) -> pl.DataFrame:
    """Per text: words, en_hits, sq_hits and the stop-word verdict ('en', 'sq' or None)."""
    stopwords = load_stopwords()
    words = pl.col("text").str.slice(0, sample_chars).str.to_lowercase().str.extract_all(_WORD_PATTERN)
    frame = pl.DataFrame({"text": texts.cast(pl.String)}).with_columns(words.alias("words"))
    frame = frame.with_columns(
        pl.col("words").list.len().fill_null(0).alias("word_count"),
        pl.col("words").list.eval(pl.element().is_in(stopwords["en"])).list.sum().fill_null(0).alias("en_hits"),
        pl.col("words").list.eval(pl.element().is_in(stopwords["sq"])).list.sum().fill_null(0).alias("sq_hits"),
    )
    def decisive(winner: str, loser: str) -> pl.Expr:
        return (
            (pl.col(f"{winner}_hits") >= MIN_STOPWORD_HITS)
            & (pl.col(f"{winner}_hits") >= MIN_WINNER_FACTOR * pl.col(f"{loser}_hits"))
            & (pl.col(f"{winner}_hits") >= MIN_STOPWORD_SHARE * pl.col("word_count"))
        )
    verdict = (
        pl.when(decisive("en", "sq")).then(pl.lit("en"))
        .when(decisive("sq", "en")).then(pl.lit("sq"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return frame.select("word_count", "en_hits", "sq_hits", verdict.alias("stopword_language"))


def detect_language(texts: pl.Series, *, sample_chars: int = 600) -> pl.Series:
    """ISO 639-1 code per text (None for null/blank text). Stop words first, langdetect as fallback."""
    scores = stopword_scores(texts, sample_chars=sample_chars)
    verdicts = scores["stopword_language"].to_list()
    word_counts = scores["word_count"].to_list()
    samples = texts.cast(pl.String).str.slice(0, sample_chars).to_list()
    # Per-row Python only for the undecided minority (other languages, very short or mixed text).
    for index, verdict in enumerate(verdicts):
        if verdict is None and word_counts[index] > 0:
            verdicts[index] = _langdetect_code(samples[index])
    return pl.Series(texts.name or "language", verdicts, dtype=pl.String)


def detect_language_langdetect_only(texts: pl.Series, *, sample_chars: int = 600) -> pl.Series:
    """langdetect on every sample; kept to measure the stop-word path against it."""
    samples = texts.cast(pl.String).str.slice(0, sample_chars).to_list()
    codes = [_langdetect_code(sample) if sample and sample.strip() else None for sample in samples]
    return pl.Series(texts.name or "language", codes, dtype=pl.String)


@lru_cache(maxsize=1)
def _header_vocabulary_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    vocabulary = header_vocabulary()
    alternatives = sorted(vocabulary, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![^\W\d_])(" + "|".join(re.escape(term) for term in alternatives) + r")(?![^\W\d_])"
    )
    return pattern, vocabulary


_LETTER_RUN = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def _header_vocabulary_words() -> tuple[dict[str, str], frozenset[str]] | None:
    """(one-word terms -> language, first words of the longer terms), or None when a term does not
    start with a letter (then only the regex scan is exact)."""
    _, vocabulary = _header_vocabulary_pattern()
    if not all(_LETTER_RUN.match(term) for term in vocabulary):
        return None
    one_word = {term: language for term, language in vocabulary.items() if _LETTER_RUN.fullmatch(term)}
    first_words = frozenset(_LETTER_RUN.match(term).group() for term in vocabulary if term not in one_word)
    return one_word, first_words


def header_language_evidence(header_text: str) -> set[str]:
    """Languages ('sq', 'en') whose label vocabulary (labels, months, weekdays, sections) occurs."""
    pattern, vocabulary = _header_vocabulary_pattern()
    folded = fold_text(header_text)
    words = _header_vocabulary_words()
    if words is None:
        return {vocabulary[match.group(1)] for match in pattern.finditer(folded)}
    # Same matches as pattern.finditer: a term starts a word (the look-behind), so only word starts
    # are tried; a one-word term is the whole word (a dict lookup), and the regex runs only at
    # words that begin a longer term ('shkruar' of 'shkruar nga').
    one_word, first_words = words
    found_words = _LETTER_RUN.findall(folded)
    if first_words.isdisjoint(found_words):
        return {one_word[word] for word in found_words if word in one_word}
    evidence = set()
    last_end = 0
    for run in _LETTER_RUN.finditer(folded):
        if run.start() < last_end:
            continue
        word = run.group()
        if word in first_words:
            match = pattern.match(folded, run.start())
            if match is not None:
                evidence.add(vocabulary[match.group(1)])
                last_end = match.end()
        elif word in one_word:
            evidence.add(one_word[word])
            last_end = run.end()
    return evidence


def detect_header_language(header_text: str) -> str | None:
    """'sq' | 'en' | 'mixed' from label vocabulary; stop words decide when no label is present."""
    if not header_text or not header_text.strip():
        return None
    evidence = header_language_evidence(header_text)
    if evidence == {"sq", "en"}:
        return "mixed"
    if evidence:
        return evidence.pop()
    # One short string: a set lookup is far cheaper than building a Polars frame per article.
    en_words, sq_words = _stopword_sets()
    words = _PYTHON_WORD.findall(header_text.lower())
    en_hits = sum(word in en_words for word in words)
    sq_hits = sum(word in sq_words for word in words)
    if en_hits > sq_hits and en_hits >= 2:
        return "en"
    if sq_hits > en_hits and sq_hits >= 2:
        return "sq"
    return None


_PYTHON_WORD = re.compile(r"[^\W\d_']+(?:'[^\W\d_]+)?")


@lru_cache(maxsize=1)
def _stopword_sets() -> tuple[frozenset[str], frozenset[str]]:
    stopwords = load_stopwords()
    return frozenset(stopwords["en"]), frozenset(stopwords["sq"])
