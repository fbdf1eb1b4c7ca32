"""Header segments: the parts of a header line between separators (byline, source, section, outlet)
and the date line with what is glued around its dates."""

from __future__ import annotations

import re
from functools import lru_cache

from pipelines.lib.header_reference import fold_text, load_sections
from pipelines.lib.metadata.bylines import looks_like_person_name, lookup_outlet, parse_byline, proper_case_name
from pipelines.lib.metadata.dates import candidate_from_match, date_matches, residual_date
from pipelines.lib.metadata.fields import WHITESPACE, HeaderFields
from pipelines.lib.metadata.patterns import header_patterns

@lru_cache(maxsize=8192)
def match_section(text: str) -> tuple[str, str] | None:
    """Section as written and its norm when the whole text is a known section name."""
    cleaned = text.strip(" .:|•·-–—[]")
    known = load_sections().get(fold_text(WHITESPACE.sub(" ", cleaned)))
    return (cleaned, known[0]) if known else None


def _classify_segment(segment: str, fields: HeaderFields, previous_kind: str | None, after_dash: bool) -> str | None:
    """Kind of one header segment ('byline', 'source', 'section', ...) after filling its fields."""
    patterns = header_patterns()
    if parse_byline(segment, fields):
        return "byline"
    source = patterns.source.match(segment)
    if source:
        names = [name.strip(" .") for name in re.split(r"\s*[,;/]\s*|\s+(?:and|dhe|&)\s+", source.group("name"))]
        known = [lookup_outlet(name) for name in names if name]
        written = [match[0] if match else name for match, name in zip(known, [n for n in names if n])]
        fields.set("outlet", ", ".join(written), "source_label" if all(known) else "source_label_unlisted")
        return "source"
    if patterns.photo.match(segment):
        return "credit"
    if patterns.media_line.match(segment):
        return "media"
    section = match_section(segment)
    if section:
        fields.set("section", section[0], "section_segment")
        fields.set("section_norm", section[1], "sections_tsv")
        return "section"
    known = lookup_outlet(segment)
    if known:
        if known[1] != "staff":
            fields.set("outlet", known[0], "outlet_segment")
        return "outlet"
    residual = residual_date(segment)
    if residual is not None:
        # 'dje, 14:30 | Ekonomi', 'Nga A B | 2 orë më parë': a date shape the fast patterns do not know.
        fields.dates.append(residual)
        return "date"
    if previous_kind == "outlet" and _looks_like_place(segment):
        return "place"  # 'By A B | BIRN | Belgrade': where the reporter filed from
    if previous_kind == "byline" and _looks_like_outlet_name(segment):
        rule = "byline_dash_unlisted_outlet" if after_dash else "byline_segment_unlisted_outlet"
        fields.set("outlet", segment.strip(), rule)
        return "outlet"
    return None


def _looks_like_place(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 3 and all(word[:1].isupper() and word.isalpha() for word in words)


def _looks_like_outlet_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 5 and all(word[0].isupper() or word[0].isdigit() or len(word) <= 3 for word in words)


SEGMENT_SEPARATOR_CHARACTERS = "|•·–—-"


def _has_separator(text: str) -> bool:
    return any(character in text for character in SEGMENT_SEPARATOR_CHARACTERS)


# In a cached segment reading, the entry that carries a date candidate rather than a field value.
DATE_SEGMENT = "date_candidate"


def parse_segments(text: str, fields: HeaderFields, *, lenient: bool = False) -> bool:
    """True when every separator-delimited segment of text is a header field.

    lenient: keep the fields of the segments that are known and skip the others (used after a
    date, where a separator already shows that what follows is header, not a sentence)."""
    accepted, found = _read_segments(text, lenient)
    if accepted:
        # Replaying the first value per field onto `fields` keeps first-wins semantics of `set`.
        for name, value, rule in found:
            if name == DATE_SEGMENT:
                fields.dates.append(value)
            else:
                fields.set(name, value, rule)
    return accepted


@lru_cache(maxsize=8192)
def _read_segments(text: str, lenient: bool) -> tuple[bool, tuple[tuple[str, object, str], ...]]:
    """(accepted, the fields the segments set, in order). Classifying a segment never reads the
    fields already known, so the reading of a text is cached: bylines and sections recur across articles."""
    pieces = header_patterns().segment_split.split(text) if _has_separator(text) else [text]
    # split() with a capturing group alternates segment, separator, segment, ...
    segments = [(pieces[index], pieces[index - 1] if index else "") for index in range(0, len(pieces), 2)]
    segments = [(segment, separator) for segment, separator in segments if segment.strip(" ,")]
    if not segments:
        return True, ()
    trial = HeaderFields()
    previous_kind = None
    for segment, separator in segments:
        after_dash = separator.strip() in ("-", "–", "—")
        previous_kind = _classify_segment(segment.strip(" ,"), trial, previous_kind, after_dash)
        if previous_kind is None and not lenient:
            return False, ()
    found = tuple((name, value, trial.rules[name]) for name, value in trial.values.items())
    return True, found + tuple((DATE_SEGMENT, candidate, candidate.rule) for candidate in trial.dates)


def _parse_after_date(rest: str, fields: HeaderFields, date_rule_parts: list[str]) -> str | None:
    """Read what follows a date on its line; returns leftover text (a glued title) if any."""
    separated = bool(re.match(r"\s*(?:\||•|·|\s[–—-]\s)", rest))
    rest = rest.strip(" \t|•·,;–—-/")
    if not rest:
        return None
    if parse_segments(rest, fields):
        return None
    patterns = header_patterns()
    section_match = patterns.section_prefix.match(rest)
    if section_match:
        after = rest[section_match.end():].strip(" |•·,;–—-/")
        trial = HeaderFields(dict(fields.values), dict(fields.rules))
        if not after or parse_segments(after, trial):
            fields.values, fields.rules = trial.values, trial.rules
            section = section_match.group("section")
            fields.set("section", section, "section_glued_after_date")
            fields.set("section_norm", load_sections()[fold_text(WHITESPACE.sub(" ", section))][0], "sections_tsv")
            date_rule_parts.append("glued_section")
            return None
    if looks_like_person_name(rest) and match_section(rest) is None:
        fields.set("author", proper_case_name(rest), "unlabelled_name_after_date")
        return None
    if separated and "labelled" not in date_rule_parts:
        parse_segments(rest, fields, lenient=True)
        return None
    # An unlisted section sits between the date and a byline label: '… 20:51Opinione Nga A B'.
    for label_match in re.finditer(r"(?<=\s)(?=\S)", rest):
        head, tail = rest[:label_match.start()].strip(), rest[label_match.start():]
        if len(head.split()) <= 3 and head[:1].isupper() and parse_byline(tail, None):
            parse_byline(tail, fields)
            fields.set("section", head, "section_unlisted_before_byline")
            date_rule_parts.append("glued_section")
            return None
    return rest


# A comma and at most this many capitalised words after a date are a place ('…, UK', '…, Tiranë').
TRAILING_PLACE_MAX_WORDS = 2


def _is_trailing_place(after: str, leftover: str) -> bool:
    words = leftover.split()
    return (after.lstrip().startswith(",") and 0 < len(words) <= TRAILING_PLACE_MAX_WORDS
            and all(word[:1].isupper() and word.isalpha() for word in words))


def _accept_date_prefix(prefix: str, fields: HeaderFields) -> bool:
    """An unlabelled date counts only at line start or after header segments and a separator."""
    stripped = prefix.strip()
    if not stripped.strip(" |•·,;–—-/"):
        return True
    if not re.search(r"[|•·,;/–—-]\s*$", stripped):
        return False
    before_separator = stripped.rstrip(" |•·,;–—-/")
    if parse_segments(before_separator, fields):
        return True
    if _DATELINE_PLACE.match(before_separator):
        fields.set("dateline_place", before_separator, "dateline_before_date")
        return True
    return False


# 'THE HAGUE, 25 June 2025': an upper-case place name before the date (a dateline).
_DATELINE_PLACE = re.compile(
    r"^(?:[^\W\d_a-zçë](?:[^\W\d_a-zçë]|['’.])+(?:[ -][^\W\d_a-zçë](?:[^\W\d_a-zçë]|['’.])+){0,4}"  # THE HAGUE, N'DJAMENA, ST. LUCIA
    r"|[A-ZÇË][a-zçë]+(?:[ -][A-ZÇË][a-zçë]+)?)$"  # Podgoricë, New York
)


def parse_date_line(line: str, fields: HeaderFields) -> tuple[bool, str | None]:
    """(is a header date line, glued title text or None)."""
    matches = date_matches(line)
    if not matches:
        return False, None
    accepted_any = False
    glued_title = None
    cursor = 0
    for position, match in enumerate(matches):
        name = match.name
        if name == "words_month_year" and not match.groups.get("label"):
            continue  # a bare 'October 2025' is too weak without a label
        candidate = candidate_from_match(name, match)
        if candidate is None:
            continue
        labelled = bool(match.groups.get("label"))
        if not accepted_any:
            # What stands before the first date: header segments ('By A B | Updated …'), a dateline place.
            prefix_accepted = _accept_date_prefix(line[:match.start], fields)
            if not labelled and not prefix_accepted:
                continue
        if accepted_any and not labelled and line[cursor:match.start].strip(" |•·,;–—-/"):
            continue
        rule_parts = [name, "labelled" if labelled else "line_start" if not line[:match.start].strip() else "after_separator"]
        next_start = matches[position + 1].start if position + 1 < len(matches) else len(line)
        after = line[match.end:next_start]
        leftover = _parse_after_date(after, fields, rule_parts)
        if leftover is not None and _is_trailing_place(after, leftover):
            leftover = None  # 'Thursday 16 October 2025 22:05, UK': where it was filed, not a sentence
            rule_parts.append("trailing_place")
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


