"""Entity rule tables from pipelines/reference/entity_rules: Albanian inflection, honorifics, stop words, type words.
word_forms and alias_forms turn one alias into every surface form the inflection rules allow."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RULES_DIRECTORY = Path(__file__).resolve().parents[2] / "reference" / "entity_rules"
VOWELS = frozenset("aeiouyëAEIOUYË")

# A capitalised word, or digits then a capital (call signs and brands: '6PR', '3AW', '3M').
CAPITALISED_WORD = r"\p{N}*\p{Lu}[\p{L}\p{M}\p{N}’'.\-]*"
CORPORATE_TAIL = r"(?:\s(?:sh\.p\.k\.|shpk))"


@dataclass(frozen=True)
class InflectionRule:
    inflect_class: str
    ending: str
    strip: int
    suffixes: tuple[str, ...]
    hyphen: bool
    folds_keys: bool = True   # the suffixes are also case endings that fold unknown names to one key

    def applies_to(self, word: str) -> bool:
        if self.ending == "any":
            return True
        if self.ending == "consonant":
            return word[-1].isalpha() and word[-1] not in VOWELS
        return word.endswith(self.ending) and len(word) > len(self.ending) + 1


@dataclass(frozen=True)
class CandidateRules:
    stopwords: frozenset[str]
    titles: frozenset[str]
    modifiers: frozenset[str]
    type_words: tuple[tuple[str, str, str], ...]  # (word, position, entity_type)
    suffixes: tuple[str, ...]  # Albanian case endings, longest first, for collapsing inflected candidates
    edge_words: frozenset[str]  # titles, modifiers and stop words: trimmed from a run's edges
    type_word_set: frozenset[str]  # words after which a connector keeps a name together ('Bank of ...')
    tail_words: frozenset[str] = frozenset()  # stop words that still end a multi-word name ('Sky News')


def read_rule_lines(name: str) -> list[str]:
    text = (RULES_DIRECTORY / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def load_inflection_rules() -> tuple[InflectionRule, ...]:
    rows = csv.DictReader(read_rule_lines("inflection.tsv"), delimiter="\t")
    return tuple(
        InflectionRule(row["class"], row["ending"], int(row["strip"]), tuple(dict.fromkeys(row["suffixes"].split(","))),
                       row["hyphen"] == "yes", row["keys"] == "yes")
        for row in rows
    )


@lru_cache(maxsize=1)
def load_candidate_rules() -> CandidateRules:
    honorifics = list(csv.DictReader(read_rule_lines("honorifics.tsv"), delimiter="\t"))
    type_words_rows = list(csv.DictReader(read_rule_lines("organisation_words.tsv"), delimiter="\t"))
    suffixes = {suffix for rule in load_inflection_rules() if rule.inflect_class == "sq" and rule.folds_keys
                for suffix in rule.suffixes}
    return CandidateRules(
        stopwords=frozenset(word.lower() for word in read_rule_lines("name_stopwords.txt")),
        titles=frozenset(row["word"] for row in honorifics if row["role"] == "title"),
        modifiers=frozenset(row["word"] for row in honorifics if row["role"] == "modifier"),
        type_words=tuple((row["word"], row["position"], row["entity_type"]) for row in type_words_rows),
        suffixes=tuple(sorted(suffixes, key=len, reverse=True)),
        edge_words=frozenset(row["word"] for row in honorifics)
        | frozenset(word.lower() for word in read_rule_lines("name_stopwords.txt")),
        type_word_set=frozenset(row["word"] for row in type_words_rows),
        tail_words=frozenset(word.lower() for word in read_rule_lines("name_tail_words.txt")),
    )


def word_forms(word: str, inflect_class: str) -> list[str]:
    """The word and every form the suffix rules of its class allow: 'Putin' -> 'Putini', 'Putinit', 'Putin-it'..."""
    forms = [word]
    for rule in load_inflection_rules():
        if rule.inflect_class != inflect_class or not rule.applies_to(word):
            continue
        stem = word[: len(word) - rule.strip]
        forms += [stem + suffix for suffix in rule.suffixes]
        if rule.hyphen and rule.strip == 0:
            forms += [f"{word}-{suffix}" for suffix in rule.suffixes]
    if inflect_class == "acronym":
        forms = [word] + [form for form in forms[1:] if "-" in form]
    return list(dict.fromkeys(forms))


def alias_forms(alias: str, inflect: str, entity_type: str, language: str) -> list[str]:
    """Every surface form of an alias. Persons and foreign names inflect their last word (Edi Ramës);
    Albanian noun phrases inflect their first word and vary the linking article (Malit të Zi, Bashkimit Evropian)."""
    if inflect == "none":
        return [alias]
    words = alias.split(" ")
    if inflect == "acronym" or len(words) == 1:
        return [" ".join(words[:-1] + [form]) for form in word_forms(words[-1], inflect)]
    if entity_type == "PERSON" or language != "sq":
        return [" ".join(words[:-1] + [form]) for form in word_forms(words[-1], "sq")]
    articles = read_rule_lines("articles.txt")
    tails = [[]]
    for word in words[1:]:
        options = articles if word in articles else [word]
        tails = [tail + [option] for tail in tails for option in options]
    return [" ".join([form] + tail) for form in word_forms(words[0], "sq") for tail in tails]


CORPORATE_WORDS = ("sh.p.k.", "shpk")
# Lower-case words that may stand inside a name: 'Bank of England', 'Kuvendi i Kosovës', 'Qendra për ...',
# 'Avon dhe Somerset', 'Ursula von der Leyen'. Whether they do in a given run is the typer's choice.
CONNECTOR_WORDS = ("of", "the", "for", "and", "on", "de", "del", "der", "van", "von", "la", "le", "al", "bin", "da",
                   "di", "du", "dos", "das", "y", "e", "i", "të", "së", "për", "dhe")
NAME_CONNECTORS = "(?:" + "|".join(CONNECTOR_WORDS) + ")"
# The words of a name are on one line: a line break (a headline, a caption, a list line without a full stop) ends
# it, so 'Sarasota\nRaportimet' or 'Olympic Games\nAthens' are two runs.
LINE_SPACE = r"[^\S\n\r]"
NEXT_NAME_WORD = rf"{LINE_SPACE}(?:{NAME_CONNECTORS}{LINE_SPACE})?{CAPITALISED_WORD}"
