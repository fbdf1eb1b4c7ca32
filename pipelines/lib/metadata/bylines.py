"""Bylines: person names (proper case, particles), outlets and agencies, 'By A and B - Outlet'.
Agencies and newsroom desks from outlets.tsv are never authors."""

from __future__ import annotations

import re
from functools import lru_cache

from pipelines.lib.header_reference import fold_text, label_and_date_words, load_byline_roles, load_name_particles, load_outlets
from pipelines.lib.metadata.fields import AUTHOR_SEPARATOR, WHITESPACE, HeaderFields
from pipelines.lib.metadata.patterns import header_patterns

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
        # 'Arben GASHI': a surname in capitals inside a mixed-case name is proper-cased on its own.
        return " ".join(_proper_case_word(word, index == 0) if len(word) > 2 and word.isupper() else word
                        for index, word in enumerate(words))
    return " ".join(_proper_case_word(word, index == 0) for index, word in enumerate(words))


_NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’.-](?=[^\W\d_])|\.$)*\.?$")


def looks_like_person_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 5:
        return False
    particles = load_name_particles()
    vocabulary = label_and_date_words()
    roles = load_byline_roles()
    capitalised = 0
    for index, word in enumerate(words):
        if fold_text(word) in roles:
            return False  # 'Political Correspondent', 'Gazetare e Lajmeve': a role, not a person
        if not _NAME_WORD.match(word):
            return False
        if word[0].isupper():
            capitalised += 1
            if fold_text(word.rstrip(".")) in vocabulary and len(word) > 2 and fold_text(word) not in particles:
                # A month, weekday or label word is not part of a person's name.
                return False
        elif index == 0 or word not in particles:
            return False
    return capitalised >= 2


# Byline labels that are also common words of a sentence or title.
BARE_BYLINE_LABELS = frozenset({"nga", "by"})


def looks_like_single_name(text: str) -> bool:
    """One capitalised word that is not a header word: 'Arsim', 'ARSIM', 'O'Brien'."""
    if " " in text or len(text) < 2 or not _NAME_WORD.match(text) or not text[0].isupper():
        return False
    return fold_text(text.rstrip(".")) not in label_and_date_words()


@lru_cache(maxsize=8192)
def lookup_outlet(text: str) -> tuple[str, str] | None:
    key = fold_text(text.strip(" .,;:()[]"))
    outlets = load_outlets()
    if key in outlets:
        return outlets[key]
    if key.startswith("the ") and key[4:] in outlets:
        return outlets[key[4:]]
    return None


NAME_IN_PLACE = re.compile(r"^(?P<name>.+?)\s+(?:in|në|nga|from|at|for|për)\s+[A-ZÇË][^\s]*(?:\s+[A-ZÇË][^\s]*){0,2}$")
_BRACKETED_OUTLET = re.compile(r"\s*[(\[](.+?)[)\]]\s*$")
_NAME_LIST_SPLIT = re.compile(r"\s+[-–—|/]\s+|\s*,\s*|\s+(?:and|dhe|&)\s+")


def parse_byline(text: str, fields: HeaderFields | None) -> bool:
    """Read 'By A and B - Outlet' style text; fills author/outlet when fields is given."""
    match = header_patterns().byline.match(text.strip())
    if not match:
        return False
    label_slug = fold_text(WHITESPACE.sub("_", match.group("label")))
    names_text = _BRACKETED_OUTLET.sub(r" - \1", match.group("names")).strip()
    parts = _NAME_LIST_SPLIT.split(names_text)
    authors: list[str] = []
    outlet = None
    staff = False
    # One-word names ('Nga: Arsim') are taken after a colon or a label that can only mean a byline
    # ('Shkruar nga', 'Written by'); after a bare 'Nga'/'By' one word is too weak ('Nga Tirana …').
    one_word_names = bool(match.group("colon")) or fold_text(match.group("label")) not in BARE_BYLINE_LABELS
    for index, part in enumerate(part.strip(" .;:") for part in parts):
        if not part:
            continue
        if one_word_names and looks_like_single_name(part):
            if lookup_outlet(part) is None:
                authors.append(proper_case_name(part))
                continue
        if index == 0 and not looks_like_person_name(part):
            # 'Nga korrespondentja jonë Valbona Hysa', 'By our correspondent Jane Doe': role words first.
            part = re.sub(r"^(?:[a-zçë]+\s+){1,3}(?=[A-ZÇË])", "", part)
        if not looks_like_person_name(part) and (placed := NAME_IN_PLACE.match(part)):
            part = placed.group("name")  # 'Jane Doe in Tirana', 'Arben Gashi në Prishtinë': the place is not a name
        known = lookup_outlet(part)
        if known:
            staff |= known[1] == "staff"
            outlet = outlet or (known[0] if known[1] != "staff" else None)
        elif looks_like_person_name(part):
            authors.append(proper_case_name(part))
        elif index == 0:
            return False
        # Later parts that are not names ('former ambassador') are role descriptions: ignored.
    if not authors and not outlet and not staff:
        return False
    if fields is not None:
        upper = "_upper" if any(author.upper() != author and part_is_upper(names_text) for author in authors) else ""
        if authors:
            fields.set("author", AUTHOR_SEPARATOR.join(authors), f"byline_{label_slug}{upper}")
        if outlet:
            fields.set("outlet", outlet, f"byline_{label_slug}_outlet")
    return True


def part_is_upper(text: str) -> bool:
    letters = [character for character in text if character.isalpha()]
    return bool(letters) and all(character.isupper() for character in letters)


