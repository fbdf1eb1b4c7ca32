"""The frame-level figure pass: one regex scan over all texts, reading by shape, counted nouns and ages in context.
Column expressions over whole frames; Python reads one candidate per shape."""

from __future__ import annotations

import polars as pl

from pipelines.lib.figures.patterns import candidate_patterns
from pipelines.lib.figures.reading import read_candidate, read_with_recipes
from pipelines.lib.figures.vocabulary import FOLD_FROM, FOLD_TO, MARK, load_vocabulary

OUTPUT_SCHEMA = {
    "article_id": pl.String,
    "field": pl.String,
    "surface": pl.String,
    "value": pl.Float64,
    "value_text": pl.String,
    "unit": pl.String,
    "counted": pl.String,
    "approximate": pl.Boolean,
    "char_start": pl.Int64,
    "char_end": pl.Int64,
}




# The words after a count: up to two words, optionally after the Albanian particle of a
# substantivised participle ("300 të plagosur").
COUNTED_WINDOW = 60  # characters after a count searched for what it counts
# A one-letter word is never the noun counted (`39 u arrestuan`: u is a particle).
COUNTED_PATTERN = r"^([ \u00a0\u202f]+(?:t[eë] +)?)(\p{L}[\p{L}'-]+)(?:( +)(\p{L}[\p{L}'-]*))?"


# A capitalised word and spaces ending the gap before a candidate. The gap starts where a candidate
# ended, and candidates end at a word boundary, so the gap's start is a boundary as well.
NAME_BEFORE_PATTERN = r"(?-u:\b)([A-Z][a-z]+) +$"


# Between the figures of a list of ages ("aged 33, 34 and 39"); before an appositive age, a name
# and a comma ("Gjose Tanevski, 62, a voter").
AGE_LIST_GAP = r"^(?:\s*,\s*(?:(?:and|dhe|e|or|ose)\s+)?|\s+(?:and|dhe|e|or|ose)\s+)$"
# An Albanian article right before a number that counts nothing makes it an ordinal: "në vendin e
# gjashtë", "amendamenti i 25", "amendamentit të 25".
ALBANIAN_ARTICLE_BEFORE = r"(?i)(?-u:\b)(?:i|e|te) +$"
NAME_AND_COMMA_BEFORE = r"(?:^|[^\p{L}])(\p{Lu}[\p{Ll}'’-]+),\s*$"


def _not_names() -> list[str]:
    """Capitalised words before a number that do not name a thing ("In 2020", "About 5", "March 3")."""
    vocabulary = load_vocabulary()
    q = vocabulary.qualifiers
    return sorted(q["lead_word"] | q["approximate"] | q["bound"] | q["range_start"] | q["year_word"] | set(vocabulary.months))


def _candidates(texts: pl.DataFrame) -> pl.DataFrame:
    """Candidate spans (folded text) with character offsets, found by one regex pass over all texts.
    The scan wraps every match in MARK characters and splits on them: even pieces are gaps, odd
    pieces are candidates, and running sums of piece lengths in characters give the offsets.
    `after_name` says whether the gap before a candidate ends in a capitalised name."""
    scan, _ = candidate_patterns()
    pieces = (
        pl.col("text")
        .str.replace_many(FOLD_FROM, FOLD_TO)
        .str.replace_all(scan, MARK + "${0}" + MARK)
        .str.split(MARK)
    )
    lengths = pl.col("pieces").list.eval(pl.element().str.len_chars().cast(pl.Int64))
    return (
        texts.select("row", "language", pieces=pieces)
        .with_columns(ends=lengths.list.eval(pl.element().cum_sum()))
        .select(
            "row",
            "language",
            candidate=pl.col("pieces").list.gather_every(2, offset=1),
            candidate_end=pl.col("ends").list.gather_every(2, offset=1),
            gap_before=pl.col("pieces").list.gather_every(2).list.head(pl.col("pieces").list.len() // 2),
            comma_after=pl.col("pieces").list.gather_every(2, offset=2).list.eval(pl.element().str.contains(r"^\s*,")),
        )
        .explode("candidate", "candidate_end", "gap_before", "comma_after")
        .drop_nulls("candidate")
        .with_columns(
            candidate_start=pl.col("candidate_end") - pl.col("candidate").str.len_chars().cast(pl.Int64),
            after_name=pl.col("gap_before")
            .str.extract(NAME_BEFORE_PATTERN)
            .str.to_lowercase()
            .is_in(_not_names())
            .not_()
            .fill_null(False),
            # For ages in context (`_ages_in_context`); both patterns are anchored, so they read
            # only the start or the end of a gap.
            list_gap_before=pl.col("gap_before").str.contains(AGE_LIST_GAP),
            article_before=pl.col("gap_before").str.contains(ALBANIAN_ARTICLE_BEFORE),
            name_comma_before=pl.col("gap_before")
            .str.extract(NAME_AND_COMMA_BEFORE, 1)
            .str.to_lowercase()
            .is_in(_not_names())
            .not_()
            .fill_null(False),

        )
        .drop("gap_before")
    )


READING_SCHEMA = {
    "candidate": pl.String,
    "language": pl.String,
    "after_name": pl.Boolean,
    "start": pl.Int64,
    "end": pl.Int64,
    "value": pl.Float64,
    "value_text": pl.String,
    "unit": pl.String,
    "approximate": pl.Boolean,
}


def _readings(candidates: pl.DataFrame) -> pl.DataFrame:
    """Read every distinct (candidate, language, after_name) and hand the readings back to each span
    by an inner join (a candidate with two readings, a range, yields two rows; junk yields none).
    Numbers vary far more than the words around them, so candidates are grouped by shape (digits 1-9
    written as 9) and Python reads one candidate per shape; where that reading says how each value
    follows from the digits (a recipe), column expressions apply it to the whole group. Shapes whose
    values are not a function of their digits (dates, possible years, words) are read one by one."""
    reading_key = ["candidate", "language", "after_name"]
    distinct = candidates.select(reading_key).unique().with_columns(
        shape=pl.col("candidate").str.replace_all("[1-9]", "9"),
        # Digits inside a word belong to it ("km2"), so they stay part of the key.
        word_digits=pl.col("candidate").str.extract_all("[A-Za-z_][0-9]+").list.join(" "),
    )
    shape_key = ["shape", "word_digits", "language", "after_name"]
    representatives = distinct.group_by(shape_key).agg(pl.col("candidate").first())
    recipe_rows, shapes_by_recipe = [], []
    for shape, word_digits, language, after_name, candidate in representatives.select(*shape_key, "candidate").iter_rows():
        readings, recipes = read_with_recipes(candidate, language, after_name)
        shapes_by_recipe.append(recipes is not None)
        for (start, end, _, _, unit, approximate), recipe in zip(readings, recipes or []):
            recipe_rows.append((shape, word_digits, language, after_name, start, end, unit, approximate, *recipe))
    representatives = representatives.with_columns(by_recipe=pl.Series(shapes_by_recipe, dtype=pl.Boolean))
    distinct = distinct.join(representatives.select(*shape_key, "by_recipe"), on=shape_key, nulls_equal=True)
    one_by_one = [
        (candidate, language, after_name, *reading)
        for candidate, language, after_name in distinct.filter(~pl.col("by_recipe")).select(reading_key).iter_rows()
        for reading in read_candidate(candidate, language, after_name=after_name)
    ]
    recipe_key_schema = {"shape": pl.String, "word_digits": pl.String, "language": pl.String, "after_name": pl.Boolean}
    recipes = pl.DataFrame(recipe_rows, schema={**recipe_key_schema, **RECIPE_SCHEMA}, orient="row")
    by_recipe = (
        distinct.filter("by_recipe")
        .join(recipes, on=shape_key, nulls_equal=True)
        .with_columns(value=_recipe_value(), value_text=pl.lit(None, dtype=pl.String))
        .select(list(READING_SCHEMA))
    )
    readings = pl.concat([pl.DataFrame(one_by_one, schema=READING_SCHEMA, orient="row"), by_recipe])
    return candidates.join(readings, on=reading_key, how="inner", nulls_equal=True).with_columns(
        char_start=pl.col("candidate_start") + pl.col("start"),
        char_end=pl.col("candidate_start") + pl.col("end"),
    )


RECIPE_SCHEMA = {
    "start": pl.Int64,
    "end": pl.Int64,
    "unit": pl.String,
    "approximate": pl.Boolean,
    "number_start": pl.Int64,
    "number_end": pl.Int64,
    "decimal": pl.String,
    "half": pl.Float64,
    "scale": pl.Float64,
    "factor": pl.Float64,
}


def _recipe_value() -> pl.Expr:
    """`parse_digits` and the scaling of `_figure_readings` as one column expression, in the same
    order of operations so the floats are identical."""
    digits = pl.col("candidate").str.slice(pl.col("number_start"), pl.col("number_end") - pl.col("number_start"))
    digits = digits.str.replace_all(" ", "", literal=True)
    number = (
        pl.when(pl.col("decimal") == ",")
        .then(digits.str.replace_all(".", "", literal=True).str.replace_all(",", ".", literal=True))
        .otherwise(digits.str.replace_all(",", "", literal=True))
        .cast(pl.Float64)
    )
    return (number + pl.col("half")) * pl.col("scale") * pl.col("factor")


def _with_counted(figures: pl.DataFrame, texts: pl.DataFrame) -> pl.DataFrame:
    """Name what a count counts and extend the surface over it ("1,200 troops"). English puts
    adjectives first ("20 living hostages", "2,000 Palestinian prisoners"): when the first word is not
    a plural in -s and the second is a content word, the second is the noun. Albanian puts the
    noun first ("4.500 ushtarë të rinj"). Function words are never counted.
    Slicing a string at a character offset walks it from the start, so each figure cuts one short
    window (its span and the 60 characters after it) from the text, and later slices cut the window."""
    stopwords = sorted(load_vocabulary().stopwords)
    window_length = pl.col("char_end") - pl.col("char_start") + COUNTED_WINDOW
    figures = figures.join(texts.select("row", "article_id", "field", "text"), on="row").with_columns(
        window=pl.col("text").str.slice(pl.col("char_start"), window_length)
    ).drop("text")
    counts = figures.filter(pl.col("unit") == "count")
    words = (
        counts.select(pl.col("window").str.slice(pl.col("char_end") - pl.col("char_start")).str.extract_groups(COUNTED_PATTERN))
        .unnest("window")
        .rename({"1": "gap", "2": "first", "3": "space", "4": "second"})
    )
    gap, first, space, second = (pl.col(name) for name in ("gap", "first", "space", "second"))
    first_is_content = first.is_not_null() & ~first.str.to_lowercase().is_in(stopwords)
    second_is_noun = (
        second.is_not_null()
        & ~second.str.to_lowercase().is_in(stopwords)
        & second.str.contains(r"^\p{Ll}")
        & ~first.str.contains(r"(?:[^s]s|[ëe])$")
        & (pl.col("language").fill_null("en") != "sq")
    )
    counted_length = gap.str.len_chars() + first.str.len_chars() + pl.when(second_is_noun).then(
        space.str.len_chars() + second.str.len_chars()
    ).otherwise(0)
    counts = pl.concat([counts, words], how="horizontal").with_columns(
        counted=pl.when(first_is_content).then(pl.when(second_is_noun).then(second).otherwise(first).str.to_lowercase()),
        char_end=pl.col("char_end") + pl.when(first_is_content).then(counted_length).otherwise(0).cast(pl.Int64),
    )
    others = figures.filter(pl.col("unit") != "count").with_columns(counted=pl.lit(None, dtype=pl.String))
    return pl.concat([counts.select(others.columns), others]).with_columns(
        surface=pl.col("window").str.slice(0, pl.col("char_end") - pl.col("char_start"))
    )


def _ages_in_context(figures: pl.DataFrame) -> pl.DataFrame:
    """A bare integer count (no counted noun) is an age when it continues a list that an age opened
    ("aged 33, 34 and 39") or stands between commas after a name ("Tanevski, 62, said"); in Albanian, a
    count of nothing after an article is an ordinal and no figure ("vendin e gjashtë"). `figures` is
    sorted by text and offset, so a list is a run of linked neighbours, found with a forward fill;
    the gaps were judged once in `_candidates`, so no text is cut here."""
    bare_count = (
        (pl.col("unit") == "count")
        & pl.col("counted").is_null()
        & pl.col("surface").str.contains(r"^[0-9]{1,3}$")
        & pl.col("value").is_between(1, 120)
    )
    same_text = pl.col("row") == pl.col("row").shift(1)
    same_candidate = same_text & (pl.col("candidate_start") == pl.col("candidate_start").shift(1))
    # The second figure of one candidate ("34 and 39") is joined to the first by the candidate's own
    # range or list word; the first figure of a candidate by the gap before it.
    linked = (bare_count & (same_candidate | (same_text & pl.col("list_gap_before")))).fill_null(False)
    run_first_unit = pl.when(~linked).then(pl.col("unit")).forward_fill()
    appositive = bare_count & pl.col("name_comma_before") & pl.col("comma_after")
    ordinal = (
        (pl.col("language") == "sq")
        & (pl.col("unit") == "count")
        & pl.col("counted").is_null()
        & pl.col("article_before")
        & ~same_candidate.fill_null(False)
    )
    return figures.with_columns(
        unit=pl.when((linked & (run_first_unit == "age")) | appositive).then(pl.lit("age")).otherwise("unit")
    ).filter(~ordinal.fill_null(False))


def extract_figures(texts: pl.DataFrame) -> pl.DataFrame:
    """texts: article_id, field, text and optionally language ('en'|'sq'|None).
    Returns one row per figure: article_id, field, surface, value, value_text, unit, counted,
    approximate, char_start, char_end (character offsets; text[char_start:char_end] == surface)."""
    if "language" not in texts.columns:
        texts = texts.with_columns(language=pl.lit(None, dtype=pl.String))
    texts = texts.with_columns(pl.col("text").fill_null("")).with_row_index("row")
    candidates = _candidates(texts)
    if candidates.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    figures = _with_counted(_readings(candidates), texts)
    return (
        _ages_in_context(figures.sort("row", "char_start"))
        # A number beyond float range (a run of thousands of digits) is noise, not a quantity anyone wrote.
        .filter(~pl.col("value").is_infinite().fill_null(False))
        .select(list(OUTPUT_SCHEMA))
        .cast(OUTPUT_SCHEMA)
    )
