"""Find gazetteer entities in article text (one Aho-Corasick pass, Albanian inflection by rule) and link them.
Bare surnames and ambiguous names are resolved per article; unknown capitalised names become `cand:` candidates."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick_rs
import polars as pl

from pipelines.lib.gazetteer import Gazetteer, slugify

RULES_DIRECTORY = Path(__file__).resolve().parent.parent / "reference" / "entity_rules"
VOWELS = frozenset("aeiouyëAEIOUYË")
MENTION_SCHEMA = {
    "article_id": pl.String,
    "field": pl.String,
    "entity_id": pl.String,
    "surface": pl.String,
    "char_start": pl.Int64,
    "char_end": pl.Int64,
    "match_rule": pl.String,
    "linked": pl.Boolean,
    "candidate_type": pl.String,
}
# A capitalised word: an upper-case letter, then letters, marks, apostrophes, dots of initials or inner hyphens.
CAPITALISED_WORD = r"\p{Lu}[\p{L}\p{M}\p{N}’'.\-]*"
NAME_CONNECTORS = r"(?:of|the|for|and|de|del|der|van|von|la|al|bin|e|i|të|së)"
CORPORATE_TAIL = r"(?:\s(?:sh\.p\.k\.|shpk))?"
# Runs of capitalised words, optionally with lower-case connectors or a preceding honorific. The Rust regex
# engine Polars uses has no backtracking, so this is linear in the text length whatever the input.
CANDIDATE_RUN = (
    rf"(?:(?:zoti|zonja|ministri|ministrja|kryeministri|kryeministrja|presidenti|presidentja|z\.|znj\.)\s)?"
    rf"{CAPITALISED_WORD}(?:\s(?:{NAME_CONNECTORS}\s)?{CAPITALISED_WORD})*{CORPORATE_TAIL}"
)


@dataclass(frozen=True)
class InflectionRule:
    inflect_class: str
    ending: str
    strip: int
    suffixes: tuple[str, ...]
    hyphen: bool

    def applies_to(self, word: str) -> bool:
        if self.ending == "any":
            return True
        if self.ending == "consonant":
            return word[-1].isalpha() and word[-1] not in VOWELS
        return word.endswith(self.ending) and len(word) > len(self.ending) + 1


@dataclass(frozen=True)
class Holder:
    entity_id: str
    entity_type: str
    alias_kind: str
    is_default: bool
    inflected: bool


@dataclass(frozen=True)
class Matcher:
    automaton: ahocorasick_rs.AhoCorasick
    holders: tuple[tuple[Holder, ...], ...]  # per pattern index: the entities that pattern may name
    # per pattern index: (entity_id, match_rule) when the pattern names one entity whatever the article says
    direct: tuple[tuple[str, str] | None, ...]


@dataclass(frozen=True)
class CandidateRules:
    stopwords: frozenset[str]
    titles: frozenset[str]
    modifiers: frozenset[str]
    type_words: tuple[tuple[str, str, str], ...]  # (word, position, entity_type)
    suffixes: tuple[str, ...]  # Albanian case endings, longest first, for collapsing inflected candidates
    edge_words: frozenset[str]  # titles, modifiers and stop words: trimmed from a run's edges
    type_word_set: frozenset[str]  # words after which a connector keeps a name together ('Bank of ...')


def read_rule_lines(name: str) -> list[str]:
    text = (RULES_DIRECTORY / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def load_inflection_rules() -> tuple[InflectionRule, ...]:
    rows = csv.DictReader(read_rule_lines("inflection.tsv"), delimiter="\t")
    return tuple(
        InflectionRule(row["class"], row["ending"], int(row["strip"]), tuple(dict.fromkeys(row["suffixes"].split(","))),
                       row["hyphen"] == "yes")
        for row in rows
    )


@lru_cache(maxsize=1)
def load_candidate_rules() -> CandidateRules:
    honorifics = list(csv.DictReader(read_rule_lines("honorifics.tsv"), delimiter="\t"))
    type_words_rows = list(csv.DictReader(read_rule_lines("organisation_words.tsv"), delimiter="\t"))
    suffixes = {suffix for rule in load_inflection_rules() if rule.inflect_class == "sq" for suffix in rule.suffixes}
    return CandidateRules(
        stopwords=frozenset(word.lower() for word in read_rule_lines("name_stopwords.txt")),
        titles=frozenset(row["word"] for row in honorifics if row["role"] == "title"),
        modifiers=frozenset(row["word"] for row in honorifics if row["role"] == "modifier"),
        type_words=tuple((row["word"], row["position"], row["entity_type"]) for row in type_words_rows),
        suffixes=tuple(sorted(suffixes, key=len, reverse=True)),
        edge_words=frozenset(row["word"] for row in honorifics)
        | frozenset(word.lower() for word in read_rule_lines("name_stopwords.txt")),
        type_word_set=frozenset(row["word"] for row in type_words_rows),
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


def build_pattern_table(gazetteer: Gazetteer) -> pl.DataFrame:
    """One row per (pattern, entity): exact aliases and their rule-generated forms."""
    aliases = gazetteer.aliases.join(gazetteer.entities.select("entity_id", "entity_type"), on="entity_id")
    rows = []
    for row in aliases.iter_rows(named=True):
        for form in alias_forms(row["alias"], row["inflect"], row["entity_type"], row["language"]):
            rows.append((form, row["entity_id"], row["entity_type"], row["alias_kind"], row["is_default"], form != row["alias"]))
    table = pl.DataFrame(
        rows,
        schema={"pattern": pl.String, "entity_id": pl.String, "entity_type": pl.String, "alias_kind": pl.String,
                "is_default": pl.Boolean, "inflected": pl.Boolean},
        orient="row",
    ).unique(subset=["pattern", "entity_id"], keep="first", maintain_order=True)
    # A spelling that is some entity's own alias is not also a generated form of another one, and a full name
    # beats a surname ('Jordan' the country, not someone's surname).
    rank = pl.col("inflected").cast(pl.Int8) * 2 + (pl.col("alias_kind") == "surname").cast(pl.Int8)
    return table.with_columns(rank.alias("rank")).filter(pl.col("rank") == pl.col("rank").min().over("pattern")).drop("rank")


_MATCHERS: dict[str, Matcher] = {}


def build_matcher(gazetteer: Gazetteer) -> Matcher:
    """The automaton over every pattern, cached per gazetteer version."""
    if gazetteer.version in _MATCHERS:
        return _MATCHERS[gazetteer.version]
    table = build_pattern_table(gazetteer)
    grouped = table.group_by("pattern", maintain_order=True).agg(pl.all())
    holders = tuple(
        tuple(Holder(*values) for values in zip(row["entity_id"], row["entity_type"], row["alias_kind"],
                                                row["is_default"], row["inflected"]))
        for row in grouped.iter_rows(named=True)
    )
    automaton = ahocorasick_rs.AhoCorasick(grouped["pattern"].to_list(), matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
    direct = tuple(
        (group[0].entity_id, match_rule_of(group[0])) if len(group) == 1 and group[0].alias_kind != "surname" else None
        for group in holders
    )
    matcher = Matcher(automaton=automaton, holders=holders, direct=direct)
    _MATCHERS[gazetteer.version] = matcher
    return matcher


def whole_word_matches(automaton: ahocorasick_rs.AhoCorasick, text: str) -> list[tuple[int, int, int]]:
    """(pattern, start, end) in character offsets, kept only where neither neighbour is a letter or digit.
    str.isalnum is Unicode-aware, so 'ë', 'ç' and 'ć' count as letters (an ASCII \\b would not)."""
    length = len(text)
    return [
        (pattern, start, end)
        for pattern, start, end in automaton.find_matches_as_indexes(text)
        if (start == 0 or not text[start - 1].isalnum()) and (end == length or not text[end].isalnum())
    ]


@lru_cache(maxsize=65536)
def candidate_key(name: str, language: str | None, suffixes: tuple[str, ...]) -> str:
    """'cand:' + the lowercase ASCII slug; in Albanian text the last word loses a case ending (Sequit -> sequ)."""
    words = name.split()
    if language == "sq":
        last = words[-1]
        for suffix in suffixes:
            if last.endswith(suffix) and len(last) - len(suffix) >= 3:
                words[-1] = last[: -len(suffix)]
                break
    return "cand:" + slugify(" ".join(words))


def resolve_holder(holders: tuple[Holder, ...], named: set[str]) -> Holder | None:
    """Pick the entity a surname or shared name means in this article, or None when the text cannot tell.
    A default holder keeps a surname even when a relative is named (bare 'Trump' stays Donald Trump beside
    'Melania Trump'); for shared place names, naming another holder in full makes the bare name ambiguous."""
    if len(holders) == 1 and holders[0].alias_kind != "surname":
        return holders[0]
    defaults = [holder for holder in holders if holder.is_default]
    in_article = [holder for holder in holders if holder.entity_id in named]
    if len(defaults) == 1:
        default = defaults[0]
        if default.alias_kind == "surname" or not in_article or in_article == [default]:
            return default
        return None
    if len(in_article) == 1:
        return in_article[0]
    return None


def unresolved_rule(holders: tuple[Holder, ...]) -> tuple[str, str | None]:
    types = {holder.entity_type for holder in holders}
    rule = "surname_unresolved" if all(holder.alias_kind == "surname" for holder in holders) else "ambiguous"
    return rule, types.pop() if len(types) == 1 else None


def match_rule_of(holder: Holder) -> str:
    if holder.alias_kind in ("surname", "acronym"):
        return holder.alias_kind
    return "inflected" if holder.inflected else "alias"


def link_article(found: list[tuple[str, int, int, int, str]], matcher: Matcher, language: str | None) -> list[tuple]:
    """Resolve one article's raw matches (field, pattern, start, end, text). A per-article Python step is
    needed because a surname's meaning depends on which full names the same article contains."""
    direct = matcher.direct
    named = {direct[pattern][0] for _, pattern, _, _, _ in found if direct[pattern] is not None}
    suffixes = load_candidate_rules().suffixes
    linked = []
    for field, pattern, start, end, text in found:
        if direct[pattern] is not None:
            entity_id, rule = direct[pattern]
            linked.append((field, entity_id, text[start:end], start, end, rule, True, None))
            continue
        holders = matcher.holders[pattern]
        holder = resolve_holder(holders, named)
        surface = text[start:end]
        if holder is None:
            rule, entity_type = unresolved_rule(holders)
            linked.append((field, candidate_key(surface, language, suffixes), surface, start, end, rule, False, entity_type))
        else:
            linked.append((field, holder.entity_id, surface, start, end, match_rule_of(holder), True, None))
    return linked


def trim_run(words: list[tuple[int, int]], text: str, rules: CandidateRules) -> tuple[list[tuple[int, int]], bool]:
    """Drop titles and stop words from the run's edges; report whether a person title preceded the name."""
    titled = False
    while words and text[words[0][0]:words[0][1]].lower().rstrip(",") in rules.edge_words:
        titled = titled or text[words[0][0]:words[0][1]].lower() in rules.titles
        words = words[1:]
    while words and text[words[-1][0]:words[-1][1]].lower() in rules.stopwords:
        words = words[:-1]
    return words, titled


def candidate_type(name_words: list[str], titled: bool, rules: CandidateRules) -> str | None:
    for word, position, entity_type in rules.type_words:
        if (position == "last" and name_words[-1] == word) or (position == "first" and name_words[0] == word) or (
            position == "any" and word in name_words
        ):
            return entity_type
    return "PERSON" if titled else None


WORD_SPAN = re.compile(r"\S+")


CORPORATE_WORDS = ("sh.p.k.", "shpk")
CONNECTOR_WORDS = frozenset({"of", "the", "for", "and", "de", "del", "der", "van", "von", "la", "al", "bin", "e", "i", "të", "së"})


def name_word_groups(text: str, piece_start: int, piece_end: int, rules: CandidateRules) -> list[list[tuple[int, int]]]:
    """Split a piece of a run into name groups. A connector ('of', 'e', 'and') joins two names only after a word
    that types an organisation or place ('Bank of England', 'Partia e Lirisë'); elsewhere it separates them
    ('John Smith of Acme Ltd', 'Analiza e Ettore Sequit')."""
    type_words = rules.type_word_set
    groups: list[list[tuple[int, int]]] = [[]]
    for match in WORD_SPAN.finditer(text, piece_start, piece_end):
        word = match.group()
        if word in CONNECTOR_WORDS:
            previous = text[groups[-1][-1][0]:groups[-1][-1][1]] if groups[-1] else ""
            if previous in type_words:
                groups[-1].append(match.span())
            else:
                groups.append([])
        elif word[0].isupper() or word in CORPORATE_WORDS or word.lower() in rules.titles:
            groups[-1].append(match.span())
        else:
            # A word cut by a mention boundary (the 's' of "Putin's") ends the name.
            groups.append([])
    return [group for group in groups if group]


def run_candidates(text: str, run_start: int, run_end: int, taken: list[tuple[int, int]], language: str | None,
                   rules: CandidateRules) -> list[tuple]:
    """Candidates inside one capitalised run: the pieces between gazetteer mentions, trimmed of titles and
    stop words, kept when two or more name words remain or a title marks a single word as a person."""
    pieces, cursor = [], run_start
    for start, end in taken:
        pieces.append((cursor, start))
        cursor = max(cursor, end)
    pieces.append((cursor, run_end))
    pieces = [(start, end) for start, end in pieces if end > start]
    found = []
    for piece_start, piece_end in pieces:
        for words in name_word_groups(text, piece_start, piece_end, rules):
            words, titled = trim_run(words, text, rules)
            while words and text[words[-1][0]:words[-1][1]] in CONNECTOR_WORDS:
                words = words[:-1]
            if not words or (len(words) < 2 and not titled):
                continue
            start, end = words[0][0], words[-1][1]
            surface = text[start:end]
            if not surface.endswith(CORPORATE_WORDS):
                surface = surface.rstrip(".,;:")
            name_words = surface.split()
            if all(word.lower() in rules.stopwords for word in name_words):
                continue
            entity_type = candidate_type(name_words, titled, rules)
            found.append((start, start + len(surface), surface, candidate_key(surface, language, rules.suffixes), entity_type))
    return found


def extract_mentions(texts: pl.DataFrame, gazetteer: Gazetteer) -> pl.DataFrame:
    """One row per mention: article_id, field, entity_id, surface, char_start, char_end (character offsets),
    match_rule, linked, candidate_type (the rule-given type of a candidate, else null)."""
    if texts.is_empty():
        return pl.DataFrame(schema=MENTION_SCHEMA)
    matcher = build_matcher(gazetteer)
    rules = load_candidate_rules()
    if "language" not in texts.columns:
        texts = texts.with_columns(pl.lit(None, dtype=pl.String).alias("language"))
    texts = texts.with_columns(pl.col("text").fill_null(""))
    runs = texts.select(pl.col("text").str.extract_all(CANDIDATE_RUN).alias("runs"))["runs"].to_list()
    per_article: dict[str, list[tuple[str, int, int, int, str]]] = {}
    languages: dict[str, str | None] = {}
    candidates: list[tuple] = []
    for (article_id, field, text, language), article_runs in zip(
        texts.select("article_id", "field", "text", "language").iter_rows(), runs
    ):
        matches = whole_word_matches(matcher.automaton, text)
        per_article.setdefault(article_id, []).extend((field, pattern, start, end, text) for pattern, start, end in matches)
        languages.setdefault(article_id, language)
        cursor, first_match = 0, 0
        for run in article_runs or []:
            run_start = text.find(run, cursor)
            cursor = run_start + len(run)
            # Matches and runs are both in text order, so one forward walk finds the matches inside each run.
            while first_match < len(matches) and matches[first_match][2] <= run_start:
                first_match += 1
            last_match = first_match
            while last_match < len(matches) and matches[last_match][1] < cursor:
                last_match += 1
            taken = [(start, end) for _, start, end in matches[first_match:last_match]]
            if taken and taken[0][0] <= run_start and taken[-1][1] >= cursor and len(taken) == 1:
                continue  # the whole run is one gazetteer mention
            for start, end, surface, key, entity_type in run_candidates(text, run_start, cursor, taken, language, rules):
                candidates.append((article_id, field, key, surface, start, end, "candidate", False, entity_type))
    rows = [
        (article_id,) + mention
        for article_id, found in per_article.items()
        for mention in link_article(found, matcher, languages[article_id])
    ]
    mentions = pl.DataFrame(rows + candidates, schema=MENTION_SCHEMA, orient="row")
    return mentions.sort("article_id", "field", "char_start", maintain_order=True)


def candidate_entities(mentions: pl.DataFrame) -> pl.DataFrame:
    """Entity rows for the cand:* ids: name is the most frequent surface, type the most frequent rule-given type."""
    candidates = mentions.filter(pl.col("entity_id").str.starts_with("cand:"))
    if "candidate_type" not in candidates.columns:
        candidates = candidates.with_columns(pl.lit(None, dtype=pl.String).alias("candidate_type"))
    return (
        candidates.group_by("entity_id")
        .agg(
            pl.col("surface").mode().sort().first().alias("name"),
            pl.col("candidate_type").drop_nulls().mode().sort().first().alias("entity_type"),
        )
        .with_columns(pl.lit(None, dtype=pl.String).alias("wikidata_id"), pl.lit(None, dtype=pl.String).alias("name_sq"))
        .select("entity_id", "name", "entity_type", "wikidata_id", "name_sq")
        .sort("entity_id")
    )
