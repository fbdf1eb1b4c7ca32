"""Date strings the fast patterns do not know, read by dateparser (cached per distinct string), and
relative stamps ('2 orë më parë', 'dje, 14:30', 'yesterday') resolved against the crawl time."""

from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines.lib.header_reference import fold_text, load_header_labels, load_months, load_zone_offsets, read_tsv

# dateparser is asked only about short lines made of date words and numbers (after a label of up to
# LABEL_MAX_CHARS such as 'Përditësimi i fundit:').
RESIDUE_MAX_CHARS = 60
LABEL_MAX_CHARS = 25
# Two unrelated bases: a reading that moves with the base is relative, one that does not is absolute.
_BASE_A = datetime(2001, 3, 7, 13, 37, 29)
_BASE_B = datetime(2004, 9, 21, 9, 12, 41)
DATEPARSER_LANGUAGES = ["sq", "en"]


@dataclass(frozen=True)
class RelativeStamp:
    seconds_before: int | None           # '2 orë më parë': a fixed distance before the crawl time
    days_before: int | None              # 'dje, 14:30': a calendar day before the crawl day ...
    clock: tuple[int, int, int] | None   # ... at this local time
    precision: str                       # 'relative_minute', 'relative_hour', 'relative_day', …


@dataclass(frozen=True)
class AbsoluteReading:
    year: int
    month: int
    day: int
    hour: int | None
    minute: int | None
    second: int | None
    zone: str | None                     # '+02:00' when the string carried one


_LETTER_RUN = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def _dateparser_words() -> frozenset[str]:
    """Every word dateparser's Albanian and English tables know (months, weekdays, units, 'dje', 'ago' …).

    The tables are read as data (`info = {...}` literals) without importing dateparser: the import
    costs seconds, and most batches never need it."""
    spec = importlib.util.find_spec("dateparser")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    table_dir = Path(next(iter(spec.submodule_search_locations))) / "data" / "date_translation_data"
    words: set[str] = set()

    def collect(value) -> None:
        if isinstance(value, str):
            words.update(fold_text(word) for word in _LETTER_RUN.findall(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                collect(key)
                collect(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)

    for language in DATEPARSER_LANGUAGES:
        module = ast.parse((table_dir / f"{language}.py").read_text(encoding="utf-8"))
        for statement in module.body:
            if isinstance(statement, ast.Assign) and any(getattr(target, "id", None) == "info" for target in statement.targets):
                table = ast.literal_eval(statement.value)
                collect({key: value for key, value in table.items()
                         if key not in ("name", "date_order", "skip", "pertain", "simplifications", "locale_specific")})
    return frozenset(words)


@lru_cache(maxsize=1)
def date_vocabulary() -> frozenset[str]:
    """Words a date line may hold: dateparser's, our months/weekdays/labels, number words and date_words.tsv."""
    labels = load_header_labels()
    words = set(_dateparser_words())
    for role in ("published", "updated", "weekday"):
        for label in labels[role]:
            words.update(_LETTER_RUN.findall(label))
    words.update(load_months())
    words.update(fold_text(row[0]) for row in read_tsv("date_words.tsv"))
    words.update(_number_words())
    words.update(load_zone_offsets())
    return frozenset(words)


@lru_cache(maxsize=1)
def _number_words() -> dict[str, str]:
    """Folded number word ('një', 'two') -> digits, for the small numbers of relative stamps."""
    numbers = {}
    for row in read_tsv("number_words.tsv"):
        if len(row) >= 4 and row[3] == "number" and row[2].isdigit() and int(row[2]) <= 60 and " " not in row[0]:
            numbers[fold_text(row[0])] = row[2]
    return numbers


@lru_cache(maxsize=1)
def _rewrites() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern, re.IGNORECASE), replacement.replace("\\1", r"\1").replace("\\2", r"\2"))
                 for pattern, replacement in (row if len(row) == 2 else (row[0], "") for row in read_tsv("date_rewrites.tsv")))


_FIRST_TOKEN = re.compile(r"\W*(?:(?P<digit>\d)|(?P<word>[^\W\d_]+))")


def may_start_residual_date(text: str) -> bool:
    """Most header lines are titles and captions: their length or first word already says no (about 1 µs)."""
    if len(text) > RESIDUE_MAX_CHARS + LABEL_MAX_CHARS:
        return False
    first = _FIRST_TOKEN.match(text)
    return first is not None and (not first.group("word") or fold_text(first.group("word")) in date_vocabulary())


def may_be_residual_date(text: str) -> bool:
    """Short, and every word a date word, with a number or a relative word: worth asking dateparser."""
    if len(text) > RESIDUE_MAX_CHARS or not may_start_residual_date(text):
        return False
    words = _LETTER_RUN.findall(fold_text(text))
    vocabulary = date_vocabulary()
    if not all(word in vocabulary for word in words):
        return False
    return any(character.isdigit() for character in text) or bool(words)


def normalise_for_dateparser(text: str) -> str:
    """Number words to digits and the Albanian forms of date_rewrites.tsv to the ones dateparser reads."""
    numbers = _number_words()
    text = _LETTER_RUN.sub(lambda run: numbers.get(fold_text(run.group()), run.group()), text)
    for pattern, replacement in _rewrites():
        text = pattern.sub(replacement, text)
    return text.strip(" ,.|-–—")


_CLOCK = re.compile(r"(?<![\d:.])(?P<hour>\d{1,2})[:.h](?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?"
                    r"(?:\s*(?P<ampm>[ap])\.?\s?m\.?(?![^\W\d_]))?(?![\d:.])", re.IGNORECASE)
_CLOCK_CONNECTORS = re.compile(r"(?:\s*(?:,|\bat\b|\bn[eë]\b|\bora\b|\bor[eë]n\b))+\s*$", re.IGNORECASE)


@lru_cache(maxsize=8192)
def read_residual_date(text: str) -> AbsoluteReading | RelativeStamp | None:
    """dateparser's reading of one string, cached: absolute, relative to a base, or None.

    A day word with a clock ('dje, 14:30', 'Yesterday at 5:40 PM') is read as the day word (asked once,
    cached) plus the clock, so the thousand clock times of a day cost one dateparser call, not a thousand."""
    normalised = normalise_for_dateparser(text)
    if not normalised:
        return None
    clock = _CLOCK.search(normalised)
    if clock is not None and not _YEAR.search(normalised):
        day_words = _CLOCK_CONNECTORS.sub("", normalised[:clock.start()]) + normalised[clock.end():]
        day_words = day_words.strip(" ,")
        day = read_residual_date(day_words) if day_words and not any(ch.isdigit() for ch in day_words) else None
        if isinstance(day, RelativeStamp) and day.seconds_before is not None and day.seconds_before % 86400 == 0:
            hour = int(clock["hour"])
            if clock["ampm"]:
                if not 1 <= hour <= 12:
                    return None
                hour = hour % 12 + (12 if clock["ampm"].lower() == "p" else 0)
            if hour > 23:
                return None
            second = int(clock["second"]) if clock["second"] else 0
            return RelativeStamp(None, day.seconds_before // 86400, (hour, int(clock["minute"]), second),
                                 "relative_second" if clock["second"] else "relative_minute")
    return _read_with_dateparser(normalised)


def _read_with_dateparser(normalised: str) -> AbsoluteReading | RelativeStamp | None:
    import dateparser

    readings = []
    for base in (_BASE_A, _BASE_B):
        try:
            reading = dateparser.parse(normalised, languages=DATEPARSER_LANGUAGES,
                                       settings={"RELATIVE_BASE": base, "PREFER_DAY_OF_MONTH": "first"})
        except (ValueError, OverflowError, TypeError):  # dateparser raises on some malformed input
            return None
        if reading is None:
            return None
        readings.append(reading)
    first, second = readings
    if first == second:
        return _absolute(first, normalised)
    if _YEAR.search(normalised):
        return None  # a written year that moved with the base was not read (dateparser kept only the clock)
    naive_first, naive_second = first.replace(tzinfo=None), second.replace(tzinfo=None)
    before_first, before_second = _BASE_A - naive_first, _BASE_B - naive_second
    if before_first == before_second:
        seconds = int(before_first.total_seconds())
        if seconds < 0:
            return None  # 'in 2 hours': not a publication stamp
        return RelativeStamp(seconds, None, None, _relative_precision(seconds))
    if naive_first.time() == naive_second.time():
        days_first = (_BASE_A.date() - naive_first.date()).days
        if days_first == (_BASE_B.date() - naive_second.date()).days and days_first >= 0:
            clock = (naive_first.hour, naive_first.minute, naive_first.second)
            return RelativeStamp(None, days_first, clock, "relative_second" if naive_first.second else "relative_minute")
    return None  # moves with the base in another way ('last Monday', a year-less date): not placed


def _relative_precision(seconds: int) -> str:
    if seconds % 86400 == 0:
        return "relative_day"
    if seconds % 3600 == 0:
        return "relative_hour"
    if seconds % 60 == 0:
        return "relative_minute"
    return "relative_second"


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_CLOCK_WRITTEN = re.compile(r"\d[:.h]\d\d|\d\s*[ap]\.?m\b|\bat\s+\d", re.IGNORECASE)


def _absolute(moment: datetime, text: str) -> AbsoluteReading:
    zone = None
    if moment.tzinfo is not None:
        offset = moment.utcoffset()
        minutes = int(offset.total_seconds() // 60)
        zone = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    has_clock = bool(_CLOCK_WRITTEN.search(text)) or moment.time() != datetime.min.time()
    return AbsoluteReading(moment.year, moment.month, moment.day,
                           moment.hour if has_clock else None, moment.minute if has_clock else None,
                           moment.second if has_clock and moment.second else None, zone)


def resolve_relative(stamp: RelativeStamp, crawled_at: datetime | None,
                     default_timezone: str) -> tuple[datetime, str] | str:
    """The stamp's moment, local to default_timezone, or 'relative_without_crawl_time'."""
    if crawled_at is None:
        return "relative_without_crawl_time"
    zone = ZoneInfo(default_timezone)
    crawl_local = crawled_at.astimezone(zone)
    if stamp.seconds_before is not None:
        moment = crawl_local - timedelta(seconds=stamp.seconds_before)
        # '2 orë më parë' is about then, not on the hour; 'dje' is a calendar day.
        if stamp.precision == "relative_day":
            moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            moment = moment.replace(second=0 if stamp.precision != "relative_second" else moment.second,
                                    microsecond=0)
        return moment.astimezone(zone), stamp.precision
    day = crawl_local.date() - timedelta(days=stamp.days_before)
    hour, minute, second = stamp.clock
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone), stamp.precision
