"""Find gazetteer entities in article text (one Aho-Corasick pass, Albanian inflection by rule) and link them.
Bare surnames and ambiguous names are resolved per article; unknown capitalised names become `cand:` candidates."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path

import ahocorasick_rs
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

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
CORPORATE_TAIL = r"(?:\s(?:sh\.p\.k\.|shpk))"
NEXT_NAME_WORD = rf"\s(?:{NAME_CONNECTORS}\s)?{CAPITALISED_WORD}"


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


@lru_cache(maxsize=1)
def candidate_run_regex() -> str:
    """Runs of capitalised words, optionally with lower-case connectors, a preceding lower-case title from
    honorifics.tsv (zoti, ministri, analistja) or a corporate tail. A lone capitalised word (a sentence opener, a
    known name) can never become a candidate, so a run needs two words, a title or a tail: most single words are
    then skipped by the regex rather than by later steps. The Rust regex engine Polars uses has no backtracking,
    so this is linear in the text length whatever the input."""
    titles = sorted((title for title in load_candidate_rules().titles if title.isalpha() or title.endswith(".")),
                    key=len, reverse=True)
    honorific = "(?:" + "|".join(re.escape(title) for title in titles) + ")"
    return (
        rf"(?:{honorific}\s{CAPITALISED_WORD}(?:{NEXT_NAME_WORD})*{CORPORATE_TAIL}?"
        rf"|{CAPITALISED_WORD}(?:(?:{NEXT_NAME_WORD})+{CORPORATE_TAIL}?|{CORPORATE_TAIL}))"
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


@dataclass(frozen=True)
class Matcher:
    automaton: ahocorasick_rs.BytesAhoCorasick  # over the UTF-8 bytes of every pattern; its index is pattern_index
    # The same patterns split by first byte (see build_scanners): one scan by each finds the same matches faster.
    scanners: tuple[Scanner, ...]
    # pattern_index (0..n-1), surface, and for a pattern naming one entity whatever the article says its entity
    # and match_rule (else null). Matching is exact and case-sensitive, so a match's surface is its pattern.
    patterns: pl.DataFrame
    holders: pl.DataFrame  # pattern_index, entity, entity_type, is_default, is_surname, match_rule: shared names
    entity_ids: pl.Series  # entity_id by entity number: linking joins on the numbers, not the strings


@dataclass(frozen=True)
class Scanner:
    automaton: ahocorasick_rs.BytesAhoCorasick
    pattern_indexes: pl.Series  # the matcher's pattern_index of each of this automaton's patterns


def new_automaton(patterns: list[bytes], implementation: ahocorasick_rs.Implementation) -> ahocorasick_rs.BytesAhoCorasick:
    return ahocorasick_rs.BytesAhoCorasick(patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
                                           implementation=implementation)


def build_scanners(encoded: list[bytes]) -> tuple[Scanner, ...]:
    """Two automata whose matches together are the full automaton's (where they overlap, raw_matches rescans).
    Nearly all patterns start with an ASCII capital, a byte rare in prose, so their automaton mostly idles at its
    root; the few starting lower-case or non-ASCII (al-Assad, rajoni i Kievit, Çad) would make that automaton
    leave its root at almost every letter, which doubles its scan time on ordinary text. They get their own
    automaton, small enough for a DFA (one table lookup per byte)."""
    capital = [index for index, pattern in enumerate(encoded) if 0x41 <= pattern[0] <= 0x5A]
    other = [index for index, pattern in enumerate(encoded) if not 0x41 <= pattern[0] <= 0x5A]
    return (
        Scanner(new_automaton([encoded[index] for index in capital], ahocorasick_rs.Implementation.ContiguousNFA),
                pl.Series(capital, dtype=pl.Int64)),
        Scanner(new_automaton([encoded[index] for index in other], ahocorasick_rs.Implementation.DFA),
                pl.Series(other, dtype=pl.Int64)),
    )


MATCH_RULE = (
    pl.when(pl.col("alias_kind").is_in(["surname", "acronym"])).then(pl.col("alias_kind"))
    .when(pl.col("inflected")).then(pl.lit("inflected"))
    .otherwise(pl.lit("alias"))
)

_MATCHERS: dict[str, Matcher] = {}


def build_matcher(gazetteer: Gazetteer) -> Matcher:
    """The automaton over every pattern and the tables that link its matches, cached per gazetteer version."""
    if gazetteer.version in _MATCHERS:
        return _MATCHERS[gazetteer.version]
    table = build_pattern_table(gazetteer).with_columns(MATCH_RULE.alias("match_rule"))
    patterns = (
        table.select(pl.col("pattern").alias("surface")).unique(maintain_order=True)
        .with_row_index("pattern_index").with_columns(pl.col("pattern_index").cast(pl.Int64))
    )
    entity_ids = table["entity_id"].unique().sort()
    table = table.join(patterns, left_on="pattern", right_on="surface").with_columns(
        pl.col("entity_id").replace_strict(entity_ids, pl.int_range(entity_ids.len(), dtype=pl.Int64, eager=True))
        .alias("entity")
    )
    is_direct = (pl.len().over("pattern_index") == 1) & (pl.col("alias_kind") != "surname")
    direct = table.filter(is_direct).select("pattern_index", pl.col("entity").alias("direct_entity"),
                                            pl.col("match_rule").alias("direct_rule"))
    encoded = [surface.encode("utf-8") for surface in patterns["surface"]]
    matcher = Matcher(
        # Contiguous NFA: the fastest scan for this many patterns (a DFA's tables overflow the cache), quick to build.
        automaton=new_automaton(encoded, ahocorasick_rs.Implementation.ContiguousNFA),
        scanners=build_scanners(encoded),
        patterns=patterns.join(direct, on="pattern_index", how="left", maintain_order="left"),
        holders=table.filter(~is_direct).select(
            "pattern_index", "entity", "entity_type", "is_default",
            (pl.col("alias_kind") == "surname").alias("is_surname"), "match_rule",
        ),
        entity_ids=entity_ids,
    )
    _MATCHERS[gazetteer.version] = matcher
    return matcher


@dataclass(frozen=True)
class TextBuffer:
    """Every text of a batch in one UTF-8 buffer, each followed by a newline (no pattern contains one): one
    automaton call scans the batch, and every position below is a byte offset into this buffer."""

    data: memoryview  # unsigned bytes, as the automaton reads them
    arrow_data: pa.Buffer  # the same bytes, for zero-copy Arrow string views into the buffer
    text_starts: pl.Series  # byte offset of each text, in the row order of the texts frame

    @staticmethod
    def of(texts: pl.DataFrame) -> TextBuffer:
        # The values buffer of an Arrow string column is its strings back to back, so `text + newline` converted
        # once is the whole buffer, and its offsets are where each text starts: no second copy.
        array = texts.select(pl.col("text") + "\n").to_series().rechunk().to_arrow().cast(pa.large_string())
        offsets = pl.from_arrow(pa.Array.from_buffers(pa.int64(), len(array) + 1, [None, array.buffers()[1]],
                                                      offset=array.offset))
        values = array.buffers()[2]
        first, last = (offsets[0], offsets[-1]) if len(array) else (0, 0)
        arrow_data = values.slice(first, last - first) if values is not None else pa.py_buffer(b"")
        return TextBuffer(data=memoryview(arrow_data).cast("B"), arrow_data=arrow_data,
                          text_starts=offsets.head(len(array)) - first)

    def byte_values(self) -> pl.Series:
        # A zero-copy UInt8 view, so neighbouring bytes are one gather.
        return pl.from_arrow(pa.Array.from_buffers(pa.uint8(), len(self.data), [None, self.arrow_data]))

    def char_offsets(self, positions: pl.Series) -> pl.Series:
        """The character offset of each byte position (all on character boundaries). The buffer is cut at every
        position in rising order and Arrow counts the characters of each piece: one pass over the buffer in all;
        the running counts are then put back in the order of `positions`."""
        positions = positions.cast(pl.Int64)
        order = positions.arg_sort()
        cuts = pl.concat([pl.Series([0], dtype=pl.Int64), positions.gather(order)]).rechunk().to_arrow()
        pieces = pa.Array.from_buffers(pa.large_string(), len(cuts) - 1,
                                       [None, cuts.buffers()[1][cuts.offset * 8:], self.arrow_data])
        chars_in_order = pl.from_arrow(pc.utf8_length(pieces)).cast(pl.Int64).cum_sum()
        return pl.zeros(len(positions), dtype=pl.Int64, eager=True).scatter(order, chars_in_order)


ASCII_WORD_BYTES = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def is_word_character_near(data: memoryview, position: int, before: bool) -> bool:
    """Whether the (non-ASCII) character ending just before / starting at `position` is a letter or digit.
    str.isalnum is Unicode-aware: 'ë', 'ç', 'ć' count as letters, '’', '“' and a no-break space do not."""
    window = data[max(0, position - 4):position] if before else data[position:position + 4]
    characters = bytes(window).decode("utf-8", errors="ignore")
    return bool(characters) and (characters[-1] if before else characters[0]).isalnum()


def match_frame(found: list[tuple[int, int, int]], pattern_indexes: pl.Series | None = None) -> pl.DataFrame:
    """pattern_index, start, end from an automaton's (pattern, start, end) tuples."""
    # The tuples flattened into one integer column: far cheaper than building rows.
    flat = pl.Series(list(chain.from_iterable(found)), dtype=pl.Int64)
    local_index = flat.gather_every(3)
    return pl.DataFrame({
        "pattern_index": local_index if pattern_indexes is None else pattern_indexes.gather(local_index),
        "start": flat.gather_every(3, 1),
        "end": flat.gather_every(3, 2),
    })


def leftmost_longest_matches(buffer: TextBuffer, matcher: Matcher) -> pl.DataFrame:
    """The full automaton's matches over the buffer (pattern_index, start, end, sorted by start), from one scan
    with each of the split automata. Each scan alone is leftmost-longest and free of overlaps; together they
    overlap where a match of one lies inside a match of the other ('Đukanović' inside 'Milo Đukanović',
    'Stinger' inside 'raketa Stinger'), and the full automaton keeps the outer one, which starts first. A partial overlap could hide a match the full automaton finds, so the few
    texts with one are rescanned by the full automaton: a bounded per-text Python step."""
    capital, other = (match_frame(scanner.automaton.find_matches_as_indexes(buffer.data), scanner.pattern_indexes)
                      for scanner in matcher.scanners)
    # The two automata's patterns start with different bytes, so no two of their matches start together.
    matches = capital.merge_sorted(other, key="start")
    furthest_end_before = matches["end"].cum_max().shift(1).fill_null(0)
    inside_earlier = (matches["start"] < furthest_end_before) & (matches["end"] <= furthest_end_before)
    partial = (matches["start"] < furthest_end_before) & (matches["end"] > furthest_end_before)
    matches = matches.filter(~inside_earlier)
    if not partial.any():
        return matches
    text_ends = pl.concat([buffer.text_starts.slice(1) - 1, pl.Series([len(buffer.data)], dtype=pl.Int64)])
    rows = (buffer.text_starts.search_sorted(matches["start"].filter(partial.filter(~inside_earlier)), side="right")
            - 1).unique().sort()
    rescanned = [
        (pattern, start + text_start, end + text_start)
        for text_start, text_end in zip(buffer.text_starts.gather(rows), text_ends.gather(rows))
        for pattern, start, end in matcher.automaton.find_matches_as_indexes(buffer.data[text_start:text_end])
    ]
    row_of_match = buffer.text_starts.search_sorted(matches["start"], side="right") - 1
    kept = matches.filter(~row_of_match.is_in(rows.implode()))
    return pl.concat([kept, match_frame(rescanned)]).sort("start")


def raw_matches(buffer: TextBuffer, matcher: Matcher) -> pl.DataFrame:
    """Whole-word automaton matches: row (of the texts frame), pattern_index, start, end (buffer bytes)."""
    matches = leftmost_longest_matches(buffer, matcher)
    if matches.is_empty():
        return pl.DataFrame(schema={"row": pl.Int64, "pattern_index": pl.Int64, "start": pl.Int64, "end": pl.Int64})
    byte_values = buffer.byte_values()
    last = len(buffer.data) - 1
    matches = matches.with_columns(
        pl.when(pl.col("start") > 0).then(byte_values.gather((matches["start"] - 1).clip(0, last))).otherwise(10)
        .alias("byte_before"),
        pl.when(pl.col("end") <= last).then(byte_values.gather(matches["end"].clip(0, last))).otherwise(10)
        .alias("byte_after"),
    )
    word_bytes = sorted(ASCII_WORD_BYTES)
    matches = matches.filter(~pl.col("byte_before").is_in(word_bytes) & ~pl.col("byte_after").is_in(word_bytes))
    # A non-ASCII neighbour needs its whole character decoded. These are few (quotes, dashes, letters next to a
    # false match), so a bounded Python check on just those rows is cheaper than decoding the buffer.
    non_ascii = matches.filter((pl.col("byte_before") >= 0x80) | (pl.col("byte_after") >= 0x80))
    if non_ascii.height:
        inside_word = [
            (before >= 0x80 and is_word_character_near(buffer.data, start, True))
            or (after >= 0x80 and is_word_character_near(buffer.data, end, False))
            for start, end, before, after in non_ascii.select("start", "end", "byte_before", "byte_after").iter_rows()
        ]
        matches = matches.join(non_ascii.filter(pl.Series(inside_word)).select("start"), on="start", how="anti")
    row = buffer.text_starts.search_sorted(matches["start"], side="right") - 1
    return matches.select(pl.Series("row", row, dtype=pl.Int64), "pattern_index", "start", "end")


def link_matches(matches: pl.DataFrame, matcher: Matcher) -> pl.DataFrame:
    """Give each match its entity. Direct patterns link as they are; a surname or shared name is resolved per
    article by the holders the same article names in full (see resolve rules in docs/entities.md).
    In: row, article (an integer key per article), language, pattern_index, start, end.
    Out: row, start, end, surface, entity_id, match_rule, linked, candidate_type."""
    # Patterns are numbered 0..n-1, so their columns are gathered rather than joined.
    matches = matches.with_columns(
        matcher.patterns[column].gather(matches["pattern_index"]) for column in ("surface", "direct_entity", "direct_rule")
    )
    # (article, pattern) and (article, entity) pairs packed into one integer: single-key joins and groups are
    # much cheaper than two-key ones. Pattern and entity numbers stay far below 2**32.
    direct = matches.filter(pl.col("direct_entity").is_not_null())
    named = direct.select((pl.col("article") * 2**32 + pl.col("direct_entity")).alias("article_entity")).unique()
    shared = matches.filter(pl.col("direct_entity").is_null()).with_columns(
        (pl.col("article") * 2**32 + pl.col("pattern_index")).alias("article_pattern"))
    holders = (
        shared.select("article_pattern", "article", "pattern_index", "language").unique("article_pattern")
        .join(matcher.holders, on="pattern_index")
        .with_columns((pl.col("article") * 2**32 + pl.col("entity")).is_in(named["article_entity"].implode())
                      .alias("in_article"))
    )
    resolution = holders.group_by("article_pattern").agg(
        pl.col("pattern_index").first(),
        pl.col("language").first(),
        pl.col("is_default").sum().alias("default_count"),
        pl.col("entity").filter(pl.col("is_default")).first().alias("default_entity"),
        pl.col("is_surname").filter(pl.col("is_default")).first().alias("default_is_surname"),
        pl.col("in_article").sum().alias("named_count"),
        pl.col("entity").filter(pl.col("in_article")).first().alias("named_entity"),
        pl.col("is_surname").all().alias("all_surnames"),
        pl.col("entity_type").unique().alias("types"),
    )
    # A default holder keeps a surname even beside a named relative (bare 'Trump' stays Donald Trump next to
    # 'Melania Trump'); for a shared place name, naming another holder in full makes the bare name ambiguous.
    default_wins = (pl.col("default_count") == 1) & (
        pl.col("default_is_surname") | (pl.col("named_count") == 0)
        | ((pl.col("named_count") == 1) & (pl.col("named_entity") == pl.col("default_entity")))
    )
    resolution = resolution.with_columns(
        pl.when(default_wins).then(pl.col("default_entity"))
        .when((pl.col("default_count") != 1) & (pl.col("named_count") == 1)).then(pl.col("named_entity"))
        .alias("resolved_entity"),
        pl.when(pl.col("all_surnames")).then(pl.lit("surname_unresolved")).otherwise(pl.lit("ambiguous"))
        .alias("unresolved_rule"),
        pl.when(pl.col("types").list.len() == 1).then(pl.col("types").list.first()).alias("unresolved_type"),
    ).join(
        matcher.holders.select("pattern_index", pl.col("entity").alias("resolved_entity"), "match_rule"),
        on=["pattern_index", "resolved_entity"], how="left",
    )
    # The key of an unresolved name depends only on its pattern and language: read once per pair.
    unresolved_keys = resolution.filter(pl.col("resolved_entity").is_null()).select("pattern_index", "language").unique()
    unresolved_keys = unresolved_keys.with_columns(
        matcher.patterns["surface"].gather(unresolved_keys["pattern_index"])
    ).select("pattern_index", "language", candidate_key_expression(pl.col("surface")).alias("unresolved_id"))
    resolution = resolution.join(unresolved_keys, on=["pattern_index", "language"], how="left", nulls_equal=True)
    shared = shared.drop("language", "pattern_index").join(resolution, on="article_pattern", how="left",
                                                           maintain_order="left")
    linked_shared = shared.with_columns(
        pl.col("resolved_entity").is_not_null().alias("linked"),
        pl.coalesce(matcher.entity_ids.gather(shared["resolved_entity"]), "unresolved_id").alias("entity_id"),
        pl.coalesce("match_rule", "unresolved_rule").alias("match_rule"),
        pl.when(pl.col("resolved_entity").is_null()).then(pl.col("unresolved_type")).alias("candidate_type"),
    )
    linked_direct = direct.with_columns(
        matcher.entity_ids.gather(direct["direct_entity"]).alias("entity_id"),
        pl.col("direct_rule").alias("match_rule"),
        pl.lit(True).alias("linked"),
        pl.lit(None, dtype=pl.String).alias("candidate_type"),
    )
    columns = ["row", "start", "end", "surface", "entity_id", "match_rule", "linked", "candidate_type"]
    return pl.concat([linked_direct.select(columns), linked_shared.select(columns)])


def candidate_key_expression(surface: pl.Expr) -> pl.Expr:
    """candidate_key as a column expression (needs a `language` column): 'cand:' + ASCII slug, and in Albanian
    text the last word loses its longest case ending that leaves three letters (Sequit -> sequ)."""
    suffixes = "|".join(re.escape(suffix) for suffix in load_candidate_rules().suffixes)
    stripped = surface.str.replace(rf"(^|\s)(\S{{3,}}?)(?:{suffixes})$", "${1}${2}")
    name = pl.when(pl.col("language") == "sq").then(stripped).otherwise(surface)
    folded = name.str.normalize("NFKD").str.replace_all(r"\p{Mn}", "").str.replace_all("ı", "i").str.to_lowercase()
    return pl.lit("cand:") + folded.str.replace_all(r"[^a-z0-9]+", "_").str.strip_chars("_")


@lru_cache(maxsize=65536)
def candidate_key(name: str, language: str | None, suffixes: tuple[str, ...]) -> str:
    """'cand:' + the lowercase ASCII slug; in Albanian text the last word loses a case ending (Sequit -> sequ).
    The same rule as candidate_key_expression, for callers holding one name (the evaluation harness)."""
    words = name.split()
    if language == "sq":
        last = words[-1]
        for suffix in suffixes:
            if last.endswith(suffix) and len(last) - len(suffix) >= 3:
                words[-1] = last[: -len(suffix)]
                break
    return "cand:" + slugify(" ".join(words))


CORPORATE_WORDS = ("sh.p.k.", "shpk")
CONNECTOR_WORDS = ("of", "the", "for", "and", "de", "del", "der", "van", "von", "la", "al", "bin", "e", "i", "të", "së")


def text_slices(buffer: TextBuffer, starts: pl.Series, ends: pl.Series) -> pl.Series:
    """The text between each (start, end) byte pair, read straight out of the buffer (pairs must not overlap
    and must be sorted, since Arrow offsets are one rising sequence; the gaps become skipped pieces)."""
    if starts.is_empty():
        return pl.Series(dtype=pl.String)
    cuts = pl.DataFrame({"start": starts.cast(pl.Int64), "end": ends.cast(pl.Int64)})
    interleaved = cuts.select(pl.concat_list("start", "end").alias("cut")).explode("cut")["cut"]
    arrow = interleaved.rechunk().to_arrow()
    pieces = pa.Array.from_buffers(pa.large_string(), len(interleaved) - 1,
                                   [None, arrow.buffers()[1][arrow.offset * 8:], buffer.arrow_data])
    return pl.from_arrow(pieces).gather_every(2)


def is_first_of(key: str) -> pl.Expr:
    return (pl.col(key) != pl.col(key).shift(1)).fill_null(True)


def is_last_of(key: str) -> pl.Expr:
    return (pl.col(key) != pl.col(key).shift(-1)).fill_null(True)


# Rows of one run, group or text are consecutive, so per-key running sums and edge blocks below are global
# cumulative sums corrected at each key's first or last row: much cheaper than `.over()` on many tiny keys.
def total_before_within(values: pl.Expr, key: str) -> pl.Expr:
    """Sum of `values` over the earlier rows of the same `key`."""
    before = values.cum_sum() - values
    return before - pl.when(is_first_of(key)).then(before).forward_fill()


def leading_block_within(flag: pl.Expr, key: str) -> pl.Expr:
    """True on the rows where `flag` holds from the first row of their `key` up to and including them."""
    misses = (~flag).cast(pl.Int64)
    seen = misses.cum_sum()
    return seen == pl.when(is_first_of(key)).then(seen - misses).forward_fill()


def trailing_block_within(flag: pl.Expr, key: str) -> pl.Expr:
    """True on the rows where `flag` holds from them to the last row of their `key`."""
    misses = (~flag).cast(pl.Int64)
    seen = misses.cum_sum(reverse=True)
    return seen == pl.when(is_last_of(key)).then(seen - misses).backward_fill()


def capitalised_runs(texts: pl.DataFrame, buffer: TextBuffer) -> pl.DataFrame:
    """Every capitalised run: run, row, run_start, run_end (buffer bytes), run_text. One regex pass wraps each run
    in NUL marks; splitting on them gives gap, run, gap, run, ... pieces that tile the text, so running lengths
    give the offsets (NUL in a text is first made a space, which keeps every offset)."""
    marked = pl.col("text").str.replace_all("\x00", " ", literal=True).str.replace_all(candidate_run_regex(), "\x00${0}\x00")
    pieces = texts.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"),
        pl.Series("text_start", buffer.text_starts),
        marked.str.split("\x00").alias("piece"),
    ).explode("piece")
    piece_bytes = pl.col("piece").str.len_bytes().cast(pl.Int64)
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    is_run = (index - pl.when(is_first_of("row")).then(index).forward_fill()) % 2 == 1
    return (
        pieces.with_columns(
            (pl.col("text_start") + total_before_within(piece_bytes, "row")).alias("run_start"),
            (pl.col("text_start") + total_before_within(piece_bytes, "row") + piece_bytes).alias("run_end"),
            is_run.alias("is_run"),
        )
        .filter(pl.col("is_run"))
        .select("row", "run_start", "run_end", pl.col("piece").alias("run_text"))
        .with_row_index("run")
    )


def run_words(runs: pl.DataFrame) -> pl.DataFrame:
    """The words of every run with buffer offsets. Words in a run are separated by one whitespace character,
    so the `word + separator` tokens tile the run."""
    tokens = runs.select("run", "run_start", pl.col("run_text").str.extract_all(r"\S+\s?").alias("token")).explode("token")
    token_bytes = pl.col("token").str.len_bytes().cast(pl.Int64)
    word = pl.col("token").str.strip_chars_end()
    return tokens.select(
        "run",
        (pl.col("run_start") + total_before_within(token_bytes, "run")).alias("word_start"),
        word.alias("word"),
        word.str.to_lowercase().alias("lower"),
    ).with_columns((pl.col("word_start") + pl.col("word").str.len_bytes().cast(pl.Int64)).alias("word_end"))


def last_match_before(positions: pl.Series, matches: pl.DataFrame, inclusive: bool) -> pl.DataFrame:
    """For each position (ascending), the columns of the last match starting before it (or at it, if inclusive);
    nulls where there is none. Matches are sorted by start, so this is one merge (an as-of join), far cheaper
    than a binary search per position."""
    return pl.DataFrame({"position": positions.cast(pl.Int64)}).join_asof(
        matches, left_on="position", right_on="start", strategy="backward", allow_exact_matches=inclusive,
        check_sortedness=False,  # both sides are in buffer order by construction
    )


def covered_by_a_match(starts: pl.Series, ends: pl.Series, matches: pl.DataFrame) -> pl.Series:
    """Whether one gazetteer match spans each (start, end): such a run ('Donald Trump') yields no candidate."""
    previous = last_match_before(starts, matches.select("start", "end"), inclusive=True)
    return (previous["end"] >= ends).fill_null(False)


def mark_covered(words: pl.DataFrame, matches: pl.DataFrame) -> pl.DataFrame:
    """covered: the word overlaps a gazetteer match; surname_start: the word starts exactly where a bare surname
    match starts. Matches do not overlap and are sorted, so the only one that can overlap a word is the last
    match starting before the word ends."""
    previous = last_match_before(words["word_end"], matches.select("start", "end", "is_surname"), inclusive=False)
    return words.with_columns(
        (previous["end"] > words["word_start"]).fill_null(False).alias("covered"),
        (previous["is_surname"] & (previous["start"] == words["word_start"])).fill_null(False).alias("surname_start"),
    )


# A first name: one capitalised word of letters, possibly hyphenated (Jens-Frederik).
FIRST_NAME = r"^\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?$"


def release_surnames_after_first_names(words: pl.DataFrame, rules: CandidateRules) -> pl.DataFrame:
    """An unknown first name right before a bare surname names someone else ('Oleksiy Kuleba' is not Dmytro
    Kuleba, 'Eric Trump' not Donald Trump): such a surname word stops counting as covered, so the two words
    become one candidate, and `released` marks it so its surname link is dropped."""
    # Only the few words where a bare surname starts need the first-name test: read on those rows and the rows
    # before them, it stays off the whole word frame.
    surname_rows = words.select(
        pl.arg_where(pl.col("surname_start") & (pl.col("run") == pl.col("run").shift(1)).fill_null(False))
    ).to_series().cast(pl.Int64)
    before = words.select("covered", "word", "lower")[surname_rows - 1]
    after_first_name = ~before["covered"] & before["word"].str.contains(FIRST_NAME) & ~before["lower"].is_in(
        list(rules.edge_words))
    released = pl.zeros(words.height, dtype=pl.Boolean, eager=True).scatter(surname_rows.filter(after_first_name), True)
    return words.with_columns(released.alias("released")).with_columns(pl.col("covered") & ~pl.col("released"))


def name_groups(words: pl.DataFrame, rules: CandidateRules) -> pl.DataFrame:
    """Cut runs into name groups and trim their edges. A connector ('of', 'e', 'and') joins two names only after
    a word that types an organisation or place ('Bank of England', 'Partia e Lirisë'); elsewhere it separates
    them ('John Smith of Acme Ltd', 'Analiza e Marco Rossit'). A word inside a gazetteer mention, or a lower-case
    word (the 's' of "Putin's"), separates names too. Titles and stop words are trimmed from a group's edges.
    Out: the kept words with group (a batch-wide id), titled (a title was trimmed from the group's start)."""
    connector = pl.col("word").is_in(CONNECTOR_WORDS)
    # A run (see candidate_run_regex) holds capitalised words, connectors, a leading title and a corporate tail,
    # so every word that is not a connector is a name word, title or tail.
    name_word = ~pl.col("covered") & ~connector
    after_type_word = (
        (pl.col("run") == pl.col("run").shift(1))
        & name_word.shift(1) & pl.col("word").shift(1).is_in(list(rules.type_word_set))
    ).fill_null(False)
    joins = pl.when(connector).then(~pl.col("covered") & after_type_word).otherwise(name_word)
    grouped = (
        words.with_columns(joins.alias("joins"))
        .with_columns((is_first_of("run") | ~pl.col("joins")).cum_sum().alias("group"))
        .filter(pl.col("joins"))
    )
    edge = pl.col("lower").str.strip_chars_end(",").is_in(list(rules.edge_words))
    grouped = grouped.with_columns(leading_block_within(edge, "group").alias("leading"))
    grouped = grouped.with_columns(
        (pl.col("leading") & pl.col("lower").is_in(list(rules.titles))).alias("title_trimmed")
    ).with_columns(
        # a group's flag, read later from its last kept word
        (pl.col("title_trimmed").cast(pl.Int64).cum_sum() - pl.when(is_first_of("group"))
         .then(pl.col("title_trimmed").cast(pl.Int64).cum_sum() - pl.col("title_trimmed").cast(pl.Int64))
         .forward_fill() > 0).alias("titled")
    ).filter(~pl.col("leading"))
    grouped = grouped.filter(~trailing_block_within(pl.col("lower").is_in(list(rules.stopwords)), "group"))
    return grouped.filter(~trailing_block_within(connector, "group"))


def type_of_groups(grouped: pl.DataFrame, rules: CandidateRules) -> pl.DataFrame:
    """group, rule_type: the first organisation_words.tsv rule (file order) that a group's words satisfy."""
    type_rules = pl.DataFrame(
        [(word, position, entity_type, order) for order, (word, position, entity_type) in enumerate(rules.type_words)],
        schema={"name_word": pl.String, "position": pl.String, "rule_type": pl.String, "rule_order": pl.Int64},
        orient="row",
    )
    return (
        grouped.join(type_rules, on="name_word")
        .filter((pl.col("position") == "any") | ((pl.col("position") == "first") & pl.col("is_first"))
                | ((pl.col("position") == "last") & pl.col("is_last")))
        .sort("rule_order")
        .unique("group", keep="first")
        .select("group", "rule_type")
    )


def find_candidates(
    texts: pl.DataFrame, buffer: TextBuffer, matches: pl.DataFrame
) -> tuple[pl.DataFrame, pl.Series]:
    """Unknown names from capitalised runs outside gazetteer mentions: row, start, end (buffer bytes), surface,
    candidate_type. Kept when two or more name words remain, or a title marks a single word as a person.
    Also returns the starts of surname matches that became part of a candidate (see release_surnames...)."""
    rules = load_candidate_rules()
    matches = matches.sort("start")
    runs = capitalised_runs(texts, buffer)
    runs = runs.filter(~covered_by_a_match(runs["run_start"], runs["run_end"], matches))
    words = release_surnames_after_first_names(mark_covered(run_words(runs), matches), rules)
    released_starts = words.filter(pl.col("released"))["word_start"]
    grouped = name_groups(words, rules).with_columns(
        is_first_of("group").alias("is_first"),
        is_last_of("group").alias("is_last"),
    )
    grouped = grouped.with_columns(
        # The surface loses trailing punctuation (but keeps 'sh.p.k.'), so the last word is read without it.
        pl.when(pl.col("is_last") & ~pl.col("word").is_in(CORPORATE_WORDS))
        .then(pl.col("word").str.strip_chars_end(".,;:")).otherwise(pl.col("word")).alias("name_word"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("index"),
    )
    name_is_stopword = pl.col("name_word").str.to_lowercase().is_in(list(rules.stopwords))
    grouped = grouped.with_columns(
        (pl.col("index") - pl.when(pl.col("is_first")).then(pl.col("index")).forward_fill() + 1).alias("word_count"),
        leading_block_within(name_is_stopword, "group").alias("all_stopwords"),
    )
    groups = (
        grouped.filter(pl.col("is_last"))
        .select("group", "run", "titled", "word_count", "all_stopwords", pl.col("word_end").alias("end"))
        .join(grouped.filter(pl.col("is_first")).select("group", pl.col("word_start").alias("start")), on="group")
        .filter(((pl.col("word_count") >= 2) | pl.col("titled")) & ~pl.col("all_stopwords"))
        .join(type_of_groups(grouped, rules), on="group", how="left")
        .join(runs.select("run", "row"), on="run")
        .sort("start")
    )
    raw_surface = text_slices(buffer, groups["start"], groups["end"])
    corporate = raw_surface.str.ends_with(CORPORATE_WORDS[0]) | raw_surface.str.ends_with(CORPORATE_WORDS[1])
    surface = pl.select(pl.when(corporate).then(raw_surface).otherwise(raw_surface.str.strip_chars_end(".,;:"))).to_series()
    candidates = groups.select(
        "row", "start",
        (pl.col("start") + surface.str.len_bytes().cast(pl.Int64)).alias("end"),
        surface.alias("surface"),
        pl.coalesce("rule_type", pl.when(pl.col("titled")).then(pl.lit("PERSON"))).alias("candidate_type"),
    )
    # A released surname only leaves the gazetteer when it did end up inside a kept candidate.
    kept = covered_by_a_match(released_starts, released_starts + 1, candidates.select("start", "end").sort("start"))
    return candidates, released_starts.filter(kept)


def extract_mentions(texts: pl.DataFrame, gazetteer: Gazetteer) -> pl.DataFrame:
    """One row per mention: article_id, field, entity_id, surface, char_start, char_end (character offsets),
    match_rule, linked, candidate_type (the rule-given type of a candidate, else null)."""
    if texts.is_empty():
        return pl.DataFrame(schema=MENTION_SCHEMA)
    matcher = build_matcher(gazetteer)
    if "language" not in texts.columns:
        texts = texts.with_columns(pl.lit(None, dtype=pl.String).alias("language"))
    # One chunk: Polars compiles a regex per chunk, and a frame stacked from many small ones would pay that often.
    texts = texts.with_columns(pl.col("text").fill_null("")).rechunk()
    # Linking reads the article's language (its first text's), candidates the language of their own text.
    text_rows = texts.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), "article_id", "field",
        # texts without an article_id count as one article
        pl.col("article_id").rank("dense").cast(pl.Int64).fill_null(0).alias("article"),
        "language", pl.col("language").first().over("article_id").alias("article_language"),
    )
    buffer = TextBuffer.of(texts)
    matches = raw_matches(buffer, matcher)
    # Rows are numbered 0..n-1, so their columns are gathered rather than joined.
    linked = link_matches(
        matches.with_columns(
            text_rows["article"].gather(matches["row"]),
            text_rows["article_language"].gather(matches["row"]).alias("language"),
        ),
        matcher,
    )
    is_surname = pl.col("match_rule").is_in(["surname", "surname_unresolved"]).alias("is_surname")
    candidates, released_starts = find_candidates(texts, buffer, linked.select("start", "end", is_surname))
    linked = linked.filter(~pl.col("start").is_in(released_starts.implode()))
    candidates = candidates.with_columns(text_rows["language"].gather(candidates["row"]))
    # The same names recur across a batch: each distinct (surface, language) is keyed once.
    keys = candidates.select("surface", "language").unique().with_columns(
        candidate_key_expression(pl.col("surface")).alias("entity_id"))
    candidates = candidates.join(
        keys, on=["surface", "language"], how="left", nulls_equal=True, maintain_order="left"
    ).with_columns(
        pl.lit("candidate").alias("match_rule"),
        pl.lit(False).alias("linked"),
    )
    columns = ["row", "start", "end", "surface", "entity_id", "match_rule", "linked", "candidate_type"]
    mentions = to_text_offsets(pl.concat([linked.select(columns), candidates.select(columns)]), buffer)
    # One integer key (each text's rank in article_id, field order, then char_start) sorts far faster than the
    # mention rows' strings; texts sharing an article and field share a rank. Offsets stay below 2**32.
    text_order = text_rows.select(pl.struct("article_id", "field").rank("dense").cast(pl.Int64)).to_series()
    sort_key = text_order.gather(mentions["row"]) * 2**32 + mentions["char_start"]
    mentions = mentions.with_columns(sort_key.alias("sort_key")).sort("sort_key", maintain_order=True)
    return mentions.with_columns(
        text_rows["article_id"].gather(mentions["row"]).alias("article_id"),
        text_rows["field"].gather(mentions["row"]).alias("field"),
    ).select(list(MENTION_SCHEMA)).cast(MENTION_SCHEMA)


def to_text_offsets(mentions: pl.DataFrame, buffer: TextBuffer) -> pl.DataFrame:
    """Buffer byte offsets -> character offsets within each text."""
    chars = buffer.char_offsets(pl.concat([mentions["start"], mentions["end"], buffer.text_starts]))
    count = mentions.height
    text_chars = chars.slice(2 * count).gather(mentions["row"])
    return mentions.with_columns(
        (chars.slice(0, count) - text_chars).alias("char_start"),
        (chars.slice(count, count) - text_chars).alias("char_end"),
    )


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
