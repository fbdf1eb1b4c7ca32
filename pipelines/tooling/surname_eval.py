"""How often a bare surname after a full name gets the full name's identity, on hand-annotated test documents:
gold full-name-then-surname pairs within a document, and whether Kronika gives both mentions one entity_id."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from pipelines.lib.entities import candidate_key, extract_mentions
from pipelines.lib.gazetteer import Gazetteer, load_gazetteer
from pipelines.tooling.ner_markup import parse_markup, read_annotation_file

NER_DATA = Path(__file__).resolve().parents[2] / "data" / "ner"
# The hand-annotated NTREX test sets (the same 28 real news documents in both languages).
TEST_SETS = (("sq_ntrex", "sq"), ("en_ntrex", "en"))
# Development documents, to look at misses without touching the test sets: the Albanian NTREX dev split and the dev
# documents of the English news-like sets (docs/ner_data.md; read from shared/ner when it is there).
DEV_ENGLISH_SETS = ("gum", "wikigold", "re3d")


@dataclass(frozen=True)
class SurnamePairs:
    test_set: str
    documents: int
    pairs: int  # gold PERSON surnames after one full name with that surname, in the same document
    linked: int  # of those, how many Kronika gives the full name's entity_id
    ambiguous: int  # surnames after two different full names with that surname (not counted in pairs)

    @property
    def rate(self) -> float | None:
        return self.linked / self.pairs if self.pairs else None


def annotated_documents(directory: Path, language: str, split: str = "test") -> pl.DataFrame:
    """One row per NTREX document of `split`.tsv: document_id, language, text (its sentences in line order joined by
    newlines), spans (start, end, entity_type, character offsets into text)."""
    by_document: dict[str, list[tuple[int, str, list]]] = {}
    for row in read_annotation_file(directory / f"{split}.tsv"):
        text, spans = parse_markup(row["annotated"])
        by_document.setdefault(row["document"], []).append((int(row["line"]), text, spans))
    rows = []
    for document, lines in sorted(by_document.items()):
        texts, spans, offset = [], [], 0
        for _, line_text, line_spans in sorted(lines, key=lambda line: line[0]):
            spans += [{"start": offset + span.start, "end": offset + span.end, "entity_type": span.entity_type}
                      for span in line_spans]
            texts.append(line_text)
            offset += len(line_text) + 1
        rows.append({"document_id": f"{directory.name}/{document}", "language": language, "text": "\n".join(texts),
                     "spans": spans})
    return pl.DataFrame(rows, schema={
        "document_id": pl.String, "language": pl.String, "text": pl.String,
        "spans": pl.List(pl.Struct({"start": pl.Int64, "end": pl.Int64, "entity_type": pl.String}))})


def gold_pairs(documents: pl.DataFrame) -> tuple[list[tuple[str, int, int, int, int]], int]:
    """(document_id, surname start, surname end, full start, full end) for every gold PERSON mention of one word
    whose folded key is the folded last word of exactly one earlier full name (two words or more) in the document;
    the pair's full name is the latest such mention. Also the number of surnames two full names could claim.
    Plain Python over the gold rows: tooling, a few thousand spans."""
    pairs, ambiguous = [], 0
    for document_id, text, spans in documents.select("document_id", "text", "spans").iter_rows():
        full_names: dict[str, dict[str, tuple[int, int]]] = {}  # surname key -> full-name key -> latest span
        for span in sorted(spans, key=lambda span: span["start"]):
            if span["entity_type"] != "PERSON":
                continue
            surface = text[span["start"]:span["end"]]
            words = surface.split()
            if len(words) >= 2:
                full_key = candidate_key(surface)
                full_names.setdefault(full_key.rsplit("_", 1)[-1], {})[full_key] = (span["start"], span["end"])
            elif len(words) == 1:
                holders = full_names.get(candidate_key(surface).removeprefix("cand:"), {})
                if len(holders) == 1:
                    (full_start, full_end), = holders.values()
                    pairs.append((document_id, span["start"], span["end"], full_start, full_end))
                elif len(holders) > 1:
                    ambiguous += 1
    return pairs, ambiguous


def predicted_entity_at(mentions: pl.DataFrame, spans: pl.DataFrame) -> pl.Series:
    """The entity_id of the predicted mention that overlaps each gold span most (null when none overlaps)."""
    overlapping = spans.with_row_index("pair").join(mentions, on="document_id").filter(
        (pl.col("char_start") < pl.col("end")) & (pl.col("char_end") > pl.col("start"))
    ).with_columns(
        (pl.min_horizontal("char_end", "end") - pl.max_horizontal("char_start", "start")).alias("overlap")
    ).sort("pair", "overlap", descending=[False, True]).unique("pair", keep="first")
    return spans.with_row_index("pair").join(overlapping.select("pair", "entity_id"), on="pair", how="left",
                                             maintain_order="left")["entity_id"]


PAIR_COLUMNS = ["document_id", "surname_start", "surname_end", "full_start", "full_end"]


def pair_outcomes(documents: pl.DataFrame, gazetteer: Gazetteer) -> tuple[pl.DataFrame, int]:
    """Run the entity stage on each whole document (one article each) and look up both mentions of each gold pair:
    document_id, surname, full_name (gold surfaces), surname_entity, full_entity (the entity_id Kronika gives the
    mention overlapping each most, null when none), linked; and the number of surnames two full names could claim."""
    pairs, ambiguous = gold_pairs(documents)
    frame = pl.DataFrame(pairs, schema=PAIR_COLUMNS, orient="row")
    texts = documents.select(pl.col("document_id").alias("article_id"), pl.lit("body").alias("field"), "text",
                             "language")
    mentions = extract_mentions(texts, gazetteer).select(
        pl.col("article_id").alias("document_id"), "entity_id", "char_start", "char_end")
    surname = predicted_entity_at(mentions, frame.select("document_id", pl.col("surname_start").alias("start"),
                                                         pl.col("surname_end").alias("end")))
    full = predicted_entity_at(mentions, frame.select("document_id", pl.col("full_start").alias("start"),
                                                      pl.col("full_end").alias("end")))
    document_texts = frame.join(documents.select("document_id", "text"), on="document_id", how="left",
                                maintain_order="left")["text"]
    outcomes = frame.select(
        "document_id",
        document_texts.str.slice(frame["surname_start"], frame["surname_end"] - frame["surname_start"]).alias("surname"),
        document_texts.str.slice(frame["full_start"], frame["full_end"] - frame["full_start"]).alias("full_name"),
        surname.alias("surname_entity"), full.alias("full_entity"),
        ((surname == full) & surname.is_not_null()).fill_null(False).alias("linked"),
    )
    return outcomes, ambiguous


def measure(documents: pl.DataFrame, test_set: str, gazetteer: Gazetteer) -> SurnamePairs:
    """Run the entity stage on each whole document (one article each) and score its gold pairs."""
    outcomes, ambiguous = pair_outcomes(documents, gazetteer)
    return SurnamePairs(test_set, documents.height, outcomes.height, int(outcomes["linked"].sum()), ambiguous)


def split_sets(split: str) -> list[tuple[str, pl.DataFrame]]:
    """(set name, documents) of one split: the NTREX sets of data/ner that have it, and for `dev` and `train` also the
    English news-like sets of shared/ner (the NTREX English side is annotated for test only)."""
    sets = [(name, annotated_documents(NER_DATA / name, language, split)) for name, language in TEST_SETS
            if split != "train" and (NER_DATA / name / f"{split}.tsv").exists()]
    if split == "train":
        from pipelines.tooling.ner_data import ntrex_documents

        sets.append(("sq_ntrex", pl.DataFrame(ntrex_documents(NER_DATA / "sq_ntrex", "sq")).filter(
            pl.col("split") == "train").select("document_id", "language", "text", "spans")))
    if split != "test":
        from pipelines.tooling.ner_data import english_documents

        english = [row for row in english_documents() if row["split"] == split and row["corpus"] in DEV_ENGLISH_SETS]
        for corpus in DEV_ENGLISH_SETS:
            rows = [row for row in english if row["corpus"] == corpus]
            if rows:
                sets.append((corpus, pl.DataFrame(rows).select("document_id", "language", "text", "spans")))
    return sets


def measure_test_sets(gazetteer: Gazetteer | None = None, split: str = "test") -> list[SurnamePairs]:
    """The pairs of every hand-annotated test set under data/ner that exists (or of another split, see split_sets)."""
    gazetteer = gazetteer or load_gazetteer()
    return [measure(documents, name, gazetteer) for name, documents in split_sets(split)]


def format_surname_pairs(scores: list[SurnamePairs]) -> str:
    lines = ["## Bare surnames after full names (same document)", "",
             "| test set | documents | pairs | linked to the full name | rate | not counted: two full names |",
             "|---|---:|---:|---:|---:|---:|"]
    for score in scores:
        rate = "–" if score.rate is None else f"{100 * score.rate:.1f}"
        lines.append(f"| {score.test_set} | {score.documents} | {score.pairs} | {score.linked} | {rate} | "
                     f"{score.ambiguous} |")
    return "\n".join(lines) + "\n"


def as_dicts(scores: list[SurnamePairs]) -> list[dict]:
    return [asdict(score) | {"rate": score.rate} for score in scores]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.tooling.surname_eval", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("--split", choices=("test", "dev", "train"), default="test",
                        help="which documents: the NTREX test sets (default, what kronika eval reports), or the dev "
                             "or train documents of the Albanian NTREX and English news-like sets, to study misses")
    parser.add_argument("--misses", action="store_true", help="also list every pair not linked, with both entity_ids")
    arguments = parser.parse_args(argv)
    gazetteer = load_gazetteer()
    sets = split_sets(arguments.split)
    scores = [measure(documents, name, gazetteer) for name, documents in sets]
    print(json.dumps(as_dicts(scores), indent=2) if arguments.json else format_surname_pairs(scores))
    if arguments.misses:
        for name, documents in sets:
            outcomes, _ = pair_outcomes(documents, gazetteer)
            for row in outcomes.filter(~pl.col("linked")).iter_rows(named=True):
                print(f"{name}\t{row['document_id']}\t{row['surname']}\t{row['surname_entity']}\t"
                      f"{row['full_name']}\t{row['full_entity']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
