"""Linking gazetteer matches to identities within an article (shared names, bare surnames) and the cand:
keys of unknown names, with the entity rows they need."""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from pipelines.lib.entities.matcher import Matcher
from pipelines.lib.entities.rules import load_candidate_rules
from pipelines.lib.gazetteer import Gazetteer, slugify


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
    # A name shared country by country ('Kuvendi'): how often the article names each holder's country. Only the
    # few countries some holder has are counted.
    countries = matcher.holders["country_entity"].drop_nulls().unique()
    country_counts = (
        direct.filter(pl.col("direct_entity").is_in(countries.implode()))
        .group_by((pl.col("article") * 2**32 + pl.col("direct_entity")).alias("article_country")).len("country_mentions")
    )
    holders = holders.with_columns((pl.col("article") * 2**32 + pl.col("country_entity")).alias("article_country")).join(
        country_counts, on="article_country", how="left").with_columns(pl.col("country_mentions").fill_null(0))
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
        pl.col("entity").sort_by("country_mentions", descending=True).first().alias("country_entity"),
        pl.col("country_mentions").max().alias("top_country_mentions"),
        (pl.col("country_mentions") == pl.col("country_mentions").max()).sum().alias("top_country_holders"),
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
        # the article names one holder's country more often than any other's ('Kuvendi' on a Kosovo site)
        .when((pl.col("default_count") != 1) & (pl.col("named_count") == 0) & (pl.col("top_country_mentions") > 0)
              & (pl.col("top_country_holders") == 1)).then(pl.col("country_entity"))
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


# Albanian linking articles (i, e, të, së) standing alone inside a name: an Albanian noun phrase, whose first word
# carries the case ('Komisionit Qendror të Zgjedhjeve').
LINKING_ARTICLES = ("i", "e", "të", "së")


@lru_cache(maxsize=1)
def case_ending_regex() -> str:
    """A word's stem and its Albanian case endings: the shortest stem of three or more characters after which the
    rest of the word is one or more endings, each optionally hyphenated ('Kurtit' -> 'Kur'+'t'+'it', 'Kurti' ->
    'Kur'+'t'+'i', 'SHBA-së' -> 'SHBA'+'-së'). Stripping every ending, not only the last, is what makes the base and
    every inflected form of a name one stem, in either language ('Putin', 'Putini', 'Putinit' -> 'Put')."""
    suffixes = "|".join(re.escape(suffix) for suffix in load_candidate_rules().suffixes)
    return rf"^(\S{{3,}}?)(?:-?(?:{suffixes}))+$"


def candidate_key_expression(surface: pl.Expr) -> pl.Expr:
    """candidate_key as a column expression: 'cand:' + the ASCII slug of the name with Albanian inflection folded,
    the same in both languages (see candidate_key)."""
    articles = "|".join(LINKING_ARTICLES)
    words = surface.str.strip_chars().str.split(" ")
    has_article = surface.str.contains(rf"\s(?:{articles})\s")
    kept = pl.when(has_article).then(words.list.eval(pl.element().filter(~pl.element().is_in(LINKING_ARTICLES))))
    kept = kept.otherwise(words)
    last = kept.list.last().str.replace(case_ending_regex(), "${1}")
    first = pl.when(has_article).then(kept.list.first().str.replace(case_ending_regex(), "${1}"))
    middle = kept.list.slice(1, kept.list.len() - 2).list.join(" ")
    name = pl.when(kept.list.len() == 1).then(last).otherwise(
        pl.concat_str([pl.coalesce(first, kept.list.first()), middle, last], separator=" "))
    folded = name.str.normalize("NFKD").str.replace_all(r"\p{Mn}", "").str.replace_all("ı", "i").str.to_lowercase()
    return pl.lit("cand:") + folded.str.replace_all(r"[^a-z0-9]+", "_").str.strip_chars("_")


@lru_cache(maxsize=65536)
def candidate_key(name: str, language: str | None = None, suffixes: tuple[str, ...] = ()) -> str:
    """'cand:' + the lowercase ASCII slug of the name with its Albanian inflection folded: the last word (and, in a
    noun phrase with a linking article, the first word, the articles dropped) loses every case ending
    ('Arben Krasniqit', 'Arben Krasniqi' -> cand:arben_krasniq; 'Komisionit Qendror të Zgjedhjeve' and 'Komisioni Qendror
    i Zgjedhjeve' -> cand:komisio_qendror_zgjedhje). The key depends on the name alone, not on the text's language,
    so one unknown name is one id across articles and languages. `language` and `suffixes` are kept for callers
    of the earlier signature; the rule reads the suffixes from the inflection table. For callers holding one name
    (the evaluation harness); candidate_key_expression is the same rule over a column."""
    stem = re.compile(case_ending_regex())
    words = name.split()
    has_article = len(words) > 2 and any(word in LINKING_ARTICLES for word in words[1:-1])
    if has_article:
        words = [word for word in words if word not in LINKING_ARTICLES]
        words[0] = stem.sub(r"\1", words[0])
    words[-1] = stem.sub(r"\1", words[-1])
    return "cand:" + slugify(" ".join(words))


# Alias kinds whose stem may stand for their entity: a surname is decided by the article's full names instead.
STEM_ALIAS_KINDS = ("name", "variant", "acronym")
# A one-word stem shorter than this is too common to name one entity ('Kur' of Kurti, 'Rus' of Rusia).
MINIMUM_ONE_WORD_STEM = 4
STEM_RULE = "stem"
_NAME_STEMS: dict[str, pl.DataFrame] = {}


def stem_key_expression(surface: pl.Expr, strip: bool = True) -> pl.Expr:
    """A name with every word stemmed (each loses all its Albanian case endings, see case_ending_regex) and the
    linking articles dropped, as an ASCII slug: 'Mbretërisë së Danimarkës' and 'Mbretëria e Danimarkës' ->
    'mbret_danimark', 'Ramush Haradinajt' and 'Ramush Haradinaj' one stem. Looser than the cand: key, which stems
    only the words that carry case in a well-formed name. A final vowel left on a stem of four letters or more goes
    too: foreign names take Albanian endings in place of it ('Pančevo' -> 'Pançevës', 'Elize' -> 'Elizesë')."""
    words = surface.str.strip_chars().str.split(" ").list.eval(
        pl.element().filter(~pl.element().is_in(LINKING_ARTICLES)).str.replace(case_ending_regex(), "${1}")
        .str.replace(r"^(\S{4,}?)[aeiouyëAEIOUYË]$", "${1}") if strip
        else pl.element().filter(~pl.element().is_in(LINKING_ARTICLES)))
    folded = words.list.join(" ").str.normalize("NFKD").str.replace_all(r"\p{Mn}", "").str.replace_all("ı", "i")
    return folded.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "_").str.strip_chars("_")


def gazetteer_name_stems(gazetteer: Gazetteer) -> pl.DataFrame:
    """stem, entity_id, entity_type: the stem of every gazetteer name that inflects in Albanian (a person's name in
    any language; not English-only spellings of other names: 'Roseau' is 'Roso' in Albanian text; not surnames; not
    a name shared country by country) that one
    entity alone has, cached per gazetteer version. One-word stems are kept only from MINIMUM_ONE_WORD_STEM
    characters on."""
    if gazetteer.version in _NAME_STEMS:
        return _NAME_STEMS[gazetteer.version]
    names = gazetteer.aliases.join(gazetteer.entities.select("entity_id", "entity_type"), on="entity_id").filter(
        pl.col("alias_kind").is_in(STEM_ALIAS_KINDS) & pl.col("country").is_null()
        & ((pl.col("inflect") != "none") | (pl.col("entity_type") == "PERSON")))
    stems = (
        names.select(stem_key_expression(pl.col("alias")).alias("stem"), "entity_id", "entity_type").unique()
        .filter(pl.col("stem").str.contains("_") | (pl.col("stem").str.len_chars() >= MINIMUM_ONE_WORD_STEM))
        .filter(pl.col("entity_id").n_unique().over("stem") == 1)
        .sort("stem")
    )
    _NAME_STEMS[gazetteer.version] = stems
    return stems


def link_candidates_by_stem(candidates: pl.DataFrame, language: pl.Series, gazetteer: Gazetteer) -> pl.DataFrame:
    """A candidate in Albanian text whose stem is the stem of exactly one gazetteer name is that entity: an inflected
    form the inflection rules do not generate ('Nvidias', 'Pançevës', 'Ramush Haradinajt', 'në Kongres'). English
    has no case endings to fold, and its stems would make demonyms places ('Montenegrins'). A one-word candidate must
    carry an ending ('Ford' is not 'Fordo' cut short). The row keeps its surface and offsets; it takes the entity's
    id and type, linked, match_rule STEM_RULE, type_score 1.0.
    In and out: row, start, end, surface, entity_id, match_rule, linked, candidate_type, entity_type, type_score;
    `language` is each candidate's text language."""
    if candidates.is_empty():
        return candidates
    stems = gazetteer_name_stems(gazetteer).rename({"entity_id": "stem_entity", "entity_type": "stem_type"})
    stem = stem_key_expression(pl.col("surface"))
    several_words = pl.col("surface").str.contains(r"\s")
    # Names recur: each distinct Albanian surface is stemmed once.
    surfaces = candidates.filter(language == "sq").select("surface").unique().with_columns(
        pl.when(several_words | (stem != stem_key_expression(pl.col("surface"), strip=False))).then(stem).alias("stem")
    ).join(stems, on="stem")
    found = candidates.select("surface", language.alias("language")).join(
        surfaces, on="surface", how="left", maintain_order="left")
    found = found.with_columns(pl.when(pl.col("language") == "sq").then(pl.col("stem_entity")).alias("stem_entity"))
    hit = found["stem_entity"].is_not_null()
    return candidates.with_columns(
        pl.when(hit).then(found["stem_entity"]).otherwise(pl.col("entity_id")).alias("entity_id"),
        pl.when(hit).then(pl.lit(STEM_RULE)).otherwise(pl.col("match_rule")).alias("match_rule"),
        (pl.col("linked") | hit).alias("linked"),
        pl.when(hit).then(None).otherwise(pl.col("candidate_type")).alias("candidate_type"),
        pl.when(hit).then(found["stem_type"]).otherwise(pl.col("entity_type")).alias("entity_type"),
        pl.when(hit).then(pl.lit(1.0)).otherwise(pl.col("type_score")).alias("type_score"),
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
