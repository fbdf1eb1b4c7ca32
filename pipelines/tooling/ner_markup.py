"""Inline entity markup for hand-annotated sentences: `[[Albin Kurti|PERSON]] tha se ...` <-> text + spans.
`python -m pipelines.tooling.ner_markup check FILE` verifies an annotation file against the NTREX source lines."""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ENTITY_TYPES = ("PERSON", "ORG", "GPE", "LOC", "EVENT", "OTHER")
MARKUP = re.compile(r"\[\[([^\[\]|]+?)\|([A-Z]+)\]\]")
# shared/ sits beside the clone (CI, /work/main); a worktree under /work/wt/ finds it one level higher.
SHARED_NER = next((candidate for candidate in (Path(os.environ.get("KRONIKA_SHARED_NER", "/nonexistent")),
                                               *(parent / "shared" / "ner" for parent in Path(__file__).resolve().parents[2:5]))
                   if candidate.is_dir()), Path(__file__).resolve().parents[3] / "shared" / "ner")
NTREX_FILES = {"sq": "sq/ntrex/NTREX-128/newstest2019-ref.sqi.txt", "en": "sq/ntrex/NTREX-128/newstest2019-src.eng.txt"}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    entity_type: str
    surface: str


def parse_markup(annotated: str) -> tuple[str, list[Span]]:
    """Strip `[[surface|TYPE]]` markup; return the plain text and character spans into it."""
    text_parts: list[str] = []
    spans: list[Span] = []
    position = 0
    length = 0
    for match in MARKUP.finditer(annotated):
        before = annotated[position:match.start()]
        text_parts.append(before)
        length += len(before)
        surface, entity_type = match.group(1), match.group(2)
        if entity_type not in ENTITY_TYPES:
            raise ValueError(f"unknown type {entity_type!r} in {match.group(0)!r}")
        spans.append(Span(length, length + len(surface), entity_type, surface))
        text_parts.append(surface)
        length += len(surface)
        position = match.end()
    text_parts.append(annotated[position:])
    text = "".join(text_parts)
    if "[[" in text or "]]" in text:
        raise ValueError(f"unbalanced markup in {annotated!r}")
    return text, spans


def to_markup(text: str, spans: list[Span]) -> str:
    parts, position = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        parts.append(text[position:span.start])
        parts.append(f"[[{text[span.start:span.end]}|{span.entity_type}]]")
        position = span.end
    parts.append(text[position:])
    return "".join(parts)


def read_annotation_file(path: Path) -> list[dict]:
    """Rows of a TSV with columns line, document, annotated (line is 1-based in the NTREX files)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t",
                                   quoting=csv.QUOTE_NONE))
    return rows


def ntrex_lines(language: str, shared_ner: Path = SHARED_NER) -> list[str]:
    return (shared_ner / NTREX_FILES[language]).read_text(encoding="utf-8").splitlines()


def check(path: Path, language: str) -> list[str]:
    source = ntrex_lines(language)
    problems: list[str] = []
    seen: set[int] = set()
    for row in read_annotation_file(path):
        number = int(row["line"])
        if number in seen:
            problems.append(f"line {number}: annotated twice")
        seen.add(number)
        try:
            text, _ = parse_markup(row["annotated"])
        except ValueError as error:
            problems.append(f"line {number}: {error}")
            continue
        if text != source[number - 1]:
            problems.append(f"line {number}: text differs from the source\n  source: {source[number - 1]}\n  yours:  {text}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="verb", required=True)
    check_parser = sub.add_parser("check", help="verify an annotation file against the source sentences")
    check_parser.add_argument("files", nargs="+", type=Path)
    check_parser.add_argument("--language", default="sq", choices=sorted(NTREX_FILES))
    arguments = parser.parse_args(argv)
    failed = 0
    for path in arguments.files:
        problems = check(path, arguments.language)
        rows = read_annotation_file(path)
        spans = sum(len(parse_markup(r["annotated"])[1]) for r in rows if not any(p.startswith(f"line {r['line']}:") for p in problems))
        print(f"{path}: {len(rows)} sentences, {spans} entities, {len(problems)} problems")
        for problem in problems:
            print("  " + problem)
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
