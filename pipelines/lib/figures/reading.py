"""Read one candidate span into figures (value, unit, offsets) and, where values follow from the digits, into recipes.
Number formats by language, number words, ranges, years, ages, dates, clock times and scores are decided here."""

from __future__ import annotations

import re

from pipelines.lib.figures.patterns import approximate_pattern, candidate_patterns
from pipelines.lib.figures.vocabulary import AGE_ABOVE_YEARS, TIME_DENOMINATORS, YEAR_RANGE, FigureVocabulary, load_vocabulary


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
    return read_with_recipes(candidate, language, after_name)[0]


def read_with_recipes(
    candidate: str, language: str | None, after_name: bool
) -> tuple[list[Reading], list[Recipe] | None]:
    """The readings of one candidate and, when every value is a plain function of its digits, one
    recipe per reading; None when a value or a choice depends on what the digits are (a date, a ratio,
    a possible year, a range that shares its scale only below 1000) or on number words."""
    vocabulary = load_vocabulary()
    match = candidate_patterns()[1].match(candidate)
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
        bool(prefix_lower) and approximate_pattern().search(prefix_lower) is not None
    )
    first = _amount(match, 1, vocabulary, language)
    second = _amount(match, 2, vocabulary, language)
    amounts = [a for a in (first, second) if a]
    join = (match.group("join") or "").strip().lower()
    score_shaped = bool(second) and join == "-" and all(_bare_integer(a) for a in amounts)
    # Lengths first: int() refuses digit runs over 4,300 characters, and a score has at most three.
    if (score_shaped and len(first["digits"]) <= 3 and len(second["digits"]) <= 3
            and int(second["digits"]) <= int(first["digits"]) < 200):
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


