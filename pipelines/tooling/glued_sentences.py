"""Measure glued sentence boundaries on real text nobody here wrote: NTREX news documents in both languages.
`python -m pipelines.tooling.glued_sentences [SHARED_NER_DIR] [sq|en]` glues each document's sentences with no space and reports what the splitter recovers."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from pipelines.lib.sentences import GLUE_MARK, mark_glued_boundaries, split_sentences
from pipelines.tooling.ner_markup import SHARED_NER, ntrex_lines

# A junction the splitter is asked to find: a lower-case word and terminators (closers may follow)
# end the left sentence, and an opener or a capital starts the right one.
LEFT_ENDS_GLUABLE = r"\p{Ll}[\"'”’“‘»)\]]*[.!?…][.!?…\"'”’“‘»)\]]*$"
RIGHT_STARTS_GLUABLE = r"^[„«‘(\[]?\p{Lu}"


def document_lines(language: str, shared_ner: Path = SHARED_NER) -> pl.DataFrame:
    """document, line_number, sentence (one gold sentence a line) for one NTREX language."""
    documents = (shared_ner / "sq/ntrex/DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    return pl.DataFrame(
        {"document": [d.strip() for d in documents], "sentence": ntrex_lines(language, shared_ner)}
    ).with_row_index("line_number")


def measure(language: str, shared_ner: Path = SHARED_NER) -> dict[str, object]:
    lines = document_lines(language, shared_ner).filter(pl.col("sentence").str.strip_chars() != "")
    # False splits: a glue mark inside one gold sentence (a clean translation has no glued text).
    marked = lines.with_columns(marks=mark_glued_boundaries(pl.col("sentence")).str.count_matches(GLUE_MARK, literal=True))
    false_splits = marked.filter(pl.col("marks") > 0)
    # Recall: glue each document's sentences with no space and look for a sentence start at each junction.
    glued = lines.with_columns(
        is_junction=(pl.col("document") == pl.col("document").shift(1))
        & pl.col("sentence").shift(1).str.contains(LEFT_ENDS_GLUABLE)
        & pl.col("sentence").str.contains(RIGHT_STARTS_GLUABLE),
        sentence_chars=pl.col("sentence").str.len_chars().cast(pl.Int64),
    ).with_columns(line_start=(pl.col("sentence_chars").cum_sum() - pl.col("sentence_chars")).over("document"))
    texts = glued.group_by("document", maintain_order=True).agg(text=pl.col("sentence").str.join(""))
    sentences = split_sentences(texts.select(article_id="document", field=pl.lit("body"), text="text"))
    starts = sentences.select(document="article_id", line_start="char_start", found=pl.lit(True))
    junctions = glued.filter("is_junction").join(starts, on=["document", "line_start"], how="left")
    found = junctions["found"].fill_null(False)
    return {
        "language": language,
        "sentences": lines.height,
        "glued_junctions": junctions.height,
        "split": int(found.sum()),
        "recall": float(found.mean()) if junctions.height else float("nan"),
        "false_splits": false_splits.height,
        "false_split_examples": false_splits["sentence"].head(10).to_list(),
        "missed_examples": [
            f"{left[-30:]}|{right[:30]}"
            for left, right in junctions.filter(~found).select(
                pl.col("line_number").map_elements(lambda n: lines_text(lines, n - 1), return_dtype=pl.String), "sentence"
            ).head(10).rows()
        ],
    }


def lines_text(lines: pl.DataFrame, line_number: int) -> str:
    return lines.filter(pl.col("line_number") == line_number)["sentence"].item()


def main() -> None:
    arguments = sys.argv[1:]
    shared_ner = Path(arguments.pop(0)) if arguments and Path(arguments[0]).is_dir() else SHARED_NER
    for language in arguments or ["sq", "en"]:
        result = measure(language, shared_ner)
        print(
            f"{language}: {result['sentences']} sentences, {result['glued_junctions']} glued junctions, "
            f"{result['split']} split (recall {result['recall']:.3f}), {result['false_splits']} sentences with a glue mark inside"
        )
        for example in result["false_split_examples"]:
            print(f"  false split? {example}")
        for example in result["missed_examples"]:
            print(f"  missed: {example}")


if __name__ == "__main__":
    main()
