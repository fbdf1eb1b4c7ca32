"""The gazetteer scan: every alias form in one Aho-Corasick automaton (split by first byte for speed),
run once over a batch buffer; whole-word matches come out as (row, pattern_index, start, end) byte offsets."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import chain

import ahocorasick_rs
import polars as pl

from pipelines.lib.entities.frames import TextBuffer, last_match_before, text_slices
from pipelines.lib.entities.rules import alias_forms
from pipelines.lib.gazetteer import Gazetteer


def build_pattern_table(gazetteer: Gazetteer) -> pl.DataFrame:
    """One row per (pattern, entity): exact aliases and their rule-generated forms."""
    aliases = gazetteer.aliases.join(gazetteer.entities.select("entity_id", "entity_type"), on="entity_id")
    rows = []
    for row in aliases.iter_rows(named=True):
        for form in alias_forms(row["alias"], row["inflect"], row["entity_type"], row["language"]):
            rows.append((form, row["entity_id"], row["entity_type"], row["alias_kind"], row["is_default"], form != row["alias"],
                         row["country"]))
    table = pl.DataFrame(
        rows,
        schema={"pattern": pl.String, "entity_id": pl.String, "entity_type": pl.String, "alias_kind": pl.String,
                "is_default": pl.Boolean, "inflected": pl.Boolean, "country": pl.String},
        orient="row",
    ).unique(subset=["pattern", "entity_id"], keep="first", maintain_order=True)
    # A spelling that is some entity's own alias is not also a generated form of another one, and a full name
    # beats a surname ('Jordan' the country, not someone's surname).
    rank = pl.col("inflected").cast(pl.Int8) * 2 + (pl.col("alias_kind") == "surname").cast(pl.Int8)
    return table.with_columns(rank.alias("rank")).filter(pl.col("rank") == pl.col("rank").min().over("pattern")).drop("rank")


@dataclass(frozen=True)
class Matcher:
    # The patterns split by first byte (see build_scanners): one scan by each finds the full automaton's matches.
    scanners: tuple[Scanner, ...]
    # pattern_index (0..n-1), surface, and for a pattern naming one entity whatever the article says its entity
    # and match_rule (else null). Matching is exact and case-sensitive, so a match's surface is its pattern.
    patterns: pl.DataFrame
    # pattern_index, entity, entity_type, is_default, is_surname, match_rule, country_entity (the entity number of the
    # holder's country for a name shared country by country, else null): shared names
    holders: pl.DataFrame
    entity_ids: pl.Series  # entity_id by entity number: linking joins on the numbers, not the strings

    @cached_property
    def automaton(self) -> ahocorasick_rs.BytesAhoCorasick:
        """One automaton over the UTF-8 bytes of every pattern (its index is pattern_index). Only the rare texts
        where the scanners' matches partly overlap are scanned by it (see leftmost_longest_matches), so it is built
        on first use: a process that never needs it saves its build (0.06 s of the matcher's 0.38 s)."""
        # Contiguous NFA: the fastest scan for this many patterns (a DFA's tables overflow the cache), quick to build.
        return new_automaton([surface.encode("utf-8") for surface in self.patterns["surface"]],
                             ahocorasick_rs.Implementation.ContiguousNFA)


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
    entity_numbers = pl.int_range(entity_ids.len(), dtype=pl.Int64, eager=True)
    table = table.join(patterns, left_on="pattern", right_on="surface").with_columns(
        pl.col("entity_id").replace_strict(entity_ids, entity_numbers).alias("entity"),
        pl.col("country").replace_strict(entity_ids, entity_numbers, default=None).alias("country_entity"),
    )
    is_direct = (pl.len().over("pattern_index") == 1) & (pl.col("alias_kind") != "surname")
    direct = table.filter(is_direct).select("pattern_index", pl.col("entity").alias("direct_entity"),
                                            pl.col("match_rule").alias("direct_rule"))
    encoded = [surface.encode("utf-8") for surface in patterns["surface"]]
    matcher = Matcher(
        scanners=build_scanners(encoded),
        patterns=patterns.join(direct, on="pattern_index", how="left", maintain_order="left"),
        holders=table.filter(~is_direct).select(
            "pattern_index", "entity", "entity_type", "is_default",
            (pl.col("alias_kind") == "surname").alias("is_surname"), "match_rule", "country_entity",
        ),
        entity_ids=entity_ids,
    )
    _MATCHERS[gazetteer.version] = matcher
    return matcher


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


# A word in capitals (three letters or more) and a phrase or dateline of them: ALL-CAPS headlines ('PUTIN AND TRUMP
# TO MEET IN BUDAPEST', 'KURTI TAKON RAMËN'), wire datelines ('LONDON, Oct 17 (Reuters)'), names set in capitals.
CAPITALS_WORD = r"\p{Lu}{3,}"
HOLDS_CAPITALS = rf"{CAPITALS_WORD}[\s,]+\p{{Lu}}{{2,}}|(?m:^{CAPITALS_WORD}(?:[ -]{CAPITALS_WORD})*\s*[,(])"


def title_cased_view(texts: pl.Series) -> pl.Series:
    """Each text with its words in capitals written as names are ('KURTI TAKON RAMËN' -> 'Kurti Takon Ramën'), byte
    for byte as long as the text, so a match in the view has the text's own offsets; texts without a phrase or
    dateline in capitals, and the rare text whose case change would move bytes, stay as they are. Only the texts
    holding capitals are cut into pieces."""
    holding = texts.str.contains(HOLDS_CAPITALS).fill_null(False)
    chosen = texts.filter(holding)
    pieces = chosen.str.extract_all(rf"{CAPITALS_WORD}|\P{{Lu}}+|\p{{Lu}}{{1,2}}")
    view = pieces.list.eval(pl.when(pl.element().str.contains(rf"^{CAPITALS_WORD}$"))
                            .then(pl.element().str.to_titlecase()).otherwise(pl.element())).list.join("")
    same_length = view.str.len_bytes() == chosen.str.len_bytes()
    positions = holding.arg_true().filter(same_length)
    # scatter writes in place: on a copy, so the texts themselves stay as written
    return texts.clone().scatter(positions, view.filter(same_length)) if positions.len() else texts


def matches_in_capitals(texts: pl.Series, buffer: TextBuffer, matcher: Matcher, matches: pl.DataFrame,
                        stopwords: frozenset[str]) -> pl.DataFrame:
    """Gazetteer names written in capitals, which the case-sensitive scan misses ('PUTIN', 'RAMËN', 'LONDON'): the
    whole-word matches of the title-cased view over words it changed, where the text itself matched nothing. A one-word
    match of a stop word is dropped ('MAY' is no surname). Same columns as raw_matches; the caller reads surfaces
    from the text."""
    view_texts = title_cased_view(texts)
    if view_texts.equals(texts):
        return matches.clear()
    view = TextBuffer.of(pl.DataFrame({"text": view_texts}))
    found = raw_matches(view, matcher)
    if found.is_empty():
        return found
    surfaces = text_slices(view, found["start"], found["end"])
    changed = surfaces != text_slices(buffer, found["start"], found["end"])
    one_stop_word = ~surfaces.str.contains(r"\s") & surfaces.str.to_lowercase().is_in(list(stopwords))
    found = found.filter(changed & ~one_stop_word)
    if found.is_empty() or matches.is_empty():
        return found
    previous = last_match_before(found["end"], matches.select("start", "end"), inclusive=False)
    return found.filter(~(previous["end"] > found["start"]).fill_null(False))
