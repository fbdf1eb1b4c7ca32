"""Figure vocabulary: number words, units (stems with their case endings), qualifiers and months from pipelines/reference.
Also the one-character-for-one ASCII fold under which all figure text is matched."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent.parent / "reference"

# Text is scanned in an ASCII-folded copy with exactly one character per original character, so
# character offsets carry over unchanged. Folding ë/ç lets the fast ASCII word boundary `(?-u:\b)`
# see Albanian words whole (and matches words typed without diacritics); spaces and dashes are unified.
FOLD_FROM = ["ë", "Ë", "ç", "Ç", "\u00a0", "\u202f", "\u2009", "\u2007", "\x00", "\u2013", "\u2014", "\u2212", "\u2019"]
FOLD_TO = ["e", "E", "c", "C", " ", " ", " ", " ", " ", "-", "-", "-", "'"]
MARK = "\x00"  # delimits candidates in the marked text; folding removes it from the input

RATEABLE_UNITS_EXCLUDED = {
    "percent", "percentage_point", "multiplier", "years", "months", "weeks", "days", "hours", "minutes", "age",
    "age_or_years", "magnitude", "celsius",
}
# `35-vjeçar`, `35-vjeçare` are ages above this many years and durations up to it (`plan 5-vjeçar`);
# units.tsv gives these forms the unit `age_or_years`.
AGE_ABOVE_YEARS = 10
YEAR_RANGE = (1800, 2100)
TIME_DENOMINATORS = {"year", "month", "day", "hour"}


def fold(text: str) -> str:
    """The ASCII-folded form used for matching (same length as `text`)."""
    return text.translate(_FOLD_TABLE)


_FOLD_TABLE = str.maketrans(dict(zip(FOLD_FROM, FOLD_TO)))


# ---------------------------------------------------------------- reference data


def _read_tsv(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def inflected_unit_rows() -> list[dict[str, str]]:
    """units.tsv-shaped rows for every stem of unit_stems.tsv with every case ending of its
    inflection class (inflections.tsv): `dollar` + sq_masculine -> dollar, dollari, ..., dollarësh."""
    endings: dict[str, list[str]] = {}
    for row in _read_tsv("inflections.tsv"):
        endings.setdefault(row["inflection"], []).append(row["ending"] or "")
    rows = []
    for stem in _read_tsv("unit_stems.tsv"):
        if stem["inflection"] not in endings:
            raise ValueError(f"unit_stems.tsv: stem {stem['stem']!r} names unknown inflection {stem['inflection']!r} (see inflections.tsv)")
        for ending in endings[stem["inflection"]]:
            rows.append({**stem, "phrase": stem["stem"] + ending})
    return rows


@dataclass(frozen=True)
class FigureVocabulary:
    """Folded, lower-cased phrase tables read from pipelines/reference."""

    numbers: dict[str, float]  # cardinals, including "a dozen"
    hundreds: dict[str, float]  # "hundred", "qind": multiply what precedes
    scales: dict[str, float]  # "million", "miliardë"
    money_scales: dict[str, float]  # "m", "k", "b": scales only right after a currency prefix
    fractions: dict[str, float]
    lone_fractions: dict[str, float]  # "half", "gjysma"
    multipliers: dict[str, float]  # "doubled", "dyfishuar"
    currency_symbols: dict[str, str]
    currency_codes: dict[str, str]  # matched case-sensitively
    currency_words: dict[str, str]
    units: dict[str, tuple[str, float]]  # phrase -> (unit, factor)
    denominators: dict[str, str]
    qualifiers: dict[str, set[str]]  # role -> phrases
    months: dict[str, int]
    stopwords: frozenset[str]


@lru_cache(maxsize=1)
def load_vocabulary() -> FigureVocabulary:
    """Read number words, units, qualifiers, month names and stop words once per process."""
    by_role: dict[str, dict[str, float]] = {}
    for row in _read_tsv("number_words.tsv"):
        by_role.setdefault(row["role"], {})[fold(row["phrase"]).lower()] = float(row["value"])
    symbols, codes, words, units, denominators = {}, {}, {}, {}, {}
    for row in inflected_unit_rows() + _read_tsv("units.tsv"):
        phrase, role = fold(row["phrase"]), row["role"]
        if role == "currency_symbol":
            symbols[phrase] = row["unit"]
        elif role == "currency_code":
            codes[phrase] = row["unit"]
        elif role == "currency_word":
            words[phrase.lower()] = row["unit"]
        elif role == "unit":
            units[phrase.lower()] = (row["unit"], float(row["factor"]))
        elif role == "denominator":
            denominators[phrase.lower()] = row["unit"]
    qualifiers: dict[str, set[str]] = {}
    for row in _read_tsv("figure_qualifiers.tsv"):
        qualifiers.setdefault(row["role"], set()).add(fold(row["phrase"]).lower())
    stopwords = set()
    for name in ("stopwords_en.txt", "stopwords_sq.txt"):
        for line in (REFERENCE_DIR / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                stopwords.add(line.strip().lower())
    # Month abbreviations that are also ordinary words ("nën" = under) would turn "nën 2" into a date.
    ordinary_words = {fold(word) for word in stopwords} | set().union(*qualifiers.values())
    months = {}
    for line in (REFERENCE_DIR / "months.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            token, month = line.split("\t")[:2]
            if fold(token).lower() not in ordinary_words:
                months[fold(token).lower()] = int(month)
    return FigureVocabulary(
        numbers=by_role.get("number", {}),
        hundreds=by_role.get("hundred", {}),
        scales=by_role.get("scale", {}),
        money_scales=by_role.get("money_scale", {}),
        fractions=by_role.get("fraction", {}),
        lone_fractions=by_role.get("lone_fraction", {}),
        multipliers=by_role.get("multiplier", {}),
        currency_symbols=symbols,
        currency_codes=codes,
        currency_words=words,
        units=units,
        denominators=denominators,
        qualifiers=qualifiers,
        months=months,
        stopwords=frozenset(stopwords),
    )


