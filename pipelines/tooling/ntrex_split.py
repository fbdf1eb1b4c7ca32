"""The document-level split of NTREX (English-Albanian parallel news) into train, dev and test for entity annotation.
Deterministic (seeded shuffle of document ids); `python -m pipelines.tooling.ntrex_split write DIR` writes the to-annotate TSVs."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from pipelines.tooling.ner_markup import SHARED_NER, ntrex_lines

SEED = 20261203
TEST_SENTENCES = 460
DEV_SENTENCES = 260


def documents(shared_ner: Path = SHARED_NER) -> list[tuple[str, list[int]]]:
    """(document id, 1-based line numbers) in file order."""
    ids = (shared_ner / "sq/ntrex/DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    order: dict[str, list[int]] = {}
    for number, document in enumerate(ids, start=1):
        order.setdefault(document.strip(), []).append(number)
    return list(order.items())


def split(shared_ner: Path = SHARED_NER) -> dict[str, list[tuple[str, list[int]]]]:
    shuffled = documents(shared_ner)
    random.Random(SEED).shuffle(shuffled)
    parts: dict[str, list[tuple[str, list[int]]]] = {"test": [], "dev": [], "train": []}
    counts = {"test": 0, "dev": 0}
    for document, lines in shuffled:
        name = "test" if counts["test"] < TEST_SENTENCES else "dev" if counts["dev"] < DEV_SENTENCES else "train"
        parts[name].append((document, lines))
        if name in counts:
            counts[name] += len(lines)
    return parts


def write_chunks(directory: Path, chunks: dict[str, int]) -> None:
    """Write `<part>_<k>.todo.tsv` files of about `chunks[part]` parts each, documents kept whole."""
    source = ntrex_lines("sq")
    directory.mkdir(parents=True, exist_ok=True)
    for part, documents_in_part in split().items():
        total = sum(len(lines) for _, lines in documents_in_part)
        pieces = chunks.get(part, 1)
        target = total / pieces
        piece, written = 1, 0
        rows: list[str] = []
        for document, lines in documents_in_part:
            for number in lines:
                rows.append(f"{number}\t{document}\t{source[number - 1]}")
            written += len(lines)
            if written >= target * piece and piece < pieces:
                (directory / f"{part}_{piece}.todo.tsv").write_text("line\tdocument\tannotated\n" + "\n".join(rows) + "\n", encoding="utf-8")
                rows, piece = [], piece + 1
        (directory / f"{part}_{piece}.todo.tsv").write_text("line\tdocument\tannotated\n" + "\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "write":
        write_chunks(Path(sys.argv[2]), {"test": 2, "dev": 1, "train": 4})
    else:
        for name, part in split().items():
            print(name, len(part), "documents", sum(len(lines) for _, lines in part), "sentences")
