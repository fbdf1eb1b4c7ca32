"""Dates in header lines: numeric, ISO and worded dates with their label, weekday and clock,
turned into aware datetimes with a precision."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterator
from zoneinfo import ZoneInfo

from pipelines.lib.header_reference import fold_text, load_header_labels, load_months
from pipelines.lib.metadata.fields import WHITESPACE, HeaderFields
from pipelines.lib.metadata.patterns import header_patterns

@dataclass
class DateCandidate:
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
    prefix = header_patterns().date_prefix.search(context, offset)
    if prefix is None or prefix.start() >= len(context):
        return None
    return prefix.start(), tuple(prefix.groupdict().items())


def date_matches(line: str) -> list[_DateMatch]:
    """Non-overlapping date matches in a line, earliest first, longest on ties, with their prefix."""
    patterns = header_patterns()
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


def candidate_from_match(name: str, match: _DateMatch) -> DateCandidate | None:
    groups = match.groups
    label = groups.get("label")
    role = "published"
    if label and fold_text(WHITESPACE.sub(" ", label)) in load_header_labels()["updated"]:
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
    candidate = DateCandidate(role, year, 0, None, hour, minute, second, groups.get("zone"), name)
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


def _order_numeric(candidate: DateCandidate, month_first: bool) -> str:
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


def _to_datetime(candidate: DateCandidate, default_timezone: str) -> tuple[datetime, str] | None:
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



def resolve_dates(fields: HeaderFields, header_language: str | None, default_timezone: str) -> None:
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


