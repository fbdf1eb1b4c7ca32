"""The compiled regular expressions of the header parser, built once from the reference tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.lib.header_reference import alternation, load_header_labels, load_months, load_sections, load_zone_offsets


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
def header_patterns() -> _Patterns:
    labels = load_header_labels()
    date_labels = alternation(list(labels["published"]) + list(labels["updated"]))
    weekdays = alternation(list(labels["weekday"]))
    months = alternation(list(load_months()))
    media = alternation(list(labels["media"]))
    zone_names = alternation([name for name in load_zone_offsets() if name not in ("z",)])

    # The prefix (label, weekday, leading time) is matched separately on the text just before
    # a date: as a leading optional group it made every position of every line expensive.
    lead_clock = (
        r"(?:(?:ora|at|n[eë]\s+or[eë]n)\s*:?\s*)?(?P<{0}_hour>\d{{1,2}})[:.h](?P<{0}_minute>[0-5]\d)"
        r"(?:\s*(?P<{0}_ampm>[aApP]\.?\s?[mM]\.?)(?![^\W\d_]))?"
        r"(?:\s*(?P<{0}_zone>(?:UTC|GMT)\s?[+-]\d{{1,4}}(?::\d{{2}})?|(?:{1})(?![^\W\d_])))?"
        r"\s*[,|•·/–-]?\s*"
    )
    prefix = (
        rf"(?:{LETTER_BEFORE}(?P<label>{date_labels}){LETTER_AFTER}\s*[:：]?\s*)?"
        rf"(?:{LETTER_BEFORE}(?:m[eë]|n[eë]|on|at){LETTER_AFTER}\s+)?"
        # A time may come before the weekday ('Updated 8:51 PM EDT, Fri October 17, 2025') or after it.
        + "(?:" + lead_clock.format("early", zone_names) + ")?"
        + rf"(?:{LETTER_BEFORE}(?P<weekday>{weekdays}){LETTER_AFTER}\.?,?\s+)?"
        + "(?:" + lead_clock.format("lead", zone_names) + ")?$"
    )
    # 20:51, 20.51, 20h51, 20:51:07.123, 8:51 p.m., 8 PM; a bare number is a clock only with AM/PM.
    clock = (
        r"(?P<hour>\d{1,2})(?:[:.h](?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?(?:[.,]\d{1,6})?"
        rf"(?:\s?h{LETTER_AFTER})?|(?=\s*[aApP]\.?\s?[mM]\.?{LETTER_AFTER}))"
        rf"(?:\s*(?P<ampm>[aApP]\.?\s?[mM]\.?){LETTER_AFTER})?"
    )
    # The zone is captured wide (any number of digits) and judged in dates.py, so '+99' or
    # 'UTC+24' is a rejected time with a rule rather than a shorter, wrong match.
    zone = (
        rf"(?P<zone>Z{LETTER_AFTER}|(?:UTC|GMT)\s?[+-]\d{{1,4}}(?::\d{{2}})?|[+-]\d{{1,4}}(?::\d{{2}})?"
        rf"|(?:{zone_names}){LETTER_AFTER})"
    )
    time_tail = (
        r"(?:(?:T|\s*[,|•·@/–-]{0,2}\s*(?:(?:(?:n[eë]\s+)?or[aeë]n?|at|n[eë]|h|[-–]\s*ora)\s*:?\s*)?)" + clock + r")?"
        r"(?:\s?" + zone + r")?(?!\d)"
    )
    year = r"(?P<year>(?:19|20)\d{2})(?!\d)"
    day = r"(?<!\d)(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
    month_word = rf"{LETTER_BEFORE}(?P<month_word>{months}){LETTER_AFTER}\.?"
    date_patterns = (
        # Year first, any separator: 2025-10-17, 2020/07/29, 2025.10.17 (then T, a space or a comma before the time).
        ("iso", r"(?<!\d)(?P<year>(?:19|20)\d{2})(?P<sep>[-/.])(?P<month>[01]?\d)(?P=sep)(?P<day>[0-3]?\d)(?!\d)"
         + time_tail),
        ("numeric", r"(?<!\d)(?P<first>\d{1,2})(?P<sep>[./-])\s?(?P<second_number>\d{1,2})(?P=sep)\s?" + year + time_tail),
        ("words_day_month", day + r"\.?\s*(?:of\s+|[-/]\s*)?" + month_word + r"(?:,?\s*|\s*[-/]\s*)" + year + time_tail),
        ("words_month_day", month_word + r"\s*" + day + r",?\s+" + year + time_tail),
        ("words_month_year", month_word + r",?\s+" + year),
    )
    bylines = alternation(list(labels["byline"]))
    sections = alternation(list(load_sections()))
    return _Patterns(
        dates=tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in date_patterns),
        date_prefix=re.compile(prefix, re.IGNORECASE),
        year_hint=re.compile(r"(?:19|20)\d\d"),
        byline=re.compile(rf"^(?P<label>{bylines})(?:(?P<colon>\s*[:：]\s*)|\s+)(?P<names>\S.*)$", re.IGNORECASE),
        source=re.compile(rf"^(?P<label>{alternation(list(labels['source']))})\s*[:：]\s*(?P<name>\S.*)$", re.IGNORECASE),
        photo=re.compile(rf"^\(?(?P<label>{alternation(list(labels['photo']))})\s*[:：/©]\s*\S.*$", re.IGNORECASE),
        media_line=re.compile(rf"^\W*(?:{media})\W*$", re.IGNORECASE),
        section_prefix=re.compile(rf"^(?P<section>{sections}){LETTER_AFTER}", re.IGNORECASE),
        segment_split=re.compile(r"(\s+[|•·–—-]\s+|\s*\|\s*)"),
        title_media_suffix=re.compile(rf"\s*(?:[-–—|/:]\s*|\(|\[)(?:{media})\s*[)\]]?\s*$", re.IGNORECASE),
        title_media_prefix=re.compile(rf"^\s*[(\[]?(?:{media})[)\]]?\s*[-–—|/:]\s*", re.IGNORECASE),
        sentence_end=re.compile(r"[.!?…][\"'»”’)]?\s+[A-ZÇË\"«“]"),
    )


