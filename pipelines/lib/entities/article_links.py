"""Within an article, a short form links to the full name the same article gives: a bare surname to the one person
named in full with it ('Kurtit' -> Albin Kurti), an acronym to the name it follows in brackets ('... (KQZ)').
Column expressions and joins over the whole batch's mention frame; nothing is linked when two holders compete."""

from __future__ import annotations

import polars as pl

from pipelines.lib.entities.frames import TextBuffer
from pipelines.lib.entities.resolve import candidate_key_expression

# Unlinked single words that may be a short form: candidates, and gazetteer surnames no holder of which the article
# names ('ambiguous' shared place names stay as they are).
SHORT_FORM_RULES = ("candidate", "surname_unresolved", "untagged_word")
# A capitalised word the typer left out of every name: kept only when it links to a full name here.
UNTAGGED_WORD = "untagged_word"
# Types a full name may have to lend its surname, and a short form may have to take one: a candidate's type may be
# unknown (null).
PERSON_TYPES = ("PERSON",)
HYPHENATED_ENDING = r"-\p{Ll}{1,4}$"
ACRONYM = r"^\p{Lu}[\p{Lu}\p{N}&]{1,9}$"
# The copied columns: what a short form takes from its full name (those of them the frame has).
HOLDER_COLUMNS = ("entity_id", "linked", "candidate_type", "entity_type", "type_score")


def link_within_articles(mentions: pl.DataFrame, buffer: TextBuffer, entity_types: pl.DataFrame) -> pl.DataFrame:
    """Acronyms, then short forms, take the identity of their full name in the same article.
    In: row, article (an integer key per article), start, end (buffer bytes), surface, entity_id, match_rule, linked,
    candidate_type [, entity_type, type_score]; entity_types: entity_id, entity_type of the gazetteer.
    Out: the same rows and columns, in the same order; a relinked row's match_rule is `acronym` or `short_form`."""
    if mentions.is_empty():
        return mentions
    columns = mentions.columns
    framed = mentions.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("mention_index"),
        mention_types(mentions, entity_types).alias("mention_type"),
        pl.col("surface").str.contains(r"\s").alias("several_words"),
    )
    framed = apply_links(framed, acronym_links(framed, buffer), "acronym")
    framed = apply_links(framed, short_form_links(framed), "short_form")
    return framed.select(columns)


def mention_types(mentions: pl.DataFrame, entity_types: pl.DataFrame) -> pl.Series:
    """The type each mention carries: the stage's entity_type when it has one, else the gazetteer's type of a linked
    mention and the candidate type of the others."""
    if "entity_type" in mentions.columns:
        return mentions["entity_type"]
    gazetteer_type = mentions.select("entity_id").join(
        entity_types.select("entity_id", pl.col("entity_type").alias("gazetteer_type")), on="entity_id", how="left",
        maintain_order="left")["gazetteer_type"]
    return mentions.select(
        pl.when(pl.col("linked")).then(gazetteer_type).otherwise(pl.col("candidate_type"))).to_series()


def short_form_links(framed: pl.DataFrame) -> pl.DataFrame:
    """mention_index -> holder_index: an unlinked single word whose folded key is the folded last word of exactly one
    full name of a person (or of an untyped candidate) in the same article, anywhere in it, title included. The
    full name decides, whatever type the typer gave the bare word ('Kanye West' ... 'West' typed GPE); the word
    takes the person's type. Two full names sharing the surname ('Bujar Osmani', 'Arben Osmani') leave it unlinked;
    a double-barrelled name ('Black-Daley') does not share 'Daley'."""
    person_like = pl.col("mention_type").is_null() | pl.col("mention_type").is_in(PERSON_TYPES)
    holders = (
        framed.filter(pl.col("several_words") & person_like & pl.col("surface").str.contains(r"\s\p{Lu}\S*$"))
        .select("article", "mention_index", "entity_id",
                candidate_key_expression(pl.col("surface").str.extract(r"(\S+)$")).str.strip_prefix("cand:")
                .alias("surname_key"),
                candidate_key_expression(pl.col("surface").str.extract(r"^(\S+)")).alias("given_key"))
        .drop_nulls("surname_key")
    )
    # Full names are one person when they share the identity, or the first and last word with or without a middle
    # name ('Sayfullo Saipov', 'Sayfullo Habibullaevic Saipov'); the earliest mention lends its identity.
    unique_holders = (
        holders.group_by("article", "surname_key")
        .agg(pl.min_horizontal(pl.col("entity_id").n_unique(), pl.col("given_key").n_unique()).alias("holder_count"),
             pl.col("mention_index").min().alias("holder_index"))
        .filter(pl.col("holder_count") == 1)
    )
    short_forms = framed.filter(
        ~pl.col("several_words") & ~pl.col("linked") & pl.col("match_rule").is_in(SHORT_FORM_RULES)
        & pl.col("entity_id").str.starts_with("cand:")
    ).select("article", "mention_index", "surface", pl.col("entity_id").str.strip_prefix("cand:").alias("surname_key"))
    # An Albanian ending after a hyphen ('Volta-s', 'Trump-it') is no part of the surname: only those few words
    # are keyed again, without it.
    hyphenated = pl.col("surface").str.contains(HYPHENATED_ENDING)
    short_forms = pl.concat([
        short_forms.filter(~hyphenated),
        short_forms.filter(hyphenated).with_columns(
            candidate_key_expression(pl.col("surface").str.replace(HYPHENATED_ENDING, ""))
            .str.strip_prefix("cand:").alias("surname_key")),
    ])
    return short_forms.join(unique_holders, on=["article", "surname_key"]).select("mention_index", "holder_index")


def acronym_links(framed: pl.DataFrame, buffer: TextBuffer) -> pl.DataFrame:
    """mention_index -> holder_index for the acronyms an article defines: a name of several words right followed by
    '(ACRONYM)' whose letters are, in order, initials of the name's words ('Komisioni Qendror i Zgjedhjeve (KQZ)',
    'the Central Election Commission (CEC)'; not 'Hashim Thaçi (PDK)'). Every unlinked mention of the acronym in
    that article ('KQZ-së') takes the name's identity; when only the acronym is in the gazetteer, the name and its
    repeats take the acronym's. An acronym defined by two different names in one article links nowhere."""
    ordered = framed.sort("start")
    following = ordered.select(
        pl.col("row").shift(-1).alias("next_row"), pl.col("start").shift(-1).alias("next_start"),
        pl.col("end").shift(-1).alias("next_end"), pl.col("surface").shift(-1).alias("acronym"),
        pl.col("mention_index").shift(-1).alias("acronym_index"), pl.col("linked").shift(-1).alias("acronym_linked"),
    )
    pairs = pl.concat([ordered, following], how="horizontal").filter(
        pl.col("several_words") & (pl.col("next_row") == pl.col("row"))
        & (pl.col("next_start") - pl.col("end")).is_in([1, 2]) & pl.col("acronym").str.contains(ACRONYM)
    )
    if pairs.is_empty():
        return pl.DataFrame(schema={"mention_index": pl.Int64, "holder_index": pl.Int64})
    text_bytes = buffer.byte_values()
    pairs = pairs.with_columns(
        text_bytes.gather(pairs["next_start"] - 1).alias("opening"),
        text_bytes.gather(pairs["end"]).alias("after_name"),
        text_bytes.gather(pairs["next_end"]).alias("closing"),
    ).filter(
        (pl.col("opening") == ord("(")) & (pl.col("closing") == ord(")"))
        & ((pl.col("next_start") - pl.col("end") == 1) | (pl.col("after_name") == ord(" ")))
    )
    # An Albanian digraph is one letter and may give two to an acronym: ZRRE is 'Zyra e Rregullatorit ...'.
    initials = pl.col("surface").str.replace_all(
        r"(Dh|Gj|Ll|Nj|Rr|Sh|Th|Xh|Zh|\p{L})[\p{L}\p{M}'’.]*", "${1}").str.replace_all(r"[^\p{L}]", "")
    letters_in_order = pl.lit("^") + pl.col("acronym").str.replace_all(r"(.)", "${1}.*")
    definitions = pairs.filter(initials.str.to_uppercase().str.contains(letters_in_order)).select(
        "article", "acronym", "mention_index", "entity_id", "linked", "acronym_index", "acronym_linked")
    # One definition per acronym and article: the first, unless another name defines it too.
    definitions = definitions.filter(pl.col("entity_id").n_unique().over("article", "acronym") == 1).unique(
        ["article", "acronym"], keep="first", maintain_order=True)
    acronym_base = pl.col("surface").str.replace(r"-\p{Ll}{1,3}$", "")
    uses = framed.filter(~pl.col("linked") & ~pl.col("several_words")).select(
        "article", acronym_base.alias("acronym"), pl.col("mention_index").alias("use_index"))
    # the acronym's unlinked uses take the name (gazetteer or candidate) ...
    to_name = definitions.filter(pl.col("linked") | ~pl.col("acronym_linked")).join(uses, on=["article", "acronym"])
    # ... unless only the acronym is known: then the name's mentions in the article take the acronym's identity
    name_mentions = framed.filter(~pl.col("linked")).select(
        "article", "entity_id", pl.col("mention_index").alias("use_index"))
    to_acronym = definitions.filter(~pl.col("linked") & pl.col("acronym_linked")).join(
        name_mentions, on=["article", "entity_id"])
    return pl.concat([
        to_name.select(pl.col("use_index").alias("mention_index"), pl.col("mention_index").alias("holder_index")),
        to_acronym.select(pl.col("use_index").alias("mention_index"), pl.col("acronym_index").alias("holder_index")),
    ])


def apply_links(framed: pl.DataFrame, links: pl.DataFrame, rule: str) -> pl.DataFrame:
    """Copy each holder's identity (HOLDER_COLUMNS) onto its linked mentions and mark them with `rule`."""
    links = links.unique("mention_index", keep="first").sort("mention_index")
    if links.is_empty():
        return framed
    copied = [column for column in HOLDER_COLUMNS if column in framed.columns]
    updates = {column: framed[column].clone().scatter(links["mention_index"], framed[column].gather(links["holder_index"]))
               for column in (*copied, "mention_type")}
    updates["match_rule"] = framed["match_rule"].clone().scatter(links["mention_index"], rule)
    return framed.with_columns(**updates)
