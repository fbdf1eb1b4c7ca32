"""Parse the header of a scraped article: title, caption, dates, byline, outlet and section.
Also returns the body without header lines and without the scraped tail (share, related, video)."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import polars as pl

from pipelines.lib.language import detect_header_language, detect_language

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"

# Only this many non-empty lines can be header; dates further down are body dates.
HEADER_MAX_LINES = 12
# A text line longer than this (or with two sentences) is a body paragraph, not header.
BODY_PARAGRAPH_MIN_CHARS = 200
# At most this many short text lines may sit between header lines (caption, standfirst).
MAX_PENDING_LINES = 3
# A caption/standfirst is a short line; a title longer than this is a paragraph.
CAPTION_MAX_CHARS = 160
TITLE_MAX_CHARS = 300
# The scraped tail is looked for only in the last lines of the body.
TAIL_MAX_LINES = 25
TAIL_LINE_MAX_CHARS = 200

FIELD_NAMES = (
    "title", "caption", "published_at", "published_precision", "updated_at", "author",
    "outlet", "section", "section_norm", "header_language",
)


@dataclass(frozen=True)
class ParsedArticle:
    title: str | None
    caption: str | None
    published_at: datetime | None
    published_precision: str | None
    updated_at: datetime | None
    author: str | None
    outlet: str | None
    section: str | None
    section_norm: str | None
    header_language: str | None
    body: str
    metadata_rules: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- reference data

def fold_text(text: str) -> str:
    """Lower case without ë/ç, so 'Përditësuar' and 'PERDITESUAR' compare equal."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    # Three replaces run in C; str.translate looks every character up in a dict.
    return lowered.replace("ë", "e").replace("ç", "c").replace("’", "'")


def _read_tsv(file_name: str) -> list[list[str]]:
    rows = []
    for line in (REFERENCE_DIR / file_name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([cell.strip() for cell in line.split("\t")])
    return rows


def _tolerant_pattern(term: str) -> str:
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


def _alternation(terms: list[str]) -> str:
    return "|".join(_tolerant_pattern(term) for term in sorted(set(terms), key=len, reverse=True))


@lru_cache(maxsize=1)
def load_months() -> dict[str, tuple[int, str]]:
    """Folded month token -> (month number, language)."""
    return {fold_text(token): (int(month), language) for token, month, language in _read_tsv("months.tsv")}


@lru_cache(maxsize=1)
def load_header_labels() -> dict[str, dict[str, str]]:
    """Role -> {folded label: language}."""
    labels: dict[str, dict[str, str]] = {}
    for label, role, language in _read_tsv("header_labels.tsv"):
        labels.setdefault(role, {})[fold_text(label)] = language
    return labels


@lru_cache(maxsize=1)
def load_sections() -> dict[str, tuple[str, str]]:
    """Folded section name -> (section_norm, language)."""
    return {fold_text(name): (norm, language) for name, norm, language in _read_tsv("sections.tsv")}


@lru_cache(maxsize=1)
def load_outlets() -> dict[str, tuple[str, str]]:
    """Folded outlet name -> (name as it should be written, kind)."""
    return {fold_text(name): (name, kind) for name, kind in _read_tsv("outlets.tsv")}


@lru_cache(maxsize=1)
def load_name_particles() -> frozenset[str]:
    lines = (REFERENCE_DIR / "name_particles.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def _tail_rule_alternatives() -> dict[str, str]:
    """Action (drop, cut, inline) -> the alternation of its patterns, unanchored."""
    patterns: dict[str, list[str]] = {}
    for pattern, action in _read_tsv("tail_junk.tsv"):
        patterns.setdefault(action, []).append(f"(?:{pattern})")
    return {action: "(?:" + "|".join(alternatives) + ")" for action, alternatives in patterns.items()}


@lru_cache(maxsize=1)
def load_tail_rules() -> dict[str, re.Pattern[str]]:
    """Action (drop, cut, inline) -> one compiled whole-line regex."""
    return {
        action: re.compile(r"^\W*" + alternation + r"\W*$", re.IGNORECASE)
        for action, alternation in _tail_rule_alternatives().items()
    }


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


# ---------------------------------------------------------------- compiled patterns


@dataclass(frozen=True)
class _Patterns:
    dates: tuple[tuple[str, re.Pattern[str]], ...]
    date_prefix: re.Pattern[str]
    year_hint: re.Pattern[str]
    byline: re.Pattern[str]
    source: re.Pattern[str]
    photo: re.Pattern[str]
    media_line: re.Pattern[str]
    section_prefix: re.Pattern[str]
    segment_split: re.Pattern[str]
    title_media_suffix: re.Pattern[str]
    title_media_prefix: re.Pattern[str]
    sentence_end: re.Pattern[str]


LETTER_BEFORE = r"(?<![^\W\d_])"
LETTER_AFTER = r"(?![^\W\d_])"


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    labels = load_header_labels()
    date_labels = _alternation(list(labels["published"]) + list(labels["updated"]))
    weekdays = _alternation(list(labels["weekday"]))
    months = _alternation(list(load_months()))
    media = _alternation(list(labels["media"]))

    # The prefix (label, weekday, leading time) is matched separately on the text just before
    # a date: as a leading optional group it made every position of every line expensive.
    prefix = (
        rf"(?:{LETTER_BEFORE}(?P<label>{date_labels}){LETTER_AFTER}\s*[:：]?\s*"
        rf"(?:(?:m[eë]|n[eë]|on|at)\s+)?)?"
        rf"(?:{LETTER_BEFORE}(?P<weekday>{weekdays}){LETTER_AFTER}\.?,?\s+)?"
        r"(?:(?P<lead_hour>\d{1,2}):(?P<lead_minute>[0-5]\d)\s*[,|•·-]?\s*)?$"
    )
    clock = (
        r"(?P<hour>\d{1,2})[:.](?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?(?:\.\d+)?"
        rf"(?:\s*(?P<ampm>[aApP]\.?\s?[mM]\.?){LETTER_AFTER})?"
    )
    time_tail = (
        r"(?:\s*(?:[,|•·@–-]\s*)?(?:(?:ora|at|n[eë]|në\s+orën|h)\s+)?" + clock + r")?"
        r"(?:\s?(?P<zone>Z(?![^\W\d_])|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?|UTC|GMT|CEST|CET)(?![^\W\d_]))?"
    )
    year = r"(?P<year>(?:19|20)\d{2})(?!\d)"
    day = r"(?<!\d)(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
    month_word = rf"{LETTER_BEFORE}(?P<month_word>{months}){LETTER_AFTER}\.?"
    date_patterns = (
        ("iso", r"(?<!\d)(?P<year>(?:19|20)\d{2})(?P<sep>[-/.])(?P<month>[01]?\d)(?P=sep)(?P<day>[0-3]?\d)(?!\d)"
         + r"(?:(?:T|\s+|T\s*)" + clock + r")?"
         + r"(?:\s?(?P<zone>Z(?![^\W\d_])|[+-]\d{2}:?\d{2}|UTC|GMT|CEST|CET)(?![^\W\d_]))?"),
        ("numeric", r"(?<!\d)(?P<first>\d{1,2})(?P<sep>[./-])(?P<second_number>\d{1,2})(?P=sep)" + year + time_tail),
        ("words_day_month", day + r"\.?\s+(?:of\s+)?" + month_word + r",?\s+" + year + time_tail),
        ("words_month_day", month_word + r"\s+" + day + r",?\s+" + year + time_tail),
        ("words_month_year", month_word + r",?\s+" + year),
    )
    bylines = _alternation(list(labels["byline"]))
    sections = _alternation(list(load_sections()))
    return _Patterns(
        dates=tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in date_patterns),
        date_prefix=re.compile(prefix, re.IGNORECASE),
        year_hint=re.compile(r"(?:19|20)\d\d"),
        byline=re.compile(rf"^(?P<label>{bylines})(?:\s*[:：]\s*|\s+)(?P<names>\S.*)$", re.IGNORECASE),
        source=re.compile(rf"^(?P<label>{_alternation(list(labels['source']))})\s*[:：]\s*(?P<name>\S.*)$", re.IGNORECASE),
        photo=re.compile(rf"^\(?(?P<label>{_alternation(list(labels['photo']))})\s*[:：/©]\s*\S.*$", re.IGNORECASE),
        media_line=re.compile(rf"^\W*(?:{media})\W*$", re.IGNORECASE),
        section_prefix=re.compile(rf"^(?P<section>{sections}){LETTER_AFTER}", re.IGNORECASE),
        segment_split=re.compile(r"(\s+[|•·–—-]\s+|\s*\|\s*)"),
        title_media_suffix=re.compile(rf"\s*(?:[-–—|/:]\s*|\(|\[)(?:{media})\s*[)\]]?\s*$", re.IGNORECASE),
        title_media_prefix=re.compile(rf"^\s*[(\[]?(?:{media})[)\]]?\s*[-–—|/:]\s*", re.IGNORECASE),
        sentence_end=re.compile(r"[.!?…][\"'»”’)]?\s+[A-ZÇË\"«“]"),
    )


# ---------------------------------------------------------------- dates


@dataclass
class _DateCandidate:
    role: str            # 'published' | 'updated'
    year: int
    month: int
    day: int | None
    hour: int | None
    minute: int | None
    second: int | None
    zone: str | None
    rule: str
    numeric_pair: tuple[int, int] | None = None  # day/month not yet ordered (ambiguous numeric)
    month_first_evidence: bool = False           # written like 'October 17, 2025' or with AM/PM


@dataclass
class _DateMatch:
    name: str
    start: int   # includes the label/weekday/leading-time prefix
    end: int
    groups: dict[str, str | None]


# Patterns that begin with the month word; a match can only start where a month word starts.
MONTH_FIRST_PATTERNS = frozenset({"words_month_day", "words_month_year"})
_LETTER_RUN = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def _month_tokens_are_words() -> bool:
    """True when every month token is one run of letters (then a month word is a whole letter run)."""
    return all(token.isalpha() for token in load_months())


def _month_word_starts(line: str) -> list[int] | None:
    """Where a month-first date may begin: letter runs that fold to a month token.

    A letter run with characters other than ASCII and ë/ç is kept too (case-insensitive regex
    matching knows foldings that `fold_text` does not). None when the tokens are not plain words."""
    if not _month_tokens_are_words():
        return None
    months = load_months()
    folded_line = fold_text(line)
    if folded_line.isascii() and months.keys().isdisjoint(_LETTER_RUN.findall(folded_line)):
        return []
    starts = []
    for run in _LETTER_RUN.finditer(line):
        folded = fold_text(run.group())
        if folded in months or not folded.isascii():
            starts.append(run.start())
    return starts


def _matches_at(pattern: re.Pattern[str], line: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """What `pattern.finditer(line)` yields when matches can only begin at `starts` (ascending)."""
    last_end = 0
    for start in starts:
        if start < last_end:
            continue
        match = pattern.match(line, start)
        if match is not None:
            yield match
            last_end = match.end()


# Every numeric or ISO date holds one of these separators between its numbers.
NUMERIC_DATE_SEPARATORS = "-/."
# A label, weekday or leading time counts as a date's prefix only within this many characters before it.
DATE_PREFIX_MAX_CHARS = 60


@lru_cache(maxsize=4096)
def _date_prefix(context: str, offset: int) -> tuple[int, tuple[tuple[str, str | None], ...]] | None:
    """(start, groups) of the label/weekday/leading time that ends exactly where a date starts.

    context is the text before the date, from one character before the search window (the look-behind
    reads it; offset skips it). The same words precede dates in many articles, so answers are cached."""
    prefix = _patterns().date_prefix.search(context, offset)
    if prefix is None or prefix.start() >= len(context):
        return None
    return prefix.start(), tuple(prefix.groupdict().items())


def _date_matches(line: str) -> list[_DateMatch]:
    """Non-overlapping date matches in a line, earliest first, longest on ties, with their prefix."""
    patterns = _patterns()
    found = []
    # Trying a 58-word month alternation at every position is the slow part of a date line: word dates
    # are looked for only when a month-like word occurs, month-first ones only at such words.
    month_starts = _month_word_starts(line)
    has_numeric_separator = any(character in line for character in NUMERIC_DATE_SEPARATORS)
    for name, pattern in patterns.dates:
        if name == "words_month_year" and found:
            break  # 'tetor 2025' alone only counts on a line without a full date (and it is slow)
        if name in ("iso", "numeric"):
            if not has_numeric_separator:
                continue
            matches = pattern.finditer(line)
        elif month_starts is None:
            matches = pattern.finditer(line)
        elif not month_starts:
            continue  # every word date holds a month word
        elif name in MONTH_FIRST_PATTERNS:
            matches = _matches_at(pattern, line, month_starts)
        else:
            matches = pattern.finditer(line)
        for match in matches:
            found.append((match.start(), -(match.end() - match.start()), name, match))
    found.sort(key=lambda item: (item[0], item[1]))
    chosen: list[_DateMatch] = []
    last_end = 0
    for start, _, name, match in found:
        if start < last_end:
            continue
        groups = match.groupdict()
        window_start = max(last_end, start - DATE_PREFIX_MAX_CHARS)
        context_start = window_start - 1 if window_start > 0 else 0
        prefix = _date_prefix(line[context_start:start], window_start - context_start)
        if prefix is not None:
            groups.update(prefix[1])
            start = context_start + prefix[0]
        chosen.append(_DateMatch(name, start, match.end(), groups))
        last_end = match.end()
    return chosen


def _candidate_from_match(name: str, match: _DateMatch) -> _DateCandidate | None:
    groups = match.groups
    label = groups.get("label")
    role = "published"
    if label and fold_text(_WHITESPACE.sub(" ", label)) in load_header_labels()["updated"]:
        role = "updated"
    hour = minute = second = None
    if groups.get("hour") is not None:
        hour, minute = int(groups["hour"]), int(groups["minute"])
        second = int(groups["second"]) if groups.get("second") else None
        ampm = (groups.get("ampm") or "").lower().replace(".", "").replace(" ", "")
        if ampm:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif groups.get("lead_hour") is not None:
        hour, minute = int(groups["lead_hour"]), int(groups["lead_minute"])
    if hour is not None and not (0 <= hour <= 23):
        return None
    year = int(groups["year"])
    candidate = _DateCandidate(role, year, 0, None, hour, minute, second, groups.get("zone"), name)
    candidate.month_first_evidence = bool(groups.get("ampm"))
    if name == "iso":
        candidate.month, candidate.day = int(groups["month"]), int(groups["day"])
    elif name == "numeric":
        candidate.numeric_pair = (int(groups["first"]), int(groups["second_number"]))
    else:
        candidate.month = load_months()[fold_text(groups["month_word"])][0]
        candidate.day = int(groups["day"]) if groups.get("day") else None
        candidate.month_first_evidence |= name == "words_month_day"
    return candidate


def _order_numeric(candidate: _DateCandidate, month_first: bool) -> str:
    """Fix day/month of a numeric date; returns the rule suffix that decided it."""
    first, second = candidate.numeric_pair
    if first > 12 >= second:
        candidate.day, candidate.month = first, second
        return "day_first"
    if second > 12 >= first:
        candidate.month, candidate.day = first, second
        return "month_first_forced"
    if month_first:
        candidate.month, candidate.day = first, second
        return "month_first_us_header"
    candidate.day, candidate.month = first, second
    return "day_first"


def _to_datetime(candidate: _DateCandidate, default_timezone: str) -> tuple[datetime, str] | None:
    zone = candidate.zone
    if zone is None:
        tzinfo = ZoneInfo(default_timezone)
    elif zone.upper() in ("Z", "UTC", "GMT"):
        tzinfo = timezone.utc
    elif zone.upper() in ("CET", "CEST"):
        tzinfo = timezone(timedelta(hours=1 if zone.upper() == "CET" else 2))
    else:
        offset = zone.upper().replace("UTC", "").replace("GMT", "")
        sign = -1 if offset.startswith("-") else 1
        digits = offset[1:].replace(":", "")
        hours = int(digits[:-2]) if len(digits) > 2 else int(digits)
        minutes = int(digits[-2:]) if len(digits) > 2 else 0
        tzinfo = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        if candidate.day is None:
            return datetime(candidate.year, candidate.month, 1, tzinfo=tzinfo), "month"
        if candidate.hour is None:
            return datetime(candidate.year, candidate.month, candidate.day, tzinfo=tzinfo), "day"
        moment = datetime(candidate.year, candidate.month, candidate.day, candidate.hour,
                          candidate.minute or 0, candidate.second or 0, tzinfo=tzinfo)
    except ValueError:
        return None
    return moment, ("second" if candidate.second is not None else "minute")


# ---------------------------------------------------------------- names and fragments


def _proper_case_word(word: str, is_first: bool) -> str:
    lowered = word.lower()
    if not is_first and lowered in load_name_particles():
        return lowered
    parts = []
    for part in lowered.split("-"):
        apostrophe = re.match(r"^([^\W\d_])['’](.+)$", part)
        if apostrophe:
            part = apostrophe.group(1).upper() + "'" + apostrophe.group(2).capitalize()
        elif part.startswith("mc") and len(part) > 2:
            part = "Mc" + part[2:].capitalize()
        else:
            part = part.capitalize()
        parts.append(part)
    return "-".join(parts)


def proper_case_name(name: str) -> str:
    """'ARDIAN ÇELA' -> 'Ardian Çela'; names already in mixed case are kept as written."""
    words = name.split()
    letters = [character for character in name if character.isalpha()]
    if letters and not all(character.isupper() for character in letters):
        return " ".join(words)
    return " ".join(_proper_case_word(word, index == 0) for index, word in enumerate(words))


_NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’.-](?=[^\W\d_])|\.$)*\.?$")


def _looks_like_person_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 5:
        return False
    particles = load_name_particles()
    vocabulary = header_vocabulary()
    capitalised = 0
    for index, word in enumerate(words):
        if not _NAME_WORD.match(word):
            return False
        if word[0].isupper():
            capitalised += 1
            if fold_text(word.rstrip(".")) in vocabulary and len(word) > 2 and fold_text(word) not in particles:
                # A month, weekday, label or section word is not part of a person's name.
                return False
        elif index == 0 or word not in particles:
            return False
    return capitalised >= 2


@lru_cache(maxsize=8192)
def _lookup_outlet(text: str) -> tuple[str, str] | None:
    key = fold_text(text.strip(" .,;:()[]"))
    outlets = load_outlets()
    if key in outlets:
        return outlets[key]
    if key.startswith("the ") and key[4:] in outlets:
        return outlets[key[4:]]
    return None


@dataclass
class _HeaderFields:
    values: dict[str, object] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    dates: list[_DateCandidate] = field(default_factory=list)

    def set(self, name: str, value: object, rule: str) -> None:
        if value is not None and self.values.get(name) is None:
            self.values[name] = value
            self.rules[name] = rule


_WHITESPACE = re.compile(r"\s+")
_BRACKETED_OUTLET = re.compile(r"\s*[(\[](.+?)[)\]]\s*$")
_NAME_LIST_SPLIT = re.compile(r"\s+[-–—|/]\s+|\s*,\s*|\s+(?:and|dhe|&)\s+")


def _parse_byline(text: str, fields: _HeaderFields | None) -> bool:
    """Read 'By A and B - Outlet' style text; fills author/outlet when fields is given."""
    match = _patterns().byline.match(text.strip())
    if not match:
        return False
    label_slug = fold_text(_WHITESPACE.sub("_", match.group("label")))
    names_text = _BRACKETED_OUTLET.sub(r" - \1", match.group("names")).strip()
    parts = _NAME_LIST_SPLIT.split(names_text)
    authors: list[str] = []
    outlet = None
    staff = False
    for index, part in enumerate(part.strip(" .;:") for part in parts):
        if not part:
            continue
        if index == 0 and not _looks_like_person_name(part):
            # 'Nga korrespondentja jonë Valbona Hysa', 'By our correspondent Jane Doe': role words first.
            part = re.sub(r"^(?:[a-zçë]+\s+){1,3}(?=[A-ZÇË])", "", part)
        known = _lookup_outlet(part)
        if known:
            staff |= known[1] == "staff"
            outlet = outlet or (known[0] if known[1] != "staff" else None)
        elif _looks_like_person_name(part):
            authors.append(proper_case_name(part))
        elif index == 0:
            return False
        # Later parts that are not names ('former ambassador') are role descriptions: ignored.
    if not authors and not outlet and not staff:
        return False
    if fields is not None:
        upper = "_upper" if any(author.upper() != author and part_is_upper(names_text) for author in authors) else ""
        if authors:
            fields.set("author", ", ".join(authors), f"byline_{label_slug}{upper}")
        if outlet:
            fields.set("outlet", outlet, f"byline_{label_slug}_outlet")
    return True


def part_is_upper(text: str) -> bool:
    letters = [character for character in text if character.isalpha()]
    return bool(letters) and all(character.isupper() for character in letters)


@lru_cache(maxsize=8192)
def _match_section(text: str) -> tuple[str, str] | None:
    """Section as written and its norm when the whole text is a known section name."""
    cleaned = text.strip(" .:|•·-–—[]")
    known = load_sections().get(fold_text(_WHITESPACE.sub(" ", cleaned)))
    return (cleaned, known[0]) if known else None


def _classify_segment(segment: str, fields: _HeaderFields, previous_kind: str | None, after_dash: bool) -> str | None:
    """Kind of one header segment ('byline', 'source', 'section', ...) after filling its fields."""
    patterns = _patterns()
    if _parse_byline(segment, fields):
        return "byline"
    source = patterns.source.match(segment)
    if source:
        names = [name.strip(" .") for name in re.split(r"\s*[,;/]\s*|\s+(?:and|dhe|&)\s+", source.group("name"))]
        known = [_lookup_outlet(name) for name in names if name]
        written = [match[0] if match else name for match, name in zip(known, [n for n in names if n])]
        fields.set("outlet", ", ".join(written), "source_label" if all(known) else "source_label_unlisted")
        return "source"
    if patterns.photo.match(segment):
        return "credit"
    if patterns.media_line.match(segment):
        return "media"
    section = _match_section(segment)
    if section:
        fields.set("section", section[0], "section_segment")
        fields.set("section_norm", section[1], "sections_tsv")
        return "section"
    known = _lookup_outlet(segment)
    if known:
        if known[1] != "staff":
            fields.set("outlet", known[0], "outlet_segment")
        return "outlet"
    if previous_kind == "byline" and _looks_like_outlet_name(segment):
        rule = "byline_dash_unlisted_outlet" if after_dash else "byline_segment_unlisted_outlet"
        fields.set("outlet", segment.strip(), rule)
        return "outlet"
    return None


def _looks_like_outlet_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 5 and all(word[0].isupper() or word[0].isdigit() or len(word) <= 3 for word in words)


SEGMENT_SEPARATOR_CHARACTERS = "|•·–—-"


def _has_separator(text: str) -> bool:
    return any(character in text for character in SEGMENT_SEPARATOR_CHARACTERS)


def _parse_segments(text: str, fields: _HeaderFields, *, lenient: bool = False) -> bool:
    """True when every separator-delimited segment of text is a header field.

    lenient: keep the fields of the segments that are known and skip the others (used after a
    date, where a separator already shows that what follows is header, not a sentence)."""
    accepted, found = _read_segments(text, lenient)
    if accepted:
        # Replaying the first value per field onto `fields` keeps first-wins semantics of `set`.
        for name, value, rule in found:
            fields.set(name, value, rule)
    return accepted


@lru_cache(maxsize=8192)
def _read_segments(text: str, lenient: bool) -> tuple[bool, tuple[tuple[str, object, str], ...]]:
    """(accepted, the fields the segments set, in order). Classifying a segment never reads the
    fields already known, so the reading of a text is cached: bylines and sections recur across articles."""
    pieces = _patterns().segment_split.split(text) if _has_separator(text) else [text]
    # split() with a capturing group alternates segment, separator, segment, ...
    segments = [(pieces[index], pieces[index - 1] if index else "") for index in range(0, len(pieces), 2)]
    segments = [(segment, separator) for segment, separator in segments if segment.strip(" ,")]
    if not segments:
        return True, ()
    trial = _HeaderFields()
    previous_kind = None
    for segment, separator in segments:
        after_dash = separator.strip() in ("-", "–", "—")
        previous_kind = _classify_segment(segment.strip(" ,"), trial, previous_kind, after_dash)
        if previous_kind is None and not lenient:
            return False, ()
    return True, tuple((name, value, trial.rules[name]) for name, value in trial.values.items())


def _parse_after_date(rest: str, fields: _HeaderFields, date_rule_parts: list[str]) -> str | None:
    """Read what follows a date on its line; returns leftover text (a glued title) if any."""
    separated = bool(re.match(r"\s*(?:\||•|·|\s[–—-]\s)", rest))
    rest = rest.strip(" \t|•·,;–—-/")
    if not rest:
        return None
    if _parse_segments(rest, fields):
        return None
    patterns = _patterns()
    section_match = patterns.section_prefix.match(rest)
    if section_match:
        after = rest[section_match.end():].strip(" |•·,;–—-/")
        trial = _HeaderFields(dict(fields.values), dict(fields.rules))
        if not after or _parse_segments(after, trial):
            fields.values, fields.rules = trial.values, trial.rules
            section = section_match.group("section")
            fields.set("section", section, "section_glued_after_date")
            fields.set("section_norm", load_sections()[fold_text(_WHITESPACE.sub(" ", section))][0], "sections_tsv")
            date_rule_parts.append("glued_section")
            return None
    if _looks_like_person_name(rest) and _match_section(rest) is None:
        fields.set("author", proper_case_name(rest), "unlabelled_name_after_date")
        return None
    if separated and "labelled" not in date_rule_parts:
        _parse_segments(rest, fields, lenient=True)
        return None
    # An unlisted section sits between the date and a byline label: '… 20:51Opinione Nga A B'.
    for label_match in re.finditer(r"(?<=\s)(?=\S)", rest):
        head, tail = rest[:label_match.start()].strip(), rest[label_match.start():]
        if len(head.split()) <= 3 and head[:1].isupper() and _parse_byline(tail, None):
            _parse_byline(tail, fields)
            fields.set("section", head, "section_unlisted_before_byline")
            date_rule_parts.append("glued_section")
            return None
    return rest


def _accept_date_prefix(prefix: str, fields: _HeaderFields) -> bool:
    """An unlabelled date counts only at line start or after header segments and a separator."""
    stripped = prefix.strip()
    if not stripped.strip(" |•·,;–—-/"):
        return True
    if not re.search(r"[|•·,;–—-]\s*$", stripped):
        return False
    before_separator = stripped.rstrip(" |•·,;–—-/")
    return _parse_segments(before_separator, fields) or bool(_DATELINE_PLACE.match(before_separator))


# 'THE HAGUE, 25 June 2025': an upper-case place name before the date (a dateline).
_DATELINE_PLACE = re.compile(
    r"^(?:[^\W\d_a-zçë](?:[^\W\d_a-zçë]|['’.])+(?:[ -][^\W\d_a-zçë](?:[^\W\d_a-zçë]|['’.])+){0,4}"  # THE HAGUE, N'DJAMENA, ST. LUCIA
    r"|[A-ZÇË][a-zçë]+(?:[ -][A-ZÇË][a-zçë]+)?)$"  # Podgoricë, New York
)


def _parse_date_line(line: str, fields: _HeaderFields) -> tuple[bool, str | None]:
    """(is a header date line, glued title text or None)."""
    matches = _date_matches(line)
    if not matches:
        return False, None
    accepted_any = False
    glued_title = None
    cursor = 0
    for position, match in enumerate(matches):
        name = match.name
        if name == "words_month_year" and not match.groups.get("label"):
            continue  # a bare 'October 2025' is too weak without a label
        candidate = _candidate_from_match(name, match)
        if candidate is None:
            continue
        labelled = bool(match.groups.get("label"))
        if not labelled and not accepted_any and not _accept_date_prefix(line[:match.start], fields):
            continue
        if accepted_any and not labelled and line[cursor:match.start].strip(" |•·,;–—-/"):
            continue
        rule_parts = [name, "labelled" if labelled else "line_start" if not line[:match.start].strip() else "after_separator"]
        next_start = matches[position + 1].start if position + 1 < len(matches) else len(line)
        leftover = _parse_after_date(line[match.end:next_start], fields, rule_parts)
        if leftover is not None:
            # Text glued after a labelled date is the title; after a bare date it is a sentence
            # that starts with a date ('17 October 2025 will be remembered ...'), not a header.
            if not labelled or glued_title is not None:
                continue
            glued_title = leftover
        candidate.rule = "_".join(rule_parts)
        fields.dates.append(candidate)
        accepted_any = True
        cursor = next_start
    return accepted_any, glued_title


# ---------------------------------------------------------------- header scan


@dataclass
class _Line:
    text: str
    start: int
    end: int


def _header_lines(text: str) -> Iterator[_Line]:
    """The first HEADER_MAX_LINES non-empty lines with their character offsets.

    Lazy: the header scan stops at the first body paragraph, so the body is never split into lines.
    At most HEADER_MAX_LINES * 3 newlines are followed; what remains after them is one last line."""
    produced = 0
    position = 0
    text_length = len(text)
    for piece_index in range(HEADER_MAX_LINES * 3 + 1):
        end = text.find("\n", position) if piece_index < HEADER_MAX_LINES * 3 else -1
        if end < 0:
            end = text_length
        raw_line = text[position:end]
        if raw_line.strip():
            yield _Line(raw_line.strip(), position, end)
            produced += 1
            if produced >= HEADER_MAX_LINES:
                return
        if end >= text_length:
            return
        position = end + 1


_CAPTION_WITH_CREDIT = re.compile(
    r"^(?P<caption>.{3,250}?)\s*[(\[]?\s*(?:foto|photo|fotografia|photo credit|image)\s*[:：/©]\s*"
    r"[^.:]{1,60}?[)\]]?\s*$",
    re.IGNORECASE,
)


CREDIT_WORDS = ("foto", "photo", "image")  # every credit word of _CAPTION_WITH_CREDIT contains one


def _may_hold_credit(line: str) -> bool:
    # Non-ASCII text goes to the regex: case-insensitive matching folds more than str.lower().
    if not line.isascii():
        return True
    lowered = line.lower()
    return any(word in lowered for word in CREDIT_WORDS)


@lru_cache(maxsize=1)
def _date_label_only() -> re.Pattern[str]:
    labels = load_header_labels()
    alternatives = _alternation(list(labels["published"]) + list(labels["updated"]))
    return re.compile(rf"^(?:{alternatives})\s*:?\s*(?:\d+\s+\w+\s+(?:ago|m[eë]\s+par[eë])|just now|sot|dje|today|yesterday)?\s*$", re.IGNORECASE)


def _is_body_paragraph(line: str) -> bool:
    """Long, or several sentences: 'St. Lucia' or 'U.S. Army' alone must not unmake a title."""
    if len(line) > BODY_PARAGRAPH_MIN_CHARS:
        return True
    inner_sentence_ends = len(_patterns().sentence_end.findall(line))
    return inner_sentence_ends >= 2 or (inner_sentence_ends == 1 and line.endswith((".", "!", "?", "…")))


def _is_caption_like(line: str) -> bool:
    return len(line) <= CAPTION_MAX_CHARS and not re.search(r"[.!?:;…]$", line)


TITLE_MARKER_SEPARATORS = "-–—|/:(["  # what title_media_suffix needs before a media word


def clean_title(title: str) -> str:
    """Remove scraped media markers: 'Title - Video', 'Title | VIDEO', 'VIDEO: Title'."""
    patterns = _patterns()
    has_marker_separator = any(character in title for character in TITLE_MARKER_SEPARATORS)
    cleaned = patterns.title_media_suffix.sub("", title) if has_marker_separator else title
    cleaned = patterns.title_media_prefix.sub("", cleaned)
    return cleaned.strip() or title.strip()


@lru_cache(maxsize=1)
def _inline_link_pattern() -> str | None:
    """The 'inline' tail rules as one Rust regex for Polars, or None if they need Python syntax."""
    alternation = _tail_rule_alternatives().get("inline")
    if alternation is None:
        return None
    # The same alternatives anywhere in the text: a superset of the whole-line Python match, so it
    # can only send extra bodies down the slow path; unanchored, Polars finds them by literal prefilters.
    pattern = "(?i)" + alternation
    try:
        pl.Series([""]).str.contains(pattern)
    except pl.exceptions.PolarsError:
        return None
    return pattern


def may_hold_inline_links(texts: pl.Series) -> pl.Series:
    """Per text: could a line of it be a scraped 'read also' link? One vectorised pass; False is certain."""
    pattern = _inline_link_pattern()
    if pattern is None:
        return pl.Series(texts.name, [load_tail_rules().get("inline") is not None] * texts.len(), dtype=pl.Boolean)
    return texts.cast(pl.String).fill_null("").str.contains(pattern)


def _is_tail_junk(line: str, rule: re.Pattern[str]) -> bool:
    stripped = line.strip()
    return not stripped or rule.match(stripped) is not None


def _kept_tail_length(lines: list[str], *, has_more_above: bool) -> tuple[int | None, bool]:
    """How many leading lines survive the tail rules, and whether a non-blank line was removed.

    None when the answer depends on lines above `lines` (only possible when has_more_above)."""
    rules = load_tail_rules()
    drop, cut = rules["drop"], rules["cut"]
    kept = len(lines)
    removed = False
    # Drop single junk lines from the end, then cut a trailing related-articles block.
    while kept and _is_tail_junk(lines[kept - 1], drop):
        removed |= bool(lines[kept - 1].strip())
        kept -= 1
    if has_more_above and kept < TAIL_MAX_LINES:
        return None, removed
    # A cut line must be followed by short lines only: start at the last long line of the window.
    first_candidate = max(0, kept - TAIL_MAX_LINES)
    for index in range(kept - 1, first_candidate - 1, -1):
        if len(lines[index]) > TAIL_LINE_MAX_CHARS and len(lines[index].strip()) > TAIL_LINE_MAX_CHARS:
            first_candidate = index
            break
    for index in range(first_candidate, kept):
        line = lines[index].strip()
        if line and cut.match(line):
            kept = index
            removed = True
            break
    while kept and _is_tail_junk(lines[kept - 1], drop):
        removed |= bool(lines[kept - 1].strip())
        kept -= 1
    if has_more_above and kept == 0:
        return None, removed
    return kept, removed


# Lines read from the end of a body for the tail rules: well above TAIL_MAX_LINES, so the
# whole body is split only when its end is dozens of junk or blank lines.
TAIL_SCAN_LINES = TAIL_MAX_LINES * 3


def clean_body(body: str, *, inline_links: bool | None = None) -> tuple[str, bool]:
    """Body without inline 'read also' links and the scraped tail; (body, tail_removed).

    inline_links: whether a line may be an inline link (from `may_hold_inline_links`, one pass over a
    whole batch); False lets only the last lines be read. None (unknown) reads every line."""
    if inline_links is False:
        pieces = body.rsplit("\n", TAIL_SCAN_LINES)
        has_more_above = len(pieces) > TAIL_SCAN_LINES
        tail = pieces[1:] if has_more_above else pieces
        kept, removed = _kept_tail_length(tail, has_more_above=has_more_above)
        if kept is not None:
            cut_chars = sum(len(line) + 1 for line in tail[kept:])
            return body[:max(0, len(body) - cut_chars)].strip(), removed
    lines = body.split("\n")
    inline = load_tail_rules().get("inline")
    kept_lines = [line for line in lines
                  if not (inline and len(line) <= TAIL_LINE_MAX_CHARS and inline.match(line.strip()))]
    kept, removed = _kept_tail_length(kept_lines, has_more_above=False)
    return "\n".join(kept_lines[:kept]).strip(), removed or len(kept_lines) != len(lines)


def _resolve_dates(fields: _HeaderFields, header_language: str | None, default_timezone: str) -> None:
    us_evidence = header_language == "en" and any(date.month_first_evidence for date in fields.dates)
    for role, field_name in (("published", "published_at"), ("updated", "updated_at")):
        for candidate in fields.dates:
            if candidate.role != role:
                continue
            rule = candidate.rule
            if candidate.numeric_pair is not None:
                rule = rule.replace("numeric", "numeric_" + _order_numeric(candidate, us_evidence), 1)
            resolved = _to_datetime(candidate, default_timezone)
            if resolved is None:
                continue
            moment, precision = resolved
            fields.set(field_name, moment, rule)
            if role == "published":
                fields.set("published_precision", precision, rule)
            break


def parse_article(text: str, *, default_timezone: str = "Europe/Tirane") -> ParsedArticle:
    """Parse one article's header region and clean its body."""
    return _parse_article(text, default_timezone, inline_links=None)


def _parse_article(text: str, default_timezone: str, *, inline_links: bool | None) -> ParsedArticle:
    # Bounded per-article Python: only the first HEADER_MAX_LINES lines and the last
    # TAIL_MAX_LINES lines are inspected, with precompiled regexes.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.lstrip("\ufeff")
    fields = _HeaderFields()
    header_texts: list[str] = []
    title = None
    title_rule = None
    captions: list[str] = []
    pending_text: list[_Line] = []
    body_start = 0
    for line in _header_lines(text):
        content = line.text
        if len(content) > TITLE_MAX_CHARS:
            break
        if _date_label_only().match(content):
            header_texts.append(content)  # 'Updated 2 hours ago': a label whose date we cannot place
            body_start = line.end
            continue
        if _patterns().media_line.match(content):
            # A lone 'Video'/'Foto' marker is scraped junk: never a header field, never a caption.
            if not pending_text:
                body_start = line.end
            continue
        is_date_line = False
        glued_title = None
        if _patterns().year_hint.search(content):
            is_date_line, glued_title = _parse_date_line(content, fields)
        if is_date_line:
            header_texts.append(content if glued_title is None else content[: len(content) - len(glued_title)])
            if glued_title and title is None:
                title, title_rule = glued_title, "glued_after_date_label"
            elif glued_title:
                pending_text.append(_Line(glued_title, line.start, line.end))
        elif _parse_segments(content, fields):
            header_texts.append(content)
        elif title is not None and _may_hold_credit(content) and (credited := _CAPTION_WITH_CREDIT.match(content)):
            # 'Kurti in Brussels. Foto: KOHA': the caption is kept, the credit dropped.
            pending_text.append(_Line(credited.group("caption").strip(), line.start, line.end))
        elif title is None and len(content) <= TITLE_MAX_CHARS and not _is_body_paragraph(content):
            title, title_rule = content, "first_line"
            body_start = line.end
            continue
        elif len(content) > BODY_PARAGRAPH_MIN_CHARS or len(pending_text) >= MAX_PENDING_LINES:
            break
        else:
            # Short text after the title: a caption or standfirst if a header line follows,
            # else the start of the body.
            pending_text.append(line)
            continue
        # A header line closes the gap: short text lines before it were captions/standfirsts.
        captions.extend(pending.text for pending in pending_text if len(pending.text) <= CAPTION_MAX_CHARS)
        pending_text = []
        body_start = line.end
    if pending_text and _is_caption_like(pending_text[0].text) and (
        len(pending_text) > 1 or _patterns().sentence_end.search(pending_text[0].text) is None
    ):
        captions.append(pending_text[0].text)
        body_start = pending_text[0].end

    header_language = detect_header_language("\n".join(header_texts)) if header_texts else None
    header_language_rule = "label_vocabulary"
    if header_language is None and (title or captions):
        # No label speaks for a language: the title's (and caption's) own words decide.
        header_language = detect_header_language("\n".join(filter(None, [title, *captions])))
        header_language_rule = "title_stopwords"
    _resolve_dates(fields, header_language, default_timezone)

    body, tail_removed = clean_body(text[body_start:], inline_links=inline_links)
    rules = dict(fields.rules)
    if title is not None:
        cleaned_title = clean_title(title)
        rules["title"] = title_rule + ("_media_marker_removed" if cleaned_title != title.strip() else "")
        title = cleaned_title
    caption = captions[0] if captions else None
    if caption is not None:
        rules["caption"] = "short_line_in_header"
    if header_language is not None:
        rules["header_language"] = header_language_rule
    if tail_removed:
        rules["body"] = "scraped_tail_removed"
    values = fields.values
    return ParsedArticle(
        title=title,
        caption=caption,
        published_at=values.get("published_at"),
        published_precision=values.get("published_precision"),
        updated_at=values.get("updated_at"),
        author=values.get("author"),
        outlet=values.get("outlet"),
        section=values.get("section"),
        section_norm=values.get("section_norm"),
        header_language=header_language,
        body=body,
        metadata_rules=rules,
    )


# Below this many articles one process parses the batch: forking and pickling cost more than they save.
PARALLEL_MIN_ARTICLES = 4000
# Processes for large batches when the caller does not say (e.g. 1 in a job that already runs one
# process per core); unset means every usable core.
WORKERS_ENVIRONMENT_VARIABLE = "KRONIKA_PARSE_WORKERS"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
STRING_COLUMNS = (
    "title", "caption", "published_precision", "author", "outlet", "section",
    "section_norm", "header_language", "body", "metadata_rules",
)


def _epoch_microseconds(moment: datetime | None) -> int | None:
    # Integer arithmetic on the aware datetime: exact, and Polars casts Int64 to Datetime in one pass.
    return None if moment is None else (moment - _EPOCH) // timedelta(microseconds=1)


@lru_cache(maxsize=4096)
def _rules_json(rules: tuple[tuple[str, str], ...]) -> str:
    # Articles share a handful of rule combinations; each is serialised once.
    return json.dumps(dict(rules), sort_keys=True)


def _parse_rows(texts: list[str | None], inline_flags: list[bool], default_timezone: str) -> list[tuple]:
    """Plain tuples (column order of `_rows_frame`), so a worker process returns them cheaply."""
    rows = []
    for text, inline_links in zip(texts, inline_flags):
        article = _parse_article(text or "", default_timezone, inline_links=inline_links)
        rows.append((
            article.title, article.caption, _epoch_microseconds(article.published_at),
            article.published_precision, _epoch_microseconds(article.updated_at), article.author,
            article.outlet, article.section, article.section_norm, article.header_language, article.body,
            _rules_json(tuple(sorted(article.metadata_rules.items()))),
        ))
    return rows


def _rows_frame(rows: list[tuple]) -> pl.DataFrame:
    names = ("title", "caption", "published_at", "published_precision", "updated_at", "author", "outlet",
             "section", "section_norm", "header_language", "body", "metadata_rules")
    columns = list(zip(*rows)) if rows else [[] for _ in names]
    utc = pl.Datetime("us", "UTC")
    return pl.DataFrame([
        pl.Series(name, values, dtype=pl.Int64).cast(utc) if name in ("published_at", "updated_at")
        else pl.Series(name, values, dtype=pl.String)
        for name, values in zip(names, columns)
    ])


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_IN_FORKED_WORKER = False


def _mark_forked_worker() -> None:
    global _IN_FORKED_WORKER
    _IN_FORKED_WORKER = True


def default_workers() -> int:
    """One process unless KRONIKA_PARSE_WORKERS asks for more: on a loaded 2-core machine two forked
    workers did not pay (docs/metadata.md), and forking a process that runs Polars/DuckDB threads is fragile."""
    configured = os.environ.get(WORKERS_ENVIRONMENT_VARIABLE, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return 1


def can_fork_workers() -> bool:
    """Fork is cheap (the parent's loaded modules and compiled patterns are inherited); only on Linux,
    never from a daemonic process (it may not have children) nor from a worker (no nested pools)."""
    return (sys.platform.startswith("linux") and not multiprocessing.current_process().daemon
            and not _IN_FORKED_WORKER)


# The work of the running map_in_forked_workers call: a forked worker inherits it with the rest of
# the parent's memory, so the chunks are never pickled on the way out.
_INHERITED_WORK: tuple | None = None


def _run_inherited_chunk(index: int):
    function, chunks = _INHERITED_WORK
    return function(*chunks[index])


def map_in_forked_workers(function, chunks: list[tuple], workers: int) -> list:
    """function(*chunk) for every chunk: the first in this process, the others in forked workers.

    Workers read their chunk from the inherited memory (with 5,000 texts pickled as arguments the
    worker started 0.27 s late); only results are pickled back. function must return
    plain Python values: Polars' thread pool does not survive a fork, so a worker must not build
    frames. Falls back to this process when a worker cannot be started. Results keep the chunk order."""
    global _INHERITED_WORK
    if len(chunks) < 2 or workers < 2 or not can_fork_workers():
        return [function(*chunk) for chunk in chunks]
    _INHERITED_WORK = (function, chunks)
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks)) - 1,
                                 mp_context=multiprocessing.get_context("fork"),
                                 initializer=_mark_forked_worker) as pool:
            # submit() forks the workers, so they see _INHERITED_WORK as set above.
            futures = [pool.submit(_run_inherited_chunk, index) for index in range(1, len(chunks))]
            first = function(*chunks[0])
            return [first] + [future.result() for future in futures]
    except (OSError, BrokenProcessPool):
        return [function(*chunk) for chunk in chunks]
    finally:
        _INHERITED_WORK = None


def split_evenly(items: list, parts: int) -> list[list]:
    size = -(-len(items) // parts) if items else 0
    return [items[index:index + size] for index in range(0, len(items), size)] if size else [items]


def parse_articles(frame: pl.DataFrame, *, default_timezone: str = "Europe/Tirane",
                   workers: int | None = None) -> pl.DataFrame:
    """Add the parsed header columns, the cleaned body and body_language to a frame with `text`.

    workers: processes for the per-article Python step; None uses KRONIKA_PARSE_WORKERS or every usable
    core for batches of at least PARALLEL_MIN_ARTICLES articles, and one process below that."""
    texts = frame["text"]
    text_list = texts.to_list()
    inline_flags = may_hold_inline_links(texts).to_list()
    if workers is None:
        workers = default_workers() if len(text_list) >= PARALLEL_MIN_ARTICLES else 1
    workers = max(1, min(workers, len(text_list)))
    chunks = list(zip(split_evenly(text_list, workers), split_evenly(inline_flags, workers),
                      [default_timezone] * workers))
    rows = [row for chunk_rows in map_in_forked_workers(_parse_rows, chunks, workers) for row in chunk_rows]
    columns = _rows_frame(rows)
    columns = columns.with_columns(detect_language(columns["body"]).alias("body_language"))
    existing = [name for name in columns.columns if name in frame.columns]
    return pl.concat([frame.drop(existing), columns], how="horizontal")


def benchmark_parse(n: int = 10_000) -> dict:
    """CPU seconds to parse n synthetic articles in both languages (header + tail, no I/O);
    `parse_articles` in one process and on every usable core (CPU includes the workers)."""
    samples = [
        "Titulli i lajmit për zgjedhjet në Tiranë\n\n2025-10-17 20:51:01Pikëpamje SHKRUAR NGA ARDIAN ÇELA\n"
        "Kryeministri dhe presidenti\n\n" + ("Qeveria njoftoi sot se do të ketë ndryshime në buxhet. " * 60)
        + "\n\nLexo edhe\nTitulli tjetër\nShpërndaje",
        " date 2026-02-02 The policy of personal diplomacy has reached an impasse\n\n"
        + ("The government said on Monday that the budget will change next year. " * 60) + "\n\nVideo",
        "Markets rally after the vote\nBy Jane O'Brien and Carlos de la Vega - Reuters\n"
        "Published: October 17, 2025 8:51 PM | Updated: October 18, 2025 9:00 AM\n\n"
        + ("Stocks rose sharply on Friday as investors welcomed the result. " * 60),
    ]
    texts = [samples[index % len(samples)] for index in range(n)]
    parse_article(texts[0])  # load reference data and compile patterns outside the timing
    started = time.process_time()
    for text in texts:
        parse_article(text)
    header_seconds = time.process_time() - started
    frame = pl.DataFrame({"source_path": [f"{index}.txt" for index in range(n)], "text": texts})
    report = {"articles": n, "parse_article_cpu_s": round(header_seconds, 3),
              "cpu_s_per_10k_parse_article": round(header_seconds * 10_000 / n, 3)}
    for label, workers in (("1_process", 1), ("all_cores", usable_cores())):
        cpu_started, wall_started = _cpu_seconds_with_children(), time.perf_counter()
        parse_articles(frame, workers=workers)
        cpu_seconds = _cpu_seconds_with_children() - cpu_started
        report[f"parse_articles_{label}_cpu_s"] = round(cpu_seconds, 3)
        report[f"parse_articles_{label}_wall_s"] = round(time.perf_counter() - wall_started, 3)
        report[f"cpu_s_per_10k_parse_articles_{label}"] = round(cpu_seconds * 10_000 / n, 3)
    report["workers"] = usable_cores()
    return report


def _cpu_seconds_with_children() -> float:
    """User + system CPU of this process and of its finished workers."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
