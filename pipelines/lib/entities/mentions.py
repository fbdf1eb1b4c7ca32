"""extract_mentions: the entity stage from texts to mention rows (gazetteer scan, linking, candidates).
The one public entry point; MENTION_SCHEMA is the column contract the warehouse stores."""

from __future__ import annotations

import polars as pl

from pipelines.lib.entities.article_links import UNTAGGED_WORD, link_within_articles
from pipelines.lib.entities.candidates import find_candidate_words
from pipelines.lib.entities.features import common_keys, common_words, first_names, text_casing
from pipelines.lib.entities.frames import (
    TextBuffer,
    covered_by_a_match,
    last_match_before,
    text_slices,
    to_text_offsets,
)
from pipelines.lib.entities.matcher import build_matcher, matches_in_capitals, raw_matches
from pipelines.lib.entities.resolve import (
    LINKING_ARTICLES,
    candidate_key_expression,
    link_candidates_by_stem,
    link_matches,
)
from pipelines.lib.entities.rules import load_candidate_rules
from pipelines.lib.entities.typer import TyperModel, class_probabilities, load_typer, tag_names, vote_types
from pipelines.lib.gazetteer import Gazetteer

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
    "entity_type": pl.String,
    "type_score": pl.Float64,
}


def extract_mentions(texts: pl.DataFrame, gazetteer: Gazetteer, typer: TyperModel | None = None) -> pl.DataFrame:
    """One row per mention: article_id, field, entity_id, surface, char_start, char_end (character offsets),
    match_rule, linked, candidate_type (the typer's type of a candidate, else null), entity_type (every mention:
    the gazetteer's type when linked, else the typer's), type_score (1.0 when linked, else the typer's probability
    of that type; null for an unresolved gazetteer name). `typer` defaults to the committed model."""
    if texts.is_empty():
        return pl.DataFrame(schema=MENTION_SCHEMA)
    texts, text_rows, buffer, linked = scan_and_link(texts, gazetteer)
    candidates, released_starts, untagged = typed_candidates(texts, text_rows, buffer, gazetteer_spans(linked),
                                                             typer or load_typer(), given_names(gazetteer))
    candidates = link_candidates_by_stem(candidates, text_rows["language"].gather(candidates["row"]), gazetteer)
    candidates = names_in_capitals_yield_to_matches(candidates, linked, text_rows["casing"])
    # A released surname became part of a candidate; a gazetteer match inside a chosen name gives way to it.
    inside_a_name = covered_by_a_match(linked["start"], linked["end"], candidates.select("start", "end").sort("start"))
    linked = linked.filter(~pl.col("start").is_in(released_starts.implode()) & ~inside_a_name)
    columns = ["row", "start", "end", "surface", "entity_id", "match_rule", "linked", "candidate_type", "entity_type",
               "type_score"]
    mentions = pl.concat([linked.select(columns), candidates.select(columns),
                          untagged.select(columns).sort("start")])
    # An untagged word is a mention only if it is the surname of a person the article names in full, and not a
    # common noun the article also writes in lower case ('Agreement' opening a sentence, 'the agreement' later).
    mentions = link_within_articles(
        mentions.with_columns(text_rows["article"].gather(mentions["row"]),
                              (pl.col("match_rule") == UNTAGGED_WORD).alias("was_untagged")),
        buffer, gazetteer.entities).filter(pl.col("match_rule") != UNTAGGED_WORD)
    mentions = mentions.filter(~written_in_lower_case(mentions, pl.col("was_untagged"), texts, text_rows)).drop(
        "article", "was_untagged")
    mentions = to_text_offsets(mentions, buffer)
    # One integer key (each text's rank in article_id, field order, then char_start) sorts far faster than the
    # mention rows' strings; texts sharing an article and field share a rank. Offsets stay below 2**32.
    text_order = text_rows.select(pl.struct("article_id", "field").rank("dense").cast(pl.Int64)).to_series()
    sort_key = text_order.gather(mentions["row"]) * 2**32 + mentions["char_start"]
    mentions = mentions.with_columns(sort_key.alias("sort_key")).sort("sort_key", maintain_order=True)
    return mentions.with_columns(
        text_rows["article_id"].gather(mentions["row"]).alias("article_id"),
        text_rows["field"].gather(mentions["row"]).alias("field"),
    ).select(list(MENTION_SCHEMA)).cast(MENTION_SCHEMA)


def typed_candidates(texts: pl.DataFrame, text_rows: pl.DataFrame, buffer: TextBuffer, matches: pl.DataFrame,
                     typer: TyperModel, known_given_names: pl.Series) -> tuple[pl.DataFrame, pl.Series, pl.DataFrame]:
    """Open-vocabulary names outside the gazetteer matches, typed: row, start, end (buffer bytes), surface,
    entity_id (cand: key), match_rule, linked, candidate_type, entity_type, type_score; the released surnames;
    and the candidate words the typer left out of every name (same columns, match_rule UNTAGGED_WORD), which
    may still be the bare surname of a person named in full (see article_links.short_form_links)."""
    words, released_starts = find_candidate_words(texts, buffer, matches)
    words = add_word_context(words, texts, text_rows)
    names = tag_names(words, class_probabilities(words, typer), typer.classes).sort("start")
    names = names.with_columns(
        text_slices(buffer, names["start"], names["end"]).alias("surface"),
        text_rows["article"].gather(names["row"]).alias("article"),
    )
    names = without_leading_role_words(names, known_given_names)
    names = with_candidate_keys(names)
    names = vote_types(names, typer.classes)
    # A one-word name opening a sentence that the article also writes in lower case is a common noun ('Tarifat
    # u rritën ... tarifat'): the typer sees one sentence, the article shows the word's usual case.
    opens_sentence = names.select("start").join(words.select("start", "sentence_start"), on="start", how="left",
                                                maintain_order="left")["sentence_start"].fill_null(False)
    one_word_opening = opens_sentence & ~names["surface"].str.contains(r"\s")
    names = names.filter(~written_in_lower_case(names, pl.lit(one_word_opening), texts, text_rows)
                         & ~common_noun_before_a_known_name(names, opens_sentence, matches, texts, text_rows,
                                                             buffer))
    untagged = untagged_words(words, names, buffer)
    return names.select(
        "row", "start", "end", "surface", "entity_id",
        pl.lit("candidate").alias("match_rule"),
        pl.lit(False).alias("linked"),
        pl.col("entity_type").alias("candidate_type"),
        "entity_type",
        pl.col("score").alias("type_score"),
    ), released_starts, untagged


def names_in_capitals_yield_to_matches(candidates: pl.DataFrame, linked: pl.DataFrame, casing: pl.Series,
                                       ) -> pl.DataFrame:
    """In a text set in capitals (an ALL-CAPS headline) capitalisation shows no name's end, and the typer runs words
    together ('KURTI TAKON RAMËN': Kurti meets Rama): there a typed name holding a gazetteer match is dropped and the
    match stands, where in prose the name around the match replaces it ('Tirana Times')."""
    if candidates.is_empty() or linked.is_empty():
        return candidates
    ordered = candidates.with_row_index("position").sort("start")
    previous = last_match_before(ordered["end"], linked.select("start", "end").sort("start"), inclusive=False)
    holds_match = (previous["start"] >= ordered["start"]).fill_null(False)
    if not holds_match.any():
        return candidates
    rows = ordered.filter(holds_match)["row"].unique()
    caps_rows = rows.filter(casing.gather(rows) == "caps")
    dropped = ordered.filter(holds_match & pl.col("row").is_in(caps_rows.implode()))["position"]
    return candidates.with_row_index("position").filter(~pl.col("position").is_in(dropped.implode())).drop("position")


def given_names(gazetteer: Gazetteer) -> pl.Series:
    """Lower-case given names: the Albanian name list and the first words of the gazetteer's people."""
    people = gazetteer.entities.filter(pl.col("entity_type") == "PERSON")["name"]
    return pl.concat([pl.Series(first_names()), people.str.split(" ").list.first().str.to_lowercase()]).unique()


def without_leading_role_words(names: pl.DataFrame, known_given_names: pl.Series) -> pl.DataFrame:
    """A person's name of three words or more loses a first word that is a role rather than a given name
    ('Striker Darwin Nunez', 'Representative Jamie Raskin'; 'Home Secretary Yvette Cooper' loses two): a word
    usually written in lower case (features.common_words), of three letters or more ('Ri Yong Ho' keeps 'Ri'), that
    no name list gives as a first name. A two-word name keeps it: 'Will Smith' and 'Rose Byrne' are given names
    usually written in lower case. `names` needs start (buffer bytes), surface and entity_type."""
    is_person = (pl.col("entity_type") == "PERSON").fill_null(False)
    if names.is_empty() or not names.select(is_person.any()).item():
        return names
    common = common_words().implode()
    given = known_given_names.implode()
    # The trimmed name depends on the surface alone: computed once per distinct surface of a person.
    surfaces = names.filter(is_person).select("surface").unique().with_columns(pl.col("surface").alias("trimmed"))
    for _ in range(2):  # 'Home Secretary Yvette Cooper': two role words
        first = pl.col("trimmed").str.extract(r"^(\S+)\s").str.to_lowercase()
        role = ((pl.col("trimmed").str.count_matches(r"\S+") >= 3) & first.is_in(common) & ~first.is_in(given)
                & (first.str.len_chars() >= 3)).fill_null(False)
        surfaces = surfaces.with_columns(
            pl.when(role).then(pl.col("trimmed").str.replace(r"^\S+\s+", "")).otherwise(pl.col("trimmed")))
    trimmed = surfaces.filter(pl.col("trimmed") != pl.col("surface"))
    if trimmed.is_empty():
        return names
    # The name now starts where its rest does: as many bytes later as the role words and their spaces take.
    names = names.join(trimmed, on="surface", how="left", maintain_order="left")
    shortened = is_person & pl.col("trimmed").is_not_null()
    return names.with_columns(
        pl.when(shortened).then(pl.col("start") + pl.col("surface").str.len_bytes() - pl.col("trimmed").str.len_bytes())
        .otherwise(pl.col("start")).alias("start"),
        pl.when(shortened).then(pl.col("trimmed")).otherwise(pl.col("surface")).alias("surface"),
    ).drop("trimmed")


def common_noun_before_a_known_name(names: pl.DataFrame, opens_sentence: pl.Series, matches: pl.DataFrame,
                                    texts: pl.DataFrame, text_rows: pl.DataFrame, buffer: TextBuffer) -> pl.Series:
    """For each name: is it a common noun opening a sentence and governing a gazetteer name through a connector (in
    Albanian also straight before it: 'Kompania NIS, që ...')?
    - A name holding both ('Buxheti i Ministrisë së Mbrojtjes arrin ...': the ministry's budget), when the article
      also writes the opener in lower case ('buxheti') and it is no organisation word ('Universiteti i Prishtinës',
      'Gjykata e ...' are names): dropped, so the gazetteer name inside it stands.
    - A one-word Albanian name right before a linking article and a gazetteer name ('Kontrata e Serbisë me
      Gazprom', 'Vizita e Donald Trump Jr.'): a proper name of one word is not followed by a genitive, a head noun
      is; dropped unless it is an organisation word."""
    rules = load_candidate_rules()
    connectors = "|".join(LINKING_ARTICLES + ("of", "for", "për"))
    # Albanian also puts the head noun straight before the name it governs ('Kompania NIS, që furnizon ...', the company
    # NIS); in English an opener without a connector is usually the name's own ('Old Athens').
    head = (pl.when(pl.col("language") == "sq").then(pl.col("surface").str.extract(rf"^(\S+\s+(?:(?:{connectors})\s+)?)\S"))
            .otherwise(pl.col("surface").str.extract(rf"^(\S+\s+(?:{connectors})\s+)\S")))
    known_starts = matches["start"].implode()
    tested = names.with_columns(text_rows["language"].gather(names["row"]).alias("language")).select(
        "article", "language", pl.col("surface").str.extract(r"^(\S+)").alias("surface"),
        (pl.col("start") + head.str.len_bytes().cast(pl.Int64)).alias("known_start"),
    ).with_columns(opens_sentence.alias("opens_sentence"))
    not_an_organisation = ~pl.col("surface").is_in(list(rules.type_word_set))
    candidate = (pl.col("opens_sentence") & pl.col("known_start").is_in(known_starts) & not_an_organisation
                 ).fill_null(False)
    # The article writes the opener in lower case too, or its stem is a word usually written so ('Deputetët e
    # Kuvendit të Kosovës', 'Members of the European Parliament': one sentence may be all there is); the lexicon
    # counts through a connector only ('Radio Tirana transmetoi ...' is the broadcaster, whatever it says of 'radio').
    through_connector = names["surface"].str.contains(rf"^\S+\s+(?:{connectors})\s+\S")
    opener_stem_is_common = tested.select(
        candidate_key_expression(pl.col("surface")).is_in(common_keys().implode())).to_series() & through_connector
    swallowing = (written_in_lower_case(tested, candidate, texts, text_rows)
                  | (tested.select(candidate).to_series() & opener_stem_is_common))
    # ' e ' / ' i ' (3 bytes) or ' të ' / ' së ' (5 bytes: 'ë' is two) after a one-word name, then a gazetteer name
    text_bytes = buffer.byte_values()
    last = text_bytes.len() - 1

    def byte_at(offset: int) -> pl.Series:
        return text_bytes.gather((names["end"] + offset).clip(0, last))

    short_article = (byte_at(0) == ord(" ")) & byte_at(1).is_in([ord("e"), ord("i")]) & (byte_at(2) == ord(" "))
    long_article = ((byte_at(0) == ord(" ")) & byte_at(1).is_in([ord("t"), ord("s")]) & (byte_at(2) == 0xC3)
                    & (byte_at(3) == 0xAB) & (byte_at(4) == ord(" ")))
    following = (pl.when(short_article).then(names["end"] + 3).when(long_article).then(names["end"] + 5)
                 .otherwise(None))
    # Before another name the typer found, only a word usually written in lower case is taken for a head noun
    # ('Zyrtarët e AKEP-it thanë'): an unknown one-word name there may be a name of its own.
    opener_is_common = names.select(pl.col("surface").str.to_lowercase().is_in(common_words().implode())).to_series()
    followed = following.is_in(known_starts) | (following.is_in(names["start"].implode()) & opener_is_common)
    heads = names.select(
        (opens_sentence & (tested["language"] == "sq") & ~pl.col("surface").str.contains(r"\s") & followed
         ).fill_null(False)
    ).to_series() & tested.select(not_an_organisation).to_series()
    return swallowing | heads


def with_candidate_keys(spans: pl.DataFrame) -> pl.DataFrame:
    """entity_id: the cand: key of each span's surface. The same names recur across a batch, so each distinct
    surface is keyed once (the key depends on the surface alone)."""
    keys = spans.select("surface").unique().with_columns(candidate_key_expression(pl.col("surface")).alias("entity_id"))
    return spans.join(keys, on="surface", how="left", nulls_equal=True, maintain_order="left")


def untagged_words(words: pl.DataFrame, names: pl.DataFrame, buffer: TextBuffer) -> pl.DataFrame:
    """Single capitalised words outside every gazetteer match and typed name (the typer said O: 'Saipov' opening a
    sentence, 'Zinke pretendon'; a surname in an ALL-CAPS headline), as mention rows. Stop words (months, demonyms) only after a title ('znj. May').
    Connectors, initials and acronyms are no surnames."""
    inside_a_name = covered_by_a_match(words["start"], words["end"], names.select("start", "end").sort("start"))
    untagged = words.filter(
        ~inside_a_name & ~pl.col("covered") & ~pl.col("is_connector")
        # capitalised, or in capitals in an ALL-CAPS text (a headline 'KURTI: ...', 'VELAJ: NUK JAM FAJTOR')
        & ((pl.col("shape") == "X") | ((pl.col("shape") == "A") & (pl.col("casing") == "caps")))
        & (~pl.col("is_stopword") | pl.col("titled"))
    ).select("row", "start", "end").sort("start")
    untagged = with_candidate_keys(
        untagged.with_columns(text_slices(buffer, untagged["start"], untagged["end"]).alias("surface")))
    return untagged.select(
        "row", "start", "end", "surface", "entity_id",
        pl.lit(UNTAGGED_WORD).alias("match_rule"),
        pl.lit(False).alias("linked"),
        pl.lit(None, dtype=pl.String).alias("candidate_type"),
        pl.lit(None, dtype=pl.String).alias("entity_type"),
        pl.lit(None, dtype=pl.Float64).alias("type_score"),
    )


def written_in_lower_case(spans: pl.DataFrame, tested: pl.Expr, texts: pl.DataFrame, text_rows: pl.DataFrame
                          ) -> pl.Series:
    """For each span row (article, surface): is it one of the `tested` rows, and is its lower-cased surface a whole
    word somewhere in the same article (any field)? Only the few tested rows are searched, one pattern each."""
    searched = spans.with_row_index("span").filter(tested).select(
        "span", "article", pl.col("surface").str.to_lowercase().alias("lower"))
    flagged = pl.Series("written_in_lower_case", [False] * spans.height, dtype=pl.Boolean)
    if searched.is_empty():
        return flagged
    article_texts = pl.DataFrame({"article": text_rows["article"], "text": texts["text"]})
    # A plain substring search first (no pattern to compile); only its few hits are checked for word boundaries.
    found = searched.join(article_texts, on="article").filter(pl.col("text").str.contains(pl.col("lower"), literal=True))
    found = found.filter(pl.col("text").str.contains(
        r"\b" + pl.col("lower").str.replace_all(r"[\\.^$|?*+()\[\]{}\-]", r"\$0") + r"\b"))
    return flagged.scatter(found["span"].unique(), True)


def scan_and_link(texts: pl.DataFrame, gazetteer: Gazetteer, *, capitals: bool = True,
                  ) -> tuple[pl.DataFrame, pl.DataFrame, TextBuffer, pl.DataFrame]:
    """The gazetteer half of the stage: the normalised texts, their row table (with each text's casing, see
    features.text_casing), the batch buffer and the linked
    gazetteer matches (buffer bytes); `capitals`: also the names written in capitals (matches_in_capitals)."""
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
    ).with_columns(text_casing(texts).alias("casing"))
    buffer = TextBuffer.of(texts)
    matches = raw_matches(buffer, matcher)
    in_capitals = (matches_in_capitals(texts["text"], buffer, matcher, matches, load_candidate_rules().stopwords)
                   if capitals else matches.clear())
    if in_capitals.height:
        matches = pl.concat([matches, in_capitals]).sort("start")
    # Rows are numbered 0..n-1, so their columns are gathered rather than joined.
    linked = link_matches(
        matches.with_columns(
            text_rows["article"].gather(matches["row"]),
            text_rows["article_language"].gather(matches["row"]).alias("language"),
        ),
        matcher,
    )
    gazetteer_types = gazetteer.entities.select("entity_id", pl.col("entity_type").alias("gazetteer_type"))
    linked = linked.join(gazetteer_types, on="entity_id", how="left", maintain_order="left").with_columns(
        pl.coalesce("gazetteer_type", "candidate_type").alias("entity_type"),
        pl.when(pl.col("linked")).then(pl.lit(1.0)).alias("type_score"),
    ).sort("start")
    if in_capitals.height:  # a name found in capitals is written as the text writes it ('PUTIN'), not as listed
        linked = linked.with_columns(text_slices(buffer, linked["start"], linked["end"]).alias("surface"))
    return texts, text_rows, buffer, linked


def gazetteer_spans(linked: pl.DataFrame) -> pl.DataFrame:
    """start, end, is_surname, entity_type of the linked gazetteer matches, as the candidate stage reads them."""
    is_surname = pl.col("match_rule").is_in(["surname", "surname_unresolved"]).alias("is_surname")
    return linked.select("start", "end", is_surname, "entity_type")


def candidate_words(texts: pl.DataFrame, gazetteer: Gazetteer, *, capitals: bool = True) -> pl.DataFrame:
    """For training and inspection: every word the typer would tag, with its feature inputs and its character
    offsets in its text (row is the texts frame's row)."""
    texts, text_rows, buffer, linked = scan_and_link(texts, gazetteer, capitals=capitals)
    words, _ = find_candidate_words(texts, buffer, gazetteer_spans(linked))
    return to_text_offsets(add_word_context(words, texts, text_rows), buffer)


def add_word_context(words: pl.DataFrame, texts: pl.DataFrame, text_rows: pl.DataFrame) -> pl.DataFrame:
    return words.with_columns(
        text_rows["language"].gather(words["row"]).alias("language"),
        text_rows["casing"].gather(words["row"]).alias("casing"),
    )
