"""Wire-copy datelines at the start of a story: 'LONDON 1996-08-30', 'TIRANA, Oct 17 (Reuters) -',
'WASHINGTON (AP) —'. They give a place, a date and an agency; the story text after them stays in the body."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.lib.header_reference import alternation, fold_text, label_and_date_words, load_months
from pipelines.lib.metadata.bylines import lookup_outlet
from pipelines.lib.metadata.dates import DateCandidate, candidate_from_match, date_matches

# An upper-case place of up to five words (AL-AIN, THE HAGUE, N'DJAMENA, ST. LUCIA), optionally followed
# by a region in any case ('AL-AIN , United Arab Emirates'); a place in mixed case ('Prishtinë') counts
# only with a date or an agency and a dash after it, the way news agencies print it.
_UPPER_WORD = r"[^\W\d_a-zçë](?:[^\W\d_a-zçë]|['’.-](?=[^\W\d_a-zçë]))+\.?"
_MIXED_WORD = r"[A-ZÇË][a-zçë]+(?:-[A-ZÇË]?[a-zçë]+)?"
_PLACE_WORDS = (
    rf"^(?P<place>(?P<upper>{_UPPER_WORD}(?:\s+{_UPPER_WORD}){{0,4}})|(?P<mixed>{_MIXED_WORD}(?:\s+{_MIXED_WORD})?))"
)
_REGION = rf"(?:\s*,\s*(?P<region>{_MIXED_WORD}(?:\s+(?:{_MIXED_WORD}|of|and|e))*|{_UPPER_WORD}(?:\s+{_UPPER_WORD}){{0,3}}))"
# With a region first ('AL-AIN , United Arab Emirates 1996-12-06'), then without ('TIRANA, Oct 17').
_PLACES = (re.compile(_PLACE_WORDS + _REGION + r"(?P<separator>\s*,\s*|\s+)"),
           re.compile(_PLACE_WORDS + r"(?P<region>)(?P<separator>\s*,\s*|\s+)"))
_AGENCY = re.compile(r"^\s*(?:\((?P<paren>[^()]{2,40})\)|/(?P<slash>[^/]{2,40})/)\s*")
_DASH = re.compile(r"^\s*(?:[-–—:]+|\s-\s)\s*")
# A place must not be a header word that happens to be in capitals.
NOT_PLACES = frozenset({"video", "foto", "photo", "update", "breaking", "live", "lajm", "exclusive", "ekskluzive"})


_FIRST_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Dateline:
    place: str
    date: DateCandidate | None
    agency: str | None
    header_end: int     # where the dateline ends in the line
    story_start: int    # where the story text starts in the line (== len(line) when none follows)


@lru_cache(maxsize=1)
def _year_less_date() -> re.Pattern[str]:
    months = alternation(list(load_months()))
    return re.compile(
        rf"^(?:(?P<month_word>{months})\.?\s+(?P<day>[0-3]?\d)(?!\d)|(?P<day_first>[0-3]?\d)\.?\s+(?P<month_first>{months}))"
        r"(?![^\W\d_])\s*,?\s*",
        re.IGNORECASE,
    )


# A dateline's date or agency sits within this many characters of the line start.
DATELINE_MAX_CHARS = 90
DATELINE_MARKS = frozenset("0123456789(/")


def read_dateline(line: str) -> Dateline | None:
    """The dateline that starts this line, or None. Needs a date or an agency after the place."""
    if DATELINE_MARKS.isdisjoint(line[:DATELINE_MAX_CHARS]):
        return None  # no digit, '(' or '/' near the start: no date and no agency, so no dateline
    for pattern in _PLACES:
        place = pattern.match(line)
        if place is not None:
            dateline = _dateline_after(line, place)
            if dateline is not None:
                return dateline
    return None


def _dateline_after(line: str, place: re.Match[str]) -> Dateline | None:
    place_text = place.group("place")
    position = place.end()
    rest = line[position:position + DATELINE_MAX_CHARS]
    # After the place comes a date (a digit or a month word) or an agency ('(' or '/'): else no dateline.
    if not (rest[:1].isdigit() or rest[:1] in "(/"):
        first_word = _FIRST_WORD.match(rest)
        if first_word is None or fold_text(first_word.group()) not in load_months():
            return None
    words = [fold_text(word) for word in place_text.split()]
    if fold_text(place_text) in NOT_PLACES or any(word in label_and_date_words() for word in words):
        return None  # 'Fri 17 Oct 2025', 'Published On 17 Oct': a weekday or a label, not a place
    date = None
    year_less = _year_less_date().match(rest)
    # Only a date at the start counts, and it fits in the window: the story after it is never scanned.
    full_dates = date_matches(rest) if any(character.isdigit() for character in rest[:40]) else []
    if full_dates and full_dates[0].start == 0 and not full_dates[0].groups.get("label"):
        match = full_dates[0]
        date = candidate_from_match(match.name, match)
        if date is not None:
            date.rule = f"{match.name}_dateline"
        position += match.end
    elif year_less is not None:
        month_word = year_less.group("month_word") or year_less.group("month_first")
        day = int(year_less.group("day") or year_less.group("day_first"))
        date = DateCandidate("published", 0, load_months()[fold_text(month_word)][0], day, None, None, None, None,
                             "words_dateline_without_year")
        position += year_less.end()
    agency_match = _AGENCY.match(line[position:])
    agency = None
    if agency_match is not None:
        agency = (agency_match.group("paren") or agency_match.group("slash")).strip()
        position += agency_match.end()
    if date is None and agency is None:
        return None
    dash = _DASH.match(line[position:])
    header_end = position
    if dash is not None:
        position += dash.end()
    elif line[position:].strip() and (place.group("mixed") or date is None or not line[position - 1].isspace()):
        # 'Prishtinë, 17 tetor 2025 Kryeministri…' without a dash is a sentence, not a dateline.
        return None
    if place.group("mixed") and (position >= len(line.rstrip()) or "," not in place.group("separator")):
        # A capitalised place counts only as agencies print it: 'Prishtinë, 26 gusht 2025 – Story'.
        # 'Më 12 tetor 2025, në ora 17:30' is a date line with a preposition, read as such.
        return None
    known = lookup_outlet(agency) if agency else None
    written_place = place_text if not place.group("region") else f"{place_text}, {place.group('region')}"
    return Dateline(written_place, date, known[0] if known else agency, header_end, position)
