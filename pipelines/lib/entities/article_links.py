"""Within an article, a short form links to the full name the same article gives: a bare surname to the one person
named in full with it ('Kurtit' -> Albin Kurti), an acronym to the name it follows in brackets ('... (KQZ)').
Column expressions and joins over the whole batch's mention frame; nothing is linked when two holders compete."""

from __future__ import annotations

import polars as pl

from pipelines.lib.entities.features import common_words, first_names
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
# An Arabic article before a surname ('al-Sharaa', 'el-Sisi'): the bare surname is written without it.
ARABIC_ARTICLE = r"^(?:al|el|ad|as|ash|at|az|ar)-"
ACRONYM = r"^\p{Lu}[\p{Lu}\p{N}&]{1,9}$"
ALL_CAPITALS = r"^\p{Lu}[\p{Lu}\p{M}’'-]+$"
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
    short_forms = short_form_links(framed, buffer)
    framed = apply_links(framed, short_forms, "short_form")
    framed = persons_by_their_surnames(framed, short_forms.filter(pl.col("person_evidence")))
    return framed.select(columns)


def persons_by_their_surnames(framed: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """A candidate full name the typer typed otherwise, shortened by bare words it typed PERSON ('Evo Morales' ORG,
    'Morales' PERSON twice), is a person: every mention of that identity in the article takes the type."""
    if links.is_empty():
        return framed
    retyped = framed.select("article", "entity_id").gather(links["holder_index"]).unique()
    is_retyped = pl.struct("article", "entity_id").is_in(retyped.select(pl.struct("article", "entity_id")).to_series()
                                                         .implode())
    return framed.with_columns(
        pl.when(is_retyped).then(pl.lit("PERSON")).otherwise(pl.col(column)).alias(column)
        for column in ("mention_type", "candidate_type", "entity_type") if column in framed.columns)


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


def short_form_links(framed: pl.DataFrame, buffer: TextBuffer) -> pl.DataFrame:
    """mention_index -> holder_index: an unlinked single word whose folded key is the folded last word of exactly one
    full name of a person (or of an untyped candidate) in the same article, anywhere in it, title included. The
    full name decides, whatever type the typer gave the bare word ('Kanye West' ... 'West' typed GPE); the word
    takes the person's type. A bare word the typer itself took for a person may also shorten a candidate full name
    of another type (the typer's 'Evo Morales' ORG, 'Morales' PERSON). Two full names sharing the surname ('Bujar
    Osmani', 'Arben Osmani') leave it unlinked; a double-barrelled name ('Black-Daley') does not share 'Daley'; an
    Arabic article before the surname is no part of it ('Ahmed al-Sharaa' ... 'Sharaan'). A sentence opened by a
    common word that is no first name before the surname of another full name ('Eduard Hitzig' ... 'Apparently
    Hitzig') is no second holder: it shortens that full name too. Unlinked names of
    several words that are a full name without its first word ('Trump Jr.' after 'Donald Trump Jr.') link the same
    way."""
    is_person = pl.col("mention_type").is_in(PERSON_TYPES)
    person_like = pl.col("mention_type").is_null() | is_person
    is_candidate = pl.col("entity_id").str.starts_with("cand:")
    # the pattern is matched on the few rows the cheap tests keep, and only the columns read below are copied
    full_names = framed.select("article", "mention_index", "entity_id", "surface", "start", "linked", "mention_type",
                               "several_words").filter(pl.col("several_words") & (person_like | is_candidate)).filter(
        pl.col("surface").str.contains(r"\s(?:\p{Ll}{1,3}-)?\p{Lu}\S*$"))
    # A common word that is no first name opening a sentence: the run may be a surname after it, not a person.
    text_bytes = buffer.byte_values()
    before = text_bytes.gather((full_names["start"] - 1).clip(0))
    two_before = text_bytes.gather((full_names["start"] - 2).clip(0))
    opens_sentence = ((full_names["start"] == 0) | (before == ord("\n"))
                      | ((before == ord(" ")) & two_before.is_in([ord("."), ord("!"), ord("?")])))
    full_names = (
        full_names.with_columns(opens_sentence.alias("opens_sentence"))
        .join(full_name_keys(full_names["surface"]), on="surface", how="left", maintain_order="left")
        .select("article", "mention_index", "entity_id", person_like.alias("person_like"), "surname_key",
                "given_key",
                (pl.col("opens_sentence") & pl.col("common_opener") & is_candidate & ~pl.col("linked"))
                .alias("common_opening"))
        .drop_nulls("surname_key")
    )
    # ... when another full name, not so opened, has that surname
    full_names = full_names.with_columns(
        (pl.col("common_opening") & (~pl.col("common_opening")).any().over("article", "surname_key"))
        .alias("common_opening"))
    holders = full_names.filter(~pl.col("common_opening"))
    # Full names are one person when they share the identity, or the first and last word with or without a middle
    # name ('Sayfullo Saipov', 'Sayfullo Habibullaevic Saipov'); the earliest mention lends its identity. Where a
    # person (or untyped name) has the surname, only those compete ('Oliver Cromwell' beside the organisation
    # 'Shoqata Cromwell'); where none has it, names of another type do ('Evo Morales' typed ORG).
    holders = holders.filter(pl.col("person_like") | ~pl.col("person_like").any().over("article", "surname_key"))
    unique_holders = (
        holders.group_by("article", "surname_key")
        .agg(pl.min_horizontal(pl.col("entity_id").n_unique(), pl.col("given_key").n_unique()).alias("holder_count"),
             pl.col("mention_index").min().alias("holder_index"), pl.col("person_like").any().alias("person_like"),
             pl.col("entity_id").sort_by("mention_index").first().str.starts_with("cand:").alias("holder_is_candidate"))
        .filter(pl.col("holder_count") == 1)
    )
    short_forms = framed.filter(
        ~pl.col("several_words") & ~pl.col("linked") & pl.col("match_rule").is_in(SHORT_FORM_RULES) & is_candidate
    ).select("article", "mention_index", "surface", pl.col("entity_id").str.strip_prefix("cand:").alias("surname_key"),
             is_person.fill_null(False).alias("typed_person"))
    # A gazetteer surname its default holder took ('Berisha' -> Sali Berisha) in an article whose only full name with
    # that surname is a person nobody listed ('Liridona Berisha'): that person, as for any bare surname. A gazetteer
    # holder named in full ('Melania Trump') leaves the default its surname (see resolve.link_matches).
    defaults = framed.filter(~pl.col("several_words") & (pl.col("match_rule") == "surname")).select(
        "article", "mention_index", "surface", candidate_key_expression(pl.col("surface")).str.strip_prefix("cand:")
        .alias("surname_key"), pl.lit(True).alias("typed_person"))
    # An Albanian ending after a hyphen ('Volta-s', 'Trump-it') is no part of the surname: only those few words
    # are keyed again, without it.
    hyphenated = pl.col("surface").str.contains(HYPHENATED_ENDING)
    # A word in capitals ('KURTIT' in a headline) is keyed as the capitalised word, whose endings fold.
    capitals = pl.col("surface").str.contains(ALL_CAPITALS)
    short_forms = pl.concat([
        short_forms.filter(~hyphenated & ~capitals),
        short_forms.filter(hyphenated | capitals).with_columns(
            candidate_key_expression(pl.col("surface").str.replace(HYPHENATED_ENDING, "").str.to_titlecase())
            .str.strip_prefix("cand:").alias("surname_key")),
    ])
    surname_links = pl.concat([
        short_forms,
        defaults.join(unique_holders.filter(pl.col("holder_is_candidate") & pl.col("person_like")),
                      on=["article", "surname_key"], how="semi"),
    ]).join(unique_holders, on=["article", "surname_key"]).filter(pl.col("person_like") | pl.col("typed_person"))
    common_openings = full_names.filter(pl.col("common_opening")).join(
        unique_holders.filter(pl.col("person_like")), on=["article", "surname_key"])
    # 'Trump Jr.' after 'Donald Trump Jr.': the key of a full name without its first word
    tails = framed.select("article", "mention_index", "entity_id", "surface", "mention_type").filter(is_person).filter(
        pl.col("surface").str.contains(r"\S\s+\S+\s")).select(
        "article", pl.col("mention_index").alias("holder_index"), "entity_id", "surface")
    tail_keys = tails.select("surface").unique().with_columns(
        candidate_key_expression(pl.col("surface").str.replace(r"^\S+\s+", "")).alias("tail_key"))
    tails = tails.join(tail_keys, on="surface", maintain_order="left").filter(pl.col("entity_id").n_unique().over("article", "tail_key") == 1).unique(
        ["article", "tail_key"], keep="first", maintain_order=True)
    tail_links = framed.filter(pl.col("several_words") & ~pl.col("linked") & is_candidate).select(
        "article", "mention_index", pl.col("entity_id").alias("tail_key")).join(tails, on=["article", "tail_key"])
    # a bare word the typer took for a person, shortening a candidate typed otherwise, makes that name a person
    evidence = pl.col("typed_person") & ~pl.col("person_like") & pl.col("holder_is_candidate")
    return pl.concat([
        surname_links.select("mention_index", "holder_index", evidence.alias("person_evidence")),
        common_openings.select("mention_index", "holder_index", pl.lit(False).alias("person_evidence")),
        tail_links.select("mention_index", "holder_index", pl.lit(False).alias("person_evidence")),
    ])


def full_name_keys(surfaces: pl.Series) -> pl.DataFrame:
    """surface, surname_key (the folded last word, an Arabic article dropped), given_key (the first word's cand:
    key), common_opener (the first word is a common word and no first name), once per distinct surface."""
    first_word = pl.col("surface").str.extract(r"^(\S+)")
    last_word = pl.col("surface").str.extract(r"(\S+)$").str.replace(ARABIC_ARTICLE, "")
    last_word = pl.when(last_word.str.contains(ALL_CAPITALS)).then(last_word.str.to_titlecase()).otherwise(last_word)
    return surfaces.unique().to_frame("surface").with_columns(
        candidate_key_expression(last_word).str.strip_prefix("cand:").alias("surname_key"),
        candidate_key_expression(first_word).alias("given_key"),
        (first_word.str.to_lowercase().is_in(common_words().implode())
         & ~first_word.str.to_lowercase().is_in(list(first_names()))).alias("common_opener"),
    )


def acronym_links(framed: pl.DataFrame, buffer: TextBuffer) -> pl.DataFrame:
    """mention_index -> holder_index for the acronyms an article defines: a name of several words right followed by
    '(ACRONYM)' whose letters are, in order, initials of the name's words ('Komisioni Qendror i Zgjedhjeve (KQZ)',
    'the Central Election Commission (CEC)'; not 'Hashim Thaçi (PDK)'). Every unlinked mention of the acronym in
    that article ('KQZ-së') takes the name's identity; when only the acronym is in the gazetteer, the name and its
    repeats take the acronym's. An acronym defined by two different names in one article links nowhere."""
    # only the columns read below are put in buffer order
    ordered = framed.select("row", "article", "start", "end", "surface", "entity_id", "linked", "several_words",
                            "mention_index").sort("start")
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
    if definitions.is_empty():
        return pl.DataFrame(schema={"mention_index": pl.Int64, "holder_index": pl.Int64})
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
