"""Figures: find numbers with their meaning (money, percents, counts, durations, years, dates) in article text.
One vectorised regex pass finds candidate spans; a small parser reads each distinct span into value and unit."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"

# Text is scanned in an ASCII-folded copy with exactly one character per original character, so
# character offsets carry over unchanged. Folding ë/ç lets the fast ASCII word boundary `(?-u:\b)`
# see Albanian words whole (and matches words typed without diacritics); spaces and dashes are unified.
FOLD_FROM = ["ë", "Ë", "ç", "Ç", "\u00a0", "\u202f", "\u2009", "\u2007", "\x00", "\u2013", "\u2014", "\u2212", "\u2019"]
FOLD_TO = ["e", "E", "c", "C", " ", " ", " ", " ", " ", "-", "-", "-", "'"]
MARK = "\x00"  # delimits candidates in the marked text; folding removes it from the input

OUTPUT_SCHEMA = {
    "article_id": pl.String,
    "field": pl.String,
    "surface": pl.String,
    "value": pl.Float64,
    "value_text": pl.String,
    "unit": pl.String,
    "counted": pl.String,
    "approximate": pl.Boolean,
    "char_start": pl.Int64,
    "char_end": pl.Int64,
}

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


# ---------------------------------------------------------------- patterns

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
def _patterns() -> tuple[str, re.Pattern]:
    vocabulary = load_vocabulary()
    scan = build_candidate_pattern(vocabulary, named=False)
    read = re.compile(build_candidate_pattern(vocabulary, named=True), re.ASCII)
    return scan, read


@lru_cache(maxsize=1)
def _approximate_pattern() -> re.Pattern:
    """Any approximate or bound qualifier as a whole word in a lower-cased prefix ("about", "more than");
    one alternation compiled once, instead of a search per phrase for every candidate."""
    q = load_vocabulary().qualifiers
    phrases = sorted((q["approximate"] | q["bound"]) - {"~"}, key=lambda p: (-len(p), p))
    return re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(phrase) for phrase in phrases) + r")(?![a-z])")


# ---------------------------------------------------------------- reading one candidate

# (start, end, value, value_text, unit, approximate) with offsets relative to the candidate
Reading = tuple[int, int, "float | None", "str | None", str, bool]
# How a reading's value follows from its digits: (number_start, number_end, decimal mark or None,
# half, scale, factor); value = (digits read with that decimal mark + half) * scale * factor.
Recipe = tuple[int, int, "str | None", float, float, float]


def parse_digits(digits: str, language: str | None, *, prefer_thousands: bool) -> float:
    """Read '1,200', '1.200', '1 200', '0,8', '1.200,5' by the language's separators.
    A lone separator before exactly three digits is ambiguous: English reads ',' as thousands and
    '.' as decimal, Albanian the reverse; counts (`prefer_thousands`) read it as thousands in both."""
    digits = digits.replace(" ", "")
    decimal = decimal_mark(digits, language, prefer_thousands=prefer_thousands)
    if decimal is None:
        return float(digits)
    thousands = "." if decimal == "," else ","
    return float(digits.replace(thousands, "").replace(decimal, "."))


def decimal_mark(digits: str, language: str | None, *, prefer_thousands: bool) -> str | None:
    """The decimal mark of `digits` by the rules of `parse_digits` (None when it has no ',' or '.');
    the other mark, if present, groups thousands. It depends only on where the marks sit, not on the
    digits, so one decision serves every number of the same shape."""
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:  # both present: the last one is the decimal mark
        return "," if digits.rfind(",") > digits.rfind(".") else "."
    if commas + dots == 0:
        return None
    mark = "," if commas else "."
    other = "." if mark == "," else ","
    groups = digits.split(mark)
    if len(groups) > 2:  # 1,200,000 / 1.200.000
        return other
    if len(groups[1]) != 3:
        return mark
    if prefer_thousands:
        return other
    if language in ("sq", "en"):
        return "," if language == "sq" else "."
    return other  # unknown language: three digits after one mark is most often a thousands group


def parse_number_words(words: str, vocabulary: FigureVocabulary) -> list[float]:
    """'twenty-five' -> [25], 'three hundred and fifty' -> [350], 'njëzet e pesë' -> [25]; words that
    cannot join into one compound ('five six') are returned as separate numbers."""
    phrase = re.sub(r"[ -]+", " ", words.lower()).strip()
    if phrase in vocabulary.numbers:  # "half a", "a dozen"
        return [vocabulary.numbers[phrase]]
    tokens = re.findall(r"[a-z]+", phrase)
    numbers: list[float] = []
    current: float | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in ("and", "e") or (token == "a" and index + 1 < len(tokens) and tokens[index + 1] == "dozen"):
            index += 1
            continue
        if token in vocabulary.hundreds and current is not None:
            current *= vocabulary.hundreds[token]
        elif token in vocabulary.numbers or token in vocabulary.hundreds:
            value = vocabulary.numbers.get(token, vocabulary.hundreds.get(token))
            joins = current is not None and (
                (current % 100 == 0 and value < 100) or (current % 10 == 0 and current >= 20 and value < 10)
            )
            if joins:
                current += value
            else:
                if current is not None:
                    numbers.append(current)
                current = value
        index += 1
    if current is not None:
        numbers.append(current)
    return numbers


def _amount(match: re.Match, index: int, vocabulary: FigureVocabulary, language: str | None) -> dict | None:
    group = match.group
    if group(f"amount{index}") is None:
        return None
    with_prefix = group(f"currency{index}") is not None
    number = group(f"number{index}") if with_prefix else group(f"number{index}_")
    scale_word = group(f"scale{index}") if with_prefix else group(f"scale{index}_")
    half = group(f"half{index}") if with_prefix else group(f"half{index}_")
    unit_word = rateable_word = denominator = None
    if with_prefix:
        denominator = group(f"prefix_denominator{index}")
    else:
        for tag in (f"{index}s", f"{index}"):
            unit_word = unit_word or group(f"unit{tag}")
            rateable_word = rateable_word or group(f"rateable{tag}")
            denominator = denominator or group(f"denominator{tag}")
    scale = 1.0
    if scale_word:
        key = scale_word.lower()
        scale = vocabulary.scales.get(key) or vocabulary.money_scales.get(key) or 1.0
        if scale_word in ("m", "M", "k", "K", "b", "B") and not with_prefix:
            scale = vocabulary.money_scales[key]
    unit, factor = "count", 1.0
    if with_prefix:
        symbol = group(f"currency{index}")
        unit = vocabulary.currency_symbols.get(symbol) or vocabulary.currency_codes[symbol]
    elif unit_word:
        unit, factor = vocabulary.units[re.sub(" +", " ", unit_word.lower())]
    elif rateable_word:
        key = re.sub(" +", " ", rateable_word)
        unit = (
            vocabulary.currency_codes.get(key)
            or vocabulary.currency_symbols.get(key)
            or vocabulary.currency_words.get(key.lower())
            or vocabulary.units[key.lower()][0]
        )
        factor = vocabulary.units.get(key.lower(), (unit, 1.0))[1]
    span = match.span(f"amount{index}")
    if denominator:
        per = vocabulary.denominators[re.sub(" +", " ", denominator.lower())]
        if per in TIME_DENOMINATORS and unit != "barrel":
            # "100,000 tonnes a year", "100 mijë lekë në muaj": the amount, not a rate
            denominator_group = next(n for n in (f"prefix_denominator{index}", f"denominator{index}s", f"denominator{index}") if n in match.re.groupindex and match.group(n))
            unit_end = max(e for e in (match.end(n) for n in (f"rateable{index}s", f"rateable{index}", f"scale{index}", f"number{index}", f"number{index}_", f"scale{index}_", f"half{index}", f"half{index}_") if n in match.re.groupindex) if e <= match.start(denominator_group))
            span = (span[0], unit_end)
        else:
            unit = f"{unit}_per_{per}"
    is_digits = number[:1].isdigit()
    decimal = None
    if is_digits:
        prefer_thousands = unit == "count" and scale == 1.0
        decimal = decimal_mark(number.replace(" ", ""), language, prefer_thousands=prefer_thousands)
        values = [parse_digits(number, language, prefer_thousands=prefer_thousands)]
    else:
        values = parse_number_words(number, vocabulary) or [0.0]
    if half:
        values[-1] += 0.5
    unit_by_value = unit == "age_or_years"
    if unit_by_value:
        unit = "age" if values[-1] > AGE_ABOVE_YEARS else "years"
    number_span = match.span(f"number{index}" if with_prefix else f"number{index}_")
    return {
        "values": values,
        "scale": scale,
        "has_scale": bool(scale_word),
        "factor": factor,
        "unit": unit,
        "has_unit": unit != "count",
        "start": span[0],
        "end": span[1],
        "number_start": number_span[0],
        "number_end": number_span[1],
        "decimal": decimal,
        "half": 0.5 if half else 0.0,
        "digits": number if is_digits else None,
        "word": number.lower() if not is_digits else None,
        "unit_by_value": unit_by_value,
    }


def _date_reading(match: re.Match, vocabulary: FigureVocabulary) -> list[Reading]:
    """One date, two dates for a day range (5-6 tetor), or two years for a season (2023-24)."""
    text = match.group(0)
    numbers = [int(n) for n in re.findall(r"[0-9]+", text)]
    if match.group("season"):
        first, short = numbers
        second = first // 100 * 100 + short
        if not (YEAR_RANGE[0] <= first < second <= YEAR_RANGE[1]):
            return []
        split = re.search(r"[-/]", text).start()
        return [(0, split, float(first), None, "year", False), (split + 1, len(text), float(second), None, "year", False)]
    if match.group("year_first_date"):
        year, month, day = numbers
        days = [(0, len(text), day)]
    elif match.group("numeric_date"):
        day, month, year = numbers
        if year < 100:
            year += 2000
        if month > 12 and day <= 12:  # US order 10/16/2025
            day, month = month, day
        days = [(0, len(text), day)]
    else:
        month_word = next(w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in vocabulary.months)
        month = vocabulary.months[month_word.lower()]
        if match.group("month_year"):
            return [(0, len(text), None, f"{numbers[0]:04d}-{month:02d}", "date", False)]
        year = numbers[2] if len(numbers) > 2 and (match.group("day_range_month") or match.group("month_day_range")) else None
        if match.group("day_month") or match.group("month_day"):
            year = numbers[1] if len(numbers) > 1 else None
        if match.group("day_range_month"):
            first_end = re.match(r"[0-9]+(?:st|nd|rd|th)?", text, re.IGNORECASE).end()
            second_start = re.search(r"[0-9]", text[first_end:]).start() + first_end
            days = [(0, first_end, numbers[0]), (second_start, len(text), numbers[1])]
        elif match.group("month_day_range"):
            digits = list(re.finditer(r"[0-9]+(?:st|nd|rd|th)?", text, re.IGNORECASE))
            days = [(0, digits[0].end(), numbers[0]), (digits[1].start(), len(text), numbers[1])]
        else:
            days = [(0, len(text), numbers[0])]
    if not 1 <= month <= 12 or any(not 1 <= day <= 31 for _, _, day in days):
        return []
    return [
        (start, end, None, f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}", "date", False)
        for start, end, day in days
    ]


def prefix_words_lower(prefix_lower: str, phrases: set[str]) -> list[str]:
    """The phrases of `phrases` that occur as whole words in a lower-cased prefix."""
    return [phrase for phrase in phrases if re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", prefix_lower)]


def _bare_integer(amount: dict) -> bool:
    digits = amount["digits"]
    return digits is not None and digits.isdigit() and not amount["has_unit"] and not amount["has_scale"]


def _clock_shaped(digits: str | None) -> bool:
    return digits is not None and re.fullmatch(r"[0-9]{1,2}\.[0-9]{2}", digits) is not None


def _is_clock_time(digits: str | None) -> bool:
    return _clock_shaped(digits) and int(digits[:-3]) <= 24 and int(digits[-2:]) < 60


def _year_shaped(digits: str) -> bool:
    return len(digits) == 4 and digits.isdigit()


def _is_year(amount: dict, approximate: bool) -> bool:
    digits = amount["digits"]
    return (
        digits is not None
        and _year_shaped(digits)
        and YEAR_RANGE[0] <= int(digits) <= YEAR_RANGE[1]
        and not amount["has_scale"]
        and not amount["has_unit"]
        and not approximate
    )


def read_candidate(candidate: str, language: str | None, *, after_name: bool = False) -> list[Reading]:
    """The figures in one candidate span (ASCII-folded text as matched by the scan); `after_name`
    when a capitalised word that names something comes right before it ("Boeing 737")."""
    return _read_with_recipes(candidate, language, after_name)[0]


def _read_with_recipes(
    candidate: str, language: str | None, after_name: bool
) -> tuple[list[Reading], list[Recipe] | None]:
    """The readings of one candidate and, when every value is a plain function of its digits, one
    recipe per reading; None when a value or a choice depends on what the digits are (a date, a ratio,
    a possible year, a range that shares its scale only below 1000) or on number words."""
    vocabulary = load_vocabulary()
    match = _patterns()[1].match(candidate)
    if match is None or match.group("junk") is not None:
        return [], None
    if match.group("date") is not None:
        return _date_reading(match, vocabulary), None
    if match.group("ratio") is not None:
        top, bottom = (int(n) for n in re.findall(r"[0-9]+", match.group("ratio")))
        start, end = match.span("ratio")
        return ([(start, end, top / bottom, None, "fraction", False)] if 0 < top <= bottom else []), None
    if match.group("figure") is None:
        prefix = (match.group("wordy_prefix") or match.group("lone_prefix") or "").strip().lower()
        approximate = bool(prefix)
        for name, table, unit in (
            ("fraction", vocabulary.fractions, "fraction"),
            ("lone_fraction", vocabulary.lone_fractions, "fraction"),
            ("multiplier", vocabulary.multipliers, "multiplier"),
        ):
            if match.group(name):
                start, end = match.span(name)
                value = table[re.sub(" +", " ", match.group(name).lower())]
                return [(start, end, value, None, unit, approximate)], None
        return [], None
    return _figure_readings(match, vocabulary, language, after_name)


def _figure_readings(
    match: re.Match, vocabulary: FigureVocabulary, language: str | None, after_name: bool
) -> tuple[list[Reading], list[Recipe] | None]:
    if match.group("clock") is not None:
        return [], None
    q = vocabulary.qualifiers
    prefix_words = re.findall(r"[A-Za-z~]+(?: +[A-Za-z]+)*", match.group("prefix") or "")
    prefix_text = " ".join(prefix_words)
    prefix_lower = prefix_text.lower()
    approximate = "~" in (match.group("prefix") or "") or (
        bool(prefix_lower) and _approximate_pattern().search(prefix_lower) is not None
    )
    first = _amount(match, 1, vocabulary, language)
    second = _amount(match, 2, vocabulary, language)
    amounts = [a for a in (first, second) if a]
    join = (match.group("join") or "").strip().lower()
    score_shaped = bool(second) and join == "-" and all(_bare_integer(a) for a in amounts)
    if score_shaped and int(second["digits"]) <= int(first["digits"]) < 200:
        return [], None  # "10-6", "2-0": a score or a record, not a range (ranges rise: "20-30")
    if second and join in ("and", "dhe") and not any(w in q["range_start"] for w in prefix_lower.split()):
        second["shares"] = False  # "34,2% dhe 50 mandate": a list, not a range
    # Only plain digit amounts that cannot be years have a value that is a function of their digits.
    if second and _is_year(first, approximate) and not _year_shaped(second["digits"] or ""):
        # "trimmed 2026 to 3.1 percent", "për vitin 2026 në 0,8 për qind": a year, then a figure; a
        # year and a non-year are never the two ends of one range.
        second["shares"] = False
    if any(word in q["age_word"] for word in prefix_words_lower(prefix_lower, q["age_word"])):
        for amount in amounts:
            if not amount["has_unit"] and not amount["has_scale"]:
                amount.update(unit="age", has_unit=True)  # "aged 35", "në moshën 35"
    by_recipe = all(
        a["digits"] is not None and not _year_shaped(a["digits"]) and not a["unit_by_value"]
        and not (language == "sq" and not a["has_unit"] and not a["has_scale"] and _clock_shaped(a["digits"]))
        for a in amounts
    ) and not score_shaped
    if second and second.get("shares", True):
        by_recipe = by_recipe and first["has_scale"] == second["has_scale"]
        # A range shares what only one end states: "20-30%", "between 5 and 7 million", "$5 to 7bn".
        if not first["has_unit"] and second["has_unit"]:
            first.update(unit=second["unit"], factor=second["factor"], has_unit=True)
        if not second["has_unit"] and first["has_unit"]:
            second.update(unit=first["unit"], factor=first["factor"], has_unit=True)
        if not first["has_scale"] and second["has_scale"] and first["values"][-1] < 1000:
            first.update(scale=second["scale"], has_scale=True)
        if not second["has_scale"] and first["has_scale"] and second["values"][-1] < 1000:
            second.update(scale=first["scale"], has_scale=True)
    readings: list[Reading] = []
    recipes: list[Recipe] = []
    for amount in amounts:
        if language == "sq" and not amount["has_unit"] and not amount["has_scale"] and _is_clock_time(amount["digits"]):
            continue  # "nga ora 18.30", "18.00-21.00": Albanian decimals take a comma, so this is a time
        if after_name and amount is first and amount["digits"] and not amount["has_unit"] and not amount["has_scale"]:
            if not _is_year(amount, approximate):
                continue  # "Boeing 737", "Windows 11": a name with a number, not a quantity
        if _is_year(amount, approximate):
            year = int(amount["digits"])
            readings.append((amount["start"], amount["end"], float(year), None, "year", False))
            continue
        if amount["word"] and not amount["has_unit"] and not amount["has_scale"] and amount["values"] == [1.0]:
            continue  # "one of", "një" (also the indefinite article): not a quantity without a unit
        values = amount["values"]
        if len(values) > 1:  # words that do not compound ("five six"): keep the last as the amount
            values = values[-1:]
        value = values[0] * amount["scale"] * amount["factor"]
        readings.append((amount["start"], amount["end"], value, None, amount["unit"], approximate))
        recipes.append(
            (amount["number_start"], amount["number_end"], amount["decimal"], amount["half"], amount["scale"], amount["factor"])
        )
    return readings, (recipes if by_recipe else None)


# ---------------------------------------------------------------- the frame-level pass

# The words after a count: up to two words, optionally after the Albanian particle of a
# substantivised participle ("300 të plagosur").
COUNTED_WINDOW = 60  # characters after a count searched for what it counts
# A one-letter word is never the noun counted (`39 u arrestuan`: u is a particle).
COUNTED_PATTERN = r"^([ \u00a0\u202f]+(?:t[eë] +)?)(\p{L}[\p{L}'-]+)(?:( +)(\p{L}[\p{L}'-]*))?"


# A capitalised word and spaces ending the gap before a candidate. The gap starts where a candidate
# ended, and candidates end at a word boundary, so the gap's start is a boundary as well.
NAME_BEFORE_PATTERN = r"(?-u:\b)([A-Z][a-z]+) +$"


# Between the figures of a list of ages ("aged 33, 34 and 39"); before an appositive age, a name
# and a comma ("Gjose Tanevski, 62, a voter").
AGE_LIST_GAP = r"^(?:\s*,\s*(?:(?:and|dhe|e|or|ose)\s+)?|\s+(?:and|dhe|e|or|ose)\s+)$"
NAME_AND_COMMA_BEFORE = r"(?:^|[^\p{L}])(\p{Lu}[\p{Ll}'’-]+),\s*$"


def _not_names() -> list[str]:
    """Capitalised words before a number that do not name a thing ("In 2020", "About 5", "March 3")."""
    vocabulary = load_vocabulary()
    q = vocabulary.qualifiers
    return sorted(q["lead_word"] | q["approximate"] | q["bound"] | q["range_start"] | q["year_word"] | set(vocabulary.months))


def _candidates(texts: pl.DataFrame) -> pl.DataFrame:
    """Candidate spans (folded text) with character offsets, found by one regex pass over all texts.
    The scan wraps every match in MARK characters and splits on them: even pieces are gaps, odd
    pieces are candidates, and running sums of piece lengths in characters give the offsets.
    `after_name` says whether the gap before a candidate ends in a capitalised name."""
    scan, _ = _patterns()
    pieces = (
        pl.col("text")
        .str.replace_many(FOLD_FROM, FOLD_TO)
        .str.replace_all(scan, MARK + "${0}" + MARK)
        .str.split(MARK)
    )
    lengths = pl.col("pieces").list.eval(pl.element().str.len_chars().cast(pl.Int64))
    return (
        texts.select("row", "language", pieces=pieces)
        .with_columns(ends=lengths.list.eval(pl.element().cum_sum()))
        .select(
            "row",
            "language",
            candidate=pl.col("pieces").list.gather_every(2, offset=1),
            candidate_end=pl.col("ends").list.gather_every(2, offset=1),
            gap_before=pl.col("pieces").list.gather_every(2).list.head(pl.col("pieces").list.len() // 2),
            comma_after=pl.col("pieces").list.gather_every(2, offset=2).list.eval(pl.element().str.contains(r"^\s*,")),
        )
        .explode("candidate", "candidate_end", "gap_before", "comma_after")
        .drop_nulls("candidate")
        .with_columns(
            candidate_start=pl.col("candidate_end") - pl.col("candidate").str.len_chars().cast(pl.Int64),
            after_name=pl.col("gap_before")
            .str.extract(NAME_BEFORE_PATTERN)
            .str.to_lowercase()
            .is_in(_not_names())
            .not_()
            .fill_null(False),
            # For ages in context (`_ages_in_context`); both patterns are anchored, so they read
            # only the start or the end of a gap.
            list_gap_before=pl.col("gap_before").str.contains(AGE_LIST_GAP),
            name_comma_before=pl.col("gap_before")
            .str.extract(NAME_AND_COMMA_BEFORE, 1)
            .str.to_lowercase()
            .is_in(_not_names())
            .not_()
            .fill_null(False),

        )
        .drop("gap_before")
    )


READING_SCHEMA = {
    "candidate": pl.String,
    "language": pl.String,
    "after_name": pl.Boolean,
    "start": pl.Int64,
    "end": pl.Int64,
    "value": pl.Float64,
    "value_text": pl.String,
    "unit": pl.String,
    "approximate": pl.Boolean,
}


def _readings(candidates: pl.DataFrame) -> pl.DataFrame:
    """Read every distinct (candidate, language, after_name) and hand the readings back to each span
    by an inner join (a candidate with two readings, a range, yields two rows; junk yields none).
    Numbers vary far more than the words around them, so candidates are grouped by shape (digits 1-9
    written as 9) and Python reads one candidate per shape; where that reading says how each value
    follows from the digits (a recipe), column expressions apply it to the whole group. Shapes whose
    values are not a function of their digits (dates, possible years, words) are read one by one."""
    reading_key = ["candidate", "language", "after_name"]
    distinct = candidates.select(reading_key).unique().with_columns(
        shape=pl.col("candidate").str.replace_all("[1-9]", "9"),
        # Digits inside a word belong to it ("km2"), so they stay part of the key.
        word_digits=pl.col("candidate").str.extract_all("[A-Za-z_][0-9]+").list.join(" "),
    )
    shape_key = ["shape", "word_digits", "language", "after_name"]
    representatives = distinct.group_by(shape_key).agg(pl.col("candidate").first())
    recipe_rows, shapes_by_recipe = [], []
    for shape, word_digits, language, after_name, candidate in representatives.select(*shape_key, "candidate").iter_rows():
        readings, recipes = _read_with_recipes(candidate, language, after_name)
        shapes_by_recipe.append(recipes is not None)
        for (start, end, _, _, unit, approximate), recipe in zip(readings, recipes or []):
            recipe_rows.append((shape, word_digits, language, after_name, start, end, unit, approximate, *recipe))
    representatives = representatives.with_columns(by_recipe=pl.Series(shapes_by_recipe, dtype=pl.Boolean))
    distinct = distinct.join(representatives.select(*shape_key, "by_recipe"), on=shape_key, nulls_equal=True)
    one_by_one = [
        (candidate, language, after_name, *reading)
        for candidate, language, after_name in distinct.filter(~pl.col("by_recipe")).select(reading_key).iter_rows()
        for reading in read_candidate(candidate, language, after_name=after_name)
    ]
    recipe_key_schema = {"shape": pl.String, "word_digits": pl.String, "language": pl.String, "after_name": pl.Boolean}
    recipes = pl.DataFrame(recipe_rows, schema={**recipe_key_schema, **RECIPE_SCHEMA}, orient="row")
    by_recipe = (
        distinct.filter("by_recipe")
        .join(recipes, on=shape_key, nulls_equal=True)
        .with_columns(value=_recipe_value(), value_text=pl.lit(None, dtype=pl.String))
        .select(list(READING_SCHEMA))
    )
    readings = pl.concat([pl.DataFrame(one_by_one, schema=READING_SCHEMA, orient="row"), by_recipe])
    return candidates.join(readings, on=reading_key, how="inner", nulls_equal=True).with_columns(
        char_start=pl.col("candidate_start") + pl.col("start"),
        char_end=pl.col("candidate_start") + pl.col("end"),
    )


RECIPE_SCHEMA = {
    "start": pl.Int64,
    "end": pl.Int64,
    "unit": pl.String,
    "approximate": pl.Boolean,
    "number_start": pl.Int64,
    "number_end": pl.Int64,
    "decimal": pl.String,
    "half": pl.Float64,
    "scale": pl.Float64,
    "factor": pl.Float64,
}


def _recipe_value() -> pl.Expr:
    """`parse_digits` and the scaling of `_figure_readings` as one column expression, in the same
    order of operations so the floats are identical."""
    digits = pl.col("candidate").str.slice(pl.col("number_start"), pl.col("number_end") - pl.col("number_start"))
    digits = digits.str.replace_all(" ", "", literal=True)
    number = (
        pl.when(pl.col("decimal") == ",")
        .then(digits.str.replace_all(".", "", literal=True).str.replace_all(",", ".", literal=True))
        .otherwise(digits.str.replace_all(",", "", literal=True))
        .cast(pl.Float64)
    )
    return (number + pl.col("half")) * pl.col("scale") * pl.col("factor")


def _with_counted(figures: pl.DataFrame, texts: pl.DataFrame) -> pl.DataFrame:
    """Name what a count counts and extend the surface over it ("1,200 troops"). English puts
    adjectives first ("20 living hostages", "2,000 Palestinian prisoners"): when the first word is not
    a plural in -s and the second is a content word, the second is the noun. Albanian puts the
    noun first ("4.500 ushtarë të rinj"). Function words are never counted.
    Slicing a string at a character offset walks it from the start, so each figure cuts one short
    window (its span and the 60 characters after it) from the text, and later slices cut the window."""
    stopwords = sorted(load_vocabulary().stopwords)
    window_length = pl.col("char_end") - pl.col("char_start") + COUNTED_WINDOW
    figures = figures.join(texts.select("row", "article_id", "field", "text"), on="row").with_columns(
        window=pl.col("text").str.slice(pl.col("char_start"), window_length)
    ).drop("text")
    counts = figures.filter(pl.col("unit") == "count")
    words = (
        counts.select(pl.col("window").str.slice(pl.col("char_end") - pl.col("char_start")).str.extract_groups(COUNTED_PATTERN))
        .unnest("window")
        .rename({"1": "gap", "2": "first", "3": "space", "4": "second"})
    )
    gap, first, space, second = (pl.col(name) for name in ("gap", "first", "space", "second"))
    first_is_content = first.is_not_null() & ~first.str.to_lowercase().is_in(stopwords)
    second_is_noun = (
        second.is_not_null()
        & ~second.str.to_lowercase().is_in(stopwords)
        & second.str.contains(r"^\p{Ll}")
        & ~first.str.contains(r"(?:[^s]s|[ëe])$")
        & (pl.col("language").fill_null("en") != "sq")
    )
    counted_length = gap.str.len_chars() + first.str.len_chars() + pl.when(second_is_noun).then(
        space.str.len_chars() + second.str.len_chars()
    ).otherwise(0)
    counts = pl.concat([counts, words], how="horizontal").with_columns(
        counted=pl.when(first_is_content).then(pl.when(second_is_noun).then(second).otherwise(first).str.to_lowercase()),
        char_end=pl.col("char_end") + pl.when(first_is_content).then(counted_length).otherwise(0).cast(pl.Int64),
    )
    others = figures.filter(pl.col("unit") != "count").with_columns(counted=pl.lit(None, dtype=pl.String))
    return pl.concat([counts.select(others.columns), others]).with_columns(
        surface=pl.col("window").str.slice(0, pl.col("char_end") - pl.col("char_start"))
    )


def _ages_in_context(figures: pl.DataFrame) -> pl.DataFrame:
    """A bare integer count (no counted noun) is an age when it continues a list that an age opened
    ("aged 33, 34 and 39") or stands between commas after a name ("Tanevski, 62, said"). `figures` is
    sorted by text and offset, so a list is a run of linked neighbours, found with a forward fill;
    the gaps were judged once in `_candidates`, so no text is cut here."""
    bare_count = (
        (pl.col("unit") == "count")
        & pl.col("counted").is_null()
        & pl.col("surface").str.contains(r"^[0-9]{1,3}$")
        & pl.col("value").is_between(1, 120)
    )
    same_text = pl.col("row") == pl.col("row").shift(1)
    same_candidate = same_text & (pl.col("candidate_start") == pl.col("candidate_start").shift(1))
    # The second figure of one candidate ("34 and 39") is joined to the first by the candidate's own
    # range or list word; the first figure of a candidate by the gap before it.
    linked = (bare_count & (same_candidate | (same_text & pl.col("list_gap_before")))).fill_null(False)
    run_first_unit = pl.when(~linked).then(pl.col("unit")).forward_fill()
    appositive = bare_count & pl.col("name_comma_before") & pl.col("comma_after")
    return figures.with_columns(
        unit=pl.when((linked & (run_first_unit == "age")) | appositive).then(pl.lit("age")).otherwise("unit")
    )


def extract_figures(texts: pl.DataFrame) -> pl.DataFrame:
    """texts: article_id, field, text and optionally language ('en'|'sq'|None).
    Returns one row per figure: article_id, field, surface, value, value_text, unit, counted,
    approximate, char_start, char_end (character offsets; text[char_start:char_end] == surface)."""
    if "language" not in texts.columns:
        texts = texts.with_columns(language=pl.lit(None, dtype=pl.String))
    texts = texts.with_columns(pl.col("text").fill_null("")).with_row_index("row")
    candidates = _candidates(texts)
    if candidates.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    figures = _with_counted(_readings(candidates), texts)
    return (
        _ages_in_context(figures.sort("row", "char_start"))
        .select(list(OUTPUT_SCHEMA))
        .cast(OUTPUT_SCHEMA)
    )
