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


def measure(documents: pl.DataFrame, test_set: str, gazetteer: Gazetteer) -> SurnamePairs:
    """Run the entity stage on each whole document (one article each) and score its gold pairs."""
    pairs, ambiguous = gold_pairs(documents)
    if not pairs:
        return SurnamePairs(test_set, documents.height, 0, 0, ambiguous)
    texts = documents.select(pl.col("document_id").alias("article_id"), pl.lit("body").alias("field"), "text",
                             "language")
    mentions = extract_mentions(texts, gazetteer).select(
        pl.col("article_id").alias("document_id"), "entity_id", "char_start", "char_end")
    frame = pl.DataFrame(pairs, schema=["document_id", "surname_start", "surname_end", "full_start", "full_end"],
                         orient="row")
    surname = predicted_entity_at(mentions, frame.select("document_id", pl.col("surname_start").alias("start"),
                                                         pl.col("surname_end").alias("end")))
    full = predicted_entity_at(mentions, frame.select("document_id", pl.col("full_start").alias("start"),
                                                      pl.col("full_end").alias("end")))
    linked = int(((surname == full) & surname.is_not_null()).sum())
    return SurnamePairs(test_set, documents.height, len(pairs), linked, ambiguous)


def measure_test_sets(gazetteer: Gazetteer | None = None) -> list[SurnamePairs]:
    """The pairs of every hand-annotated test set under data/ner that exists."""
    gazetteer = gazetteer or load_gazetteer()
    return [measure(annotated_documents(NER_DATA / name, language), name, gazetteer)
            for name, language in TEST_SETS if (NER_DATA / name / "test.tsv").exists()]


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
    arguments = parser.parse_args(argv)
    scores = measure_test_sets()
    print(json.dumps(as_dicts(scores), indent=2) if arguments.json else format_surname_pairs(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
