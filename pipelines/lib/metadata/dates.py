"""Dates in header lines: numeric, ISO and worded dates with their label, weekday and clock,
turned into aware datetimes with a precision."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Iterator
from zoneinfo import ZoneInfo

from pipelines.lib.header_reference import alternation, fold_text, load_header_labels, load_months, load_zone_offsets
from pipelines.lib.metadata.fields import WHITESPACE, HeaderFields
from pipelines.lib.metadata.patterns import header_patterns
from pipelines.lib.metadata.relative import RelativeStamp, may_be_residual_date, may_start_residual_date, read_residual_date, resolve_relative


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
    relative: RelativeStamp | None = None        # '2 orë më parë', 'dje, 14:30': resolved against the crawl time


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
    ampm = (groups.get("ampm") or "").lower().replace(".", "").replace(" ", "")
    if groups.get("hour") is not None and (groups.get("minute") is not None or ampm):
        hour = int(groups["hour"])
        minute = int(groups["minute"]) if groups.get("minute") else 0
        second = int(groups["second"]) if groups.get("second") else None
    else:
        for lead in ("lead", "early"):
            if groups.get(f"{lead}_hour") is not None:
                hour, minute = int(groups[f"{lead}_hour"]), int(groups[f"{lead}_minute"])
                ampm = (groups.get(f"{lead}_ampm") or "").lower().replace(".", "").replace(" ", "")
                break
    if hour is not None and ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour is not None and not (0 <= hour <= 23):
        return None
    year = int(groups["year"])
    zone = groups.get("zone") or groups.get("lead_zone") or groups.get("early_zone")
    candidate = DateCandidate(role, year, 0, None, hour, minute, second, zone, name)
    candidate.month_first_evidence = bool(ampm)
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


# A real UTC offset lies within -12:00 … +14:00; anything else printed as a zone is not a time.
MAX_OFFSET_MINUTES = 14 * 60
MIN_OFFSET_MINUTES = -12 * 60
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s?(?P<sign>[+-])(?P<digits>\d{1,4})(?::(?P<minutes>\d{2}))?$", re.IGNORECASE)


@lru_cache(maxsize=256)
def zone_for(zone: str | None, default_timezone: str) -> tzinfo | str:
    """The tzinfo of a printed zone, or the reason it is not one ('zone_out_of_range', 'zone_unknown')."""
    if zone is None:
        return ZoneInfo(default_timezone)
    known = load_zone_offsets().get(fold_text(zone.strip()))
    if isinstance(known, str):
        return ZoneInfo(known)
    if known is not None:
        return timezone(timedelta(minutes=known))
    match = _OFFSET.match(zone.strip())
    if match is None:
        return "zone_unknown"
    digits = match["digits"]
    if match["minutes"] is not None:
        if len(digits) > 2:
            return "zone_out_of_range"
        hours, minutes = int(digits), int(match["minutes"])
    elif len(digits) <= 2:
        hours, minutes = int(digits), 0
    elif len(digits) == 4:
        hours, minutes = int(digits[:2]), int(digits[2:])
    else:
        return "zone_out_of_range"  # '+123': neither hours nor hhmm
    if minutes >= 60:
        return "zone_out_of_range"
    offset = (-1 if match["sign"] == "-" else 1) * (hours * 60 + minutes)
    if not MIN_OFFSET_MINUTES <= offset <= MAX_OFFSET_MINUTES:
        return "zone_out_of_range"
    return timezone(timedelta(minutes=offset))


# A publication year outside this range is a misread number (or a fuzzed header), never a date; it also keeps
# every stored time inside the years Python's datetime can hold after conversion to UTC.
PLAUSIBLE_YEARS = range(1600, 2201)


def to_datetime(candidate: DateCandidate, default_timezone: str) -> tuple[datetime, str] | str:
    """(aware datetime, precision), or why the candidate is not a time. Never raises."""
    if candidate.year not in PLAUSIBLE_YEARS:
        return "year_out_of_range"
    tz = zone_for(candidate.zone, default_timezone)
    if isinstance(tz, str):
        return tz
    try:
        if candidate.day is None:
            return datetime(candidate.year, candidate.month, 1, tzinfo=tz), "month"
        if candidate.hour is None:
            return datetime(candidate.year, candidate.month, candidate.day, tzinfo=tz), "day"
        moment = datetime(candidate.year, candidate.month, candidate.day, candidate.hour,
                          candidate.minute or 0, candidate.second or 0, tzinfo=tz)
    except (ValueError, OverflowError):
        return "impossible_date"
    return moment, ("second" if candidate.second is not None else "minute")


# A year-less dateline ('Oct 17') is in the crawl's year unless that puts it this far after the crawl.
YEARLESS_MAX_DAYS_AHEAD = 2


def _with_year_from_crawl(candidate: DateCandidate, crawled_at: datetime | None,
                          default_timezone: str) -> tuple[datetime, str] | str:
    """'TIRANA, Oct 17 (Reuters)': the year of the crawl, or the year before when Oct 17 is still ahead."""
    if crawled_at is None:
        return "year_unknown_without_crawl_time"
    crawl_local = crawled_at.astimezone(ZoneInfo(default_timezone))
    for year in (crawl_local.year, crawl_local.year - 1):
        dated = DateCandidate(**{**candidate.__dict__, "year": year})
        resolved = to_datetime(dated, default_timezone)
        if isinstance(resolved, str):
            return resolved
        if resolved[0] <= crawl_local + timedelta(days=YEARLESS_MAX_DAYS_AHEAD):
            return resolved
    return "impossible_date"


def resolve_dates(fields: HeaderFields, header_language: str | None, default_timezone: str,
                  crawled_at: datetime | None = None) -> None:
    """published_at/updated_at (and precision) from the candidates, first acceptable one per role.

    A candidate that is not a time (an impossible day, a zone such as '+99') is skipped and the reason
    kept under `date_rejected`; relative stamps are resolved against crawled_at."""
    us_evidence = header_language == "en" and any(date.month_first_evidence for date in fields.dates)
    for role, field_name in (("published", "published_at"), ("updated", "updated_at")):
        for candidate in fields.dates:
            if candidate.role != role:
                continue
            rule = candidate.rule
            if candidate.numeric_pair is not None:
                rule = rule.replace("numeric", "numeric_" + _order_numeric(candidate, us_evidence), 1)
            if candidate.relative is not None:
                resolved = resolve_relative(candidate.relative, crawled_at, default_timezone)
            elif candidate.year == 0:
                resolved = _with_year_from_crawl(candidate, crawled_at, default_timezone)
            else:
                resolved = to_datetime(candidate, default_timezone)
            if isinstance(resolved, str):
                fields.rules.setdefault("date_rejected", f"{rule}:{resolved}")
                continue
            moment, precision = resolved
            fields.set(field_name, moment, rule)
            if role == "published":
                fields.set("published_precision", precision, rule)
            break


@lru_cache(maxsize=1)
def _label_prefix() -> re.Pattern[str]:
    labels = load_header_labels()
    date_labels = alternation(list(labels["published"]) + list(labels["updated"]))
    return re.compile(rf"^(?P<label>{date_labels})(?![^\W\d_])\s*[:：]?\s*(?:(?:m[eë]|n[eë]|on|at)\s+)?", re.IGNORECASE)


def residual_date(line: str) -> DateCandidate | None:
    """A header line the fast patterns did not read, read by dateparser when it is made only of date
    words and numbers: relative stamps ('Përditësuar 2 orë më parë') and shapes without a pattern."""
    if not may_start_residual_date(line):
        return None  # the first word is no date word, label or number: a title, caption or byline
    label = _label_prefix().match(line)
    rest = line[label.end():] if label else line
    if not rest.strip() or not may_be_residual_date(rest):
        return None
    reading = read_residual_date(rest.strip())
    if reading is None:
        return None
    role = "published"
    if label and fold_text(WHITESPACE.sub(" ", label.group("label"))) in load_header_labels()["updated"]:
        role = "updated"
    labelled = "_labelled" if label else ""
    if isinstance(reading, RelativeStamp):
        return DateCandidate(role, 0, 0, None, None, None, None, None, "relative_to_crawl_time" + labelled,
                             relative=reading)
    return DateCandidate(role, reading.year, reading.month, reading.day, reading.hour, reading.minute,
                         reading.second, reading.zone, "dateparser" + labelled)
