"""The candidate pattern of the figure scan: one alternation of dates, junk, clock times, fractions and amounts.
Built from the vocabulary as prefix trees; compiled once with ASCII boundaries for Polars and with named groups for Python."""

from __future__ import annotations

import re
from functools import lru_cache

from pipelines.lib.figures.vocabulary import RATEABLE_UNITS_EXCLUDED, FigureVocabulary, load_vocabulary

_SPECIAL = set("\\.^$|?*+()[]{}#&~-/")


def _escape(phrase: str) -> str:
    # Both Rust and Python accept a backslash before ASCII punctuation; spaces may be runs of spaces.
    return "".join("\\" + char if char in _SPECIAL else (" +" if char == " " else char) for char in phrase)


def _alternation(phrases, boundary: str, *, leading: bool = True) -> str:
    """The phrases as one prefix tree (`dollar(?:i|it|eve|)`), so a thousand inflected forms cost the
    scan little more than their stems. A longer phrase is tried before a shorter one it extends (so
    "per cent" wins over "per"); word boundaries sit at ends that are letters or digits."""
    tree: dict = {}
    for phrase in set(phrases):
        node = tree
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}  # a phrase ends here

    def branch(node: dict, previous: str) -> str:
        parts = [_escape(char) + branch(child, char) for char, child in sorted(node.items()) if char]
        if "" in node:
            parts.append(boundary if previous.isalnum() else "")  # last: longer phrases first
        return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"

    heads = [
        (boundary if leading and char.isalnum() else "") + _escape(char) + branch(child, char)
        for char, child in sorted(tree.items())
    ]
    return "(?:" + "|".join(heads) + ")"


def _group(name: str, body: str, named: bool) -> str:
    return f"(?P<{name}>{body})" if named else f"(?:{body})"


DIGITS = (
    r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"
    r"|[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?"
    r"|[0-9]{1,3}(?: [0-9]{3})+(?:,[0-9]+)?"
    r"|[0-9]+(?:[.,][0-9]+)?"
)


def build_candidate_pattern(vocabulary: FigureVocabulary, *, named: bool) -> str:
    """The one alternation that finds every candidate span: junk first (phone numbers, times, model
    names, ids), then dates, fractions and multipliers, then amounts with optional range.
    `named=True` gives the Python variant with named groups used to read a matched span."""
    b = r"\b" if named else r"(?-u:\b)"
    q = vocabulary.qualifiers
    word_number = _alternation(list(vocabulary.numbers) + list(vocabulary.hundreds), b)
    number = rf"{b}(?:{DIGITS})|{word_number}(?:[- ]+{word_number}){{0,3}}(?:(?: +and| +e) +{word_number}(?:[- ]{word_number})?)?"
    half = r"(?: +and +a +half| +e +gjysme)" + b
    scale = _alternation(vocabulary.scales, b, leading=False)
    money_scale = _alternation(list(vocabulary.scales) + list(vocabulary.money_scales), b, leading=False)
    currency_prefix = "(?:" + _alternation(vocabulary.currency_symbols, b) + "|(?-i:" + _alternation(vocabulary.currency_codes, b) + "))"
    rate_join = r"(?: +(?:per|a|an|each|for +each|ne|per|in) +| *\/ *)"
    denominator = _alternation(vocabulary.denominators, b, leading=False)
    rateable_units = {p: u for p, (u, _) in vocabulary.units.items() if u not in RATEABLE_UNITS_EXCLUDED}
    other_units = {p for p, (u, _) in vocabulary.units.items() if u in RATEABLE_UNITS_EXCLUDED}
    rateable = "(?:" + _alternation(list(vocabulary.currency_words) + list(rateable_units) + list(vocabulary.currency_symbols), b, leading=False) + "|(?-i:" + _alternation(vocabulary.currency_codes, b) + "))"

    def amount(index: int) -> str:
        def suffix(tag: str) -> str:
            return (
                f"(?:[ -]*{_group(f'unit{tag}', _alternation(other_units, b, leading=False), named)}"
                f"|[ -]*{_group(f'rateable{tag}', rateable, named)}(?:{rate_join}{_group(f'denominator{tag}', denominator, named)})?)"
            )

        with_prefix = (
            f"{_group(f'currency{index}', currency_prefix, named)} *{_group(f'number{index}', number, named)}"
            f"{_group(f'half{index}', half, named)}?"
            f"(?: *{_group(f'scale{index}', money_scale, named)})?"
            f"(?:{rate_join}{_group(f'prefix_denominator{index}', denominator, named)})?{b}"
        )
        without_prefix = (
            f"{_group(f'number{index}_', number, named)}{_group(f'half{index}_', half, named)}?"
            f"(?:[ -]*{_group(f'scale{index}_', scale, named)}{suffix(f'{index}s')}?|{suffix(f'{index}')}|{b})"
        )
        return _group(f"amount{index}", f"{with_prefix}|{without_prefix}", named)

    approximate = _alternation(q["approximate"] | q["bound"], b)
    range_start = _alternation(q["range_start"] | q["age_word"], b)
    range_join = r"(?: *- *| +(?:" + _alternation(q["range_join"] - {"-", "–"}, b) + r") +)"
    # A capitalised word before a bare number ("Boeing 737") is looked up in the gap before the
    # candidate (`NAME_BEFORE_PATTERN`), not matched here: as a possible start of every figure it
    # would halve the scan's speed and hide dates and times after a sentence-initial word ("On 17.10.2025").
    # Times of day are not figures. They may follow the same qualifiers as a figure ("around 9
    # o'clock", "from 18:00 to 21:00"), so they are read after the figure's prefix, before an amount.
    clock = b + "(?:" + "|".join([
        r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?: *(?:a\.m\.|p\.m\.|am|pm)" + b + ")?",
        r"[0-9]{1,2}(?:\.[0-9]{2})? *(?:a\.m\.|p\.m\.|(?:am|pm)" + b + ")",
        r"[0-9]{1,2}(?:[:.]?[0-9]{2})? *(?-i:GMT|UTC|CET|CEST|EET|EEST|EST|EDT|PST|PDT|BST)" + b,
        r"[0-9]{1,2}(?:[:.][0-9]{2})? *(?:o'clock" + b + "|h" + b + ")",
    ]) + ")"
    figure = (
        f"{_group('prefix', f'(?:(?:{approximate}|{range_start}) *){{0,2}}', named)}"
        f"(?:{_group('clock', clock, named)}|{amount(1)}(?:{_group('join', range_join, named)}{amount(2)})?)"
    )

    month = _alternation(vocabulary.months, b)
    day = b + r"[0-9]{1,2}(?:st|nd|rd|th)?"
    year = r"[0-9]{4}" + b
    # Digits carry no trailing boundary so units and scales may be glued ("5km", "€5m"); each amount
    # ends in a unit, a scale or a boundary instead.
    day_join = r"(?: *- *| +(?:and|to|e|dhe|deri(?: +ne)?) +)"
    # Year first in any separator (2026-01-09, 2020/07/29, 2020.07.29); day first with a four-digit
    # year in any separator, or a two-digit year after `.` or `/` (29.07.20); a month name may carry
    # a full stop (Jan. 9); a day range before or after a month (5-6 tetor, October 5-6) is two dates;
    # a season (2023-24, 1990/95) is two years.
    date = (
        _group("year_first_date", b + r"[0-9]{4}[./-][0-9]{1,2}[./-][0-9]{1,2}" + b, named)
        + "|" + _group("numeric_date", b + r"[0-9]{1,2}(?:[./-][0-9]{1,2}[./-][0-9]{4}|[./][0-9]{1,2}[./][0-9]{2})" + b, named)
        + "|" + _group("season", b + r"[0-9]{4}[-/][0-9]{2}" + b, named)
        + "|" + _group("month_year", f"{month}\\.?(?: +of)?,? +{year}", named)
        + "|" + _group("day_range_month", f"{day}{day_join}{day}(?: +of)? +{month}(?:,? +{year})?", named)
        + "|" + _group("day_month", f"{day}(?: +of)? +{month}(?:,? +{year})?", named)
        + "|" + _group("month_day_range", f"{month}\\.? +{day}{day_join}{day}{b}(?:,? +{year})?", named)
        + "|" + _group("month_day", f"{month}\\.? +{day}{b}(?:,? +{year})?", named)
    )
    numbering = _alternation(q["numbering"], b)
    # A list number opens a line: "1. Hyrje", "2) Masat".
    list_number = r"(?m:^)[ \t]*[0-9]{1,3}[.)](?:[ \t]|$)"
    junk = list_number + "|" + "|".join(
        [b + item if item[0] != "\\" else item for item in [
            r"(?:https?://|www\.)[^\s]+",
            r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+",
            r"\+[0-9]{1,3}(?:[ ./-]?\(?[0-9]{1,4}\)?){2,}",
            r"0[0-9]{1,3}(?:[ /.-][0-9]{2,4}){2,}" + b,
            r"[0-9]{1,2}\)",
            r"[0-9]{1,2} *& *[0-9]{1,2}" + b,  # a match-play score: "5&4", "2 & 1"
            r"[0-9]{1,2}:[0-9]" + b,  # a score: "2:0", "3:1"
            r"(?-i:[A-Z])[A-Za-z]*-[0-9]+[A-Za-z0-9-]*",
            r"[0-9]+(?:st|nd|rd|th)" + b,
            r"[0-9]+-(?:te|ta|ti|tin|tit|tes|shi|rd|th)" + b,
            r"[0-9]{7,}" + b,
            r"[0-9]{2,4}'?s" + b,
            r"(?:first|second|third|fourth|last|next|this|past|previous) +(?:half|quarter)" + b,
            r"gjysm[a-z]* +e +(?:pare|dyte)" + b,
            f"{numbering} *[0-9]+(?:[:.][0-9]{{2}})?[a-z]?(?: *- *[0-9]+[a-z]?)?" + b,
        ]]
    )
    fraction = _group("fraction", _alternation(vocabulary.fractions, b), named)
    lone_fraction = _group("lone_fraction", _alternation(vocabulary.lone_fractions, b), named)
    multiplier = _group("multiplier", _alternation(vocabulary.multipliers, b), named)
    wordy = f"{_group('wordy_prefix', f'(?:{approximate} *)?', named)}(?:{fraction}|{multiplier})"
    lone = f"{_group('lone_prefix', f'(?:{approximate} *)?', named)}{lone_fraction}"
    ratio = _group("ratio", rf"{b}[0-9]+ +(?:in|out +of) +[0-9]+{b}", named)
    # ASCII word boundaries only: the text is folded, so Albanian letters never sit at a boundary.
    # Every word-initial token carries its own leading boundary, so no match starts inside a word
    # ("F16", "A320"), while symbols (€, $, ~, +) start a match anywhere.
    return (
        "(?i)(?:"
        + _group("date", date, named)
        + "|" + _group("junk", junk, named)
        + "|" + wordy
        + "|" + ratio
        + "|" + _group("figure", figure, named)
        + "|" + lone
        + ")"
    )


@lru_cache(maxsize=1)
def candidate_patterns() -> tuple[str, re.Pattern]:
    vocabulary = load_vocabulary()
    scan = build_candidate_pattern(vocabulary, named=False)
    read = re.compile(build_candidate_pattern(vocabulary, named=True), re.ASCII)
    return scan, read


@lru_cache(maxsize=1)
def approximate_pattern() -> re.Pattern:
    """Any approximate or bound qualifier as a whole word in a lower-cased prefix ("about", "more than");
    one alternation compiled once, instead of a search per phrase for every candidate."""
    q = load_vocabulary().qualifiers
    phrases = sorted((q["approximate"] | q["bound"]) - {"~"}, key=lambda p: (-len(p), p))
    return re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(phrase) for phrase in phrases) + r")(?![a-z])")


