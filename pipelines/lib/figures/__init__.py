"""Figures: find numbers with their meaning (money, percents, counts, durations, ages, years, dates) in article text.
One vectorised regex pass finds candidate spans (patterns); a small parser reads each distinct shape (reading); frames joins them back."""

from pipelines.lib.figures.frames import OUTPUT_SCHEMA, extract_figures
from pipelines.lib.figures.patterns import build_candidate_pattern
from pipelines.lib.figures.reading import decimal_mark, parse_digits, parse_number_words, read_candidate
from pipelines.lib.figures.vocabulary import (
    FOLD_FROM,
    FOLD_TO,
    REFERENCE_DIR,
    FigureVocabulary,
    fold,
    inflected_unit_rows,
    load_vocabulary,
)

__all__ = [
    "FOLD_FROM",
    "FOLD_TO",
    "OUTPUT_SCHEMA",
    "REFERENCE_DIR",
    "FigureVocabulary",
    "build_candidate_pattern",
    "decimal_mark",
    "extract_figures",
    "fold",
    "inflected_unit_rows",
    "load_vocabulary",
    "parse_digits",
    "parse_number_words",
    "read_candidate",
]
