"""Reference tables of the header parser (labels, months, sections, outlets, name particles) and text folding.
Shared by the metadata package and language detection, so neither imports the other's internals."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"


def fold_text(text: str) -> str:
    """Lower case without ë/ç, so 'Përditësuar' and 'PERDITESUAR' compare equal."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    # Three replaces run in C; str.translate looks every character up in a dict.
    return lowered.replace("ë", "e").replace("ç", "c").replace("’", "'")


def read_tsv(file_name: str) -> list[list[str]]:
    rows = []
    for line in (REFERENCE_DIR / file_name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([cell.strip() for cell in line.split("\t")])
    return rows


def tolerant_pattern(term: str) -> str:
    """Regex for a term that also matches it without ë/ç and with any run of spaces."""
    pieces = []
    for character in term:
        if character in "ëe":
            pieces.append("[eëEË]")
        elif character in "çc":
            pieces.append("[cçCÇ]")
        elif character == " ":
            pieces.append(r"\s+")
        else:
            pieces.append(re.escape(character))
    return "".join(pieces)


def alternation(terms: list[str]) -> str:
    return "|".join(tolerant_pattern(term) for term in sorted(set(terms), key=len, reverse=True))


@lru_cache(maxsize=1)
def load_months() -> dict[str, tuple[int, str]]:
    """Folded month token -> (month number, language)."""
    return {fold_text(token): (int(month), language) for token, month, language in read_tsv("months.tsv")}


@lru_cache(maxsize=1)
def load_header_labels() -> dict[str, dict[str, str]]:
    """Role -> {folded label: language}."""
    labels: dict[str, dict[str, str]] = {}
    for label, role, language in read_tsv("header_labels.tsv"):
        labels.setdefault(role, {})[fold_text(label)] = language
    return labels


@lru_cache(maxsize=1)
def load_sections() -> dict[str, tuple[str, str]]:
    """Folded section name -> (section_norm, language)."""
    return {fold_text(name): (norm, language) for name, norm, language in read_tsv("sections.tsv")}


@lru_cache(maxsize=1)
def load_outlets() -> dict[str, tuple[str, str]]:
    """Folded outlet name -> (name as it should be written, kind)."""
    outlets: dict[str, tuple[str, str]] = {}
    for name, kind in read_tsv("outlets.tsv"):
        outlets.setdefault(fold_text(name), (name, kind))  # the first spelling listed is the one written
    return outlets


@lru_cache(maxsize=1)
def load_name_particles() -> frozenset[str]:
    lines = (REFERENCE_DIR / "name_particles.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def header_vocabulary() -> dict[str, str]:
    """Folded header word -> 'sq' | 'en': labels, months, weekdays and section names of one language."""
    vocabulary: dict[str, str] = {}
    for role, labels in load_header_labels().items():
        if role != "media":
            vocabulary.update(labels)
    vocabulary.update({token: language for token, (_, language) in load_months().items()})
    vocabulary.update({name: language for name, (_, language) in load_sections().items()})
    return {term: language for term, language in vocabulary.items() if language in ("sq", "en")}


@lru_cache(maxsize=1)
def load_byline_roles() -> frozenset[str]:
    """Folded job words of bylines (correspondent, gazetare): a part with one is a role, not a name."""
    lines = (REFERENCE_DIR / "byline_roles.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(fold_text(line.strip()) for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def label_and_date_words() -> frozenset[str]:
    """Folded labels, months and weekdays (any language): words that are never a person's name.
    Section names are not among them: 'Arsim' is a section (education) and a common first name."""
    words = {label for role, labels in load_header_labels().items() if role != "media" for label in labels}
    words.update(load_months())
    return frozenset(words)


@lru_cache(maxsize=1)
def load_zone_offsets() -> dict[str, int | str]:
    """Folded zone abbreviation -> offset from UTC in minutes (CET, EDT), or an IANA zone name for
    abbreviations that stand for both sides of DST (ET -> America/New_York)."""
    offsets: dict[str, int | str] = {}
    for name, offset in read_tsv("time_zones.tsv"):
        if offset[:1] in "+-":
            sign = -1 if offset.startswith("-") else 1
            hours, minutes = offset[1:].split(":")
            offsets[fold_text(name)] = sign * (int(hours) * 60 + int(minutes))
        else:
            offsets[fold_text(name)] = offset
    return offsets
