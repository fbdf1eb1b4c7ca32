"""The NER sets under shared/ner (English BTC, WNUT17, wikigold, SEC, re3d, GUM; Albanian hand-annotated NTREX)
read into one frame of documents with typed character spans, mapped to Kronika's types, with fixed splits."""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.lib.entities.rules import load_candidate_rules
from pipelines.tooling.ner_markup import SHARED_NER, parse_markup, read_annotation_file

SPLIT_SEED = 20261203
# IGNORE: a gold span of a kind Kronika does not type (MISC, nationalities, dates, abstract GUM mentions). A
# prediction overlapping one is neither right nor wrong, and training skips candidates overlapping one.
IGNORE = "IGNORE"
# A kind the guideline says is no mention at all (demonyms: re3d's Nationality): dropped, so it trains as O.
NOT_A_NAME = "O"
TYPE_MAPS: dict[str, dict[str, str]] = {
    "btc": {"PER": "PERSON", "ORG": "ORG", "LOC": "LOC"},
    "wnut17": {"person": "PERSON", "location": "LOC", "group": "ORG", "corporation": "ORG", "product": "OTHER",
               "creative-work": "OTHER"},
    "wikigold": {"PER": "PERSON", "ORG": "ORG", "LOC": "LOC", "MISC": IGNORE},
    "sec": {"PER": "PERSON", "ORG": "ORG", "LOC": "LOC", "MISC": IGNORE},
    "re3d": {"Person": "PERSON", "Organisation": "ORG", "Location": "LOC", "Weapon": "OTHER",
             "MilitaryPlatform": "OTHER", "Nationality": NOT_A_NAME, "DocumentReference": IGNORE, "Temporal": IGNORE,
             "Quantity": IGNORE, "Money": IGNORE},
    "gum": {"person": "PERSON", "place": "LOC", "organization": "ORG", "event": "EVENT", "object": "OTHER"},
}
GUM_TEST = ("academic_discrimination", "academic_eegimaa", "bio_dvorak", "bio_jespersen", "court_insanity",
            "court_mitigation", "interview_hill", "interview_libertarian", "voyage_oakland", "voyage_vavau")
GUM_DEV = ("academic_exposure", "academic_librarians", "bio_byron", "bio_emperor", "court_loan", "court_negligence",
           "interview_cyclone", "interview_gaming", "voyage_athens", "voyage_coron")
# Sets whose text is edited prose (news, government releases, encyclopedia, interviews, filings), as opposed to
# tweets: the acceptance target is scored on these.
NEWS_LIKE = ("wikigold", "re3d", "gum", "sec")
NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "’s", "n't", "'re", "'ve", "'ll", "'d",
                   "'m", "'S"}
NO_SPACE_AFTER = {"(", "[", "{", "$", "#"}
DOCUMENT_COLUMNS = {"corpus": pl.String, "split": pl.String, "document_id": pl.String, "language": pl.String,
                    "text": pl.String,
                    "spans": pl.List(pl.Struct({"start": pl.Int64, "end": pl.Int64, "entity_type": pl.String}))}


@dataclass
class Sentence:
    tokens: list[str]
    spans: list[tuple[int, int, str]]  # token start, token end (exclusive), type


def is_title(token: str) -> bool:
    """A title or role word (Mr., President, Dr): not part of a name in Kronika's guideline, though some sets
    (GUM) include it in the mention."""
    titles = load_candidate_rules().titles
    return token.lower() in titles or token.lower().rstrip(".") in titles


def detokenise(sentences: list[Sentence]) -> tuple[str, list[tuple[int, int, str]]]:
    """Sentences joined by newlines, tokens by spaces except before punctuation and clitics; token spans become
    character spans. A leading English 'the' is not part of a name (docs/annotation.md)."""
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    length = 0
    for index, sentence in enumerate(sentences):
        if index:
            parts.append("\n")
            length += 1
        starts, ends = [], []
        previous = None
        for token in sentence.tokens:
            token = {"``": '"', "''": '"', "-LRB-": "(", "-RRB-": ")"}.get(token, token)
            if previous is not None and token not in NO_SPACE_BEFORE and previous not in NO_SPACE_AFTER:
                parts.append(" ")
                length += 1
            starts.append(length)
            parts.append(token)
            length += len(token)
            ends.append(length)
            previous = token
        for first, last, entity_type in sentence.spans:
            while first < last - 1 and (sentence.tokens[first].lower() == "the" or is_title(sentence.tokens[first])):
                first += 1
            if entity_type != NOT_A_NAME:
                spans.append((starts[first], ends[last - 1], entity_type))
    return "".join(parts), spans


def bio_sentences(path: Path, corpus: str, tag_column: int = -1, separator: str | None = None) -> list[list[Sentence]]:
    """CoNLL token-per-line files (IOB2 or IO) as documents of sentences; `-DOCSTART-` starts a document."""
    documents: list[list[Sentence]] = [[]]
    tokens: list[str] = []
    tags: list[str] = []

    def close_sentence() -> None:
        if tokens:
            documents[-1].append(Sentence(list(tokens), tag_spans(tags, TYPE_MAPS[corpus])))
        tokens.clear()
        tags.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            close_sentence()
            continue
        fields = line.split(separator) if separator else line.split()
        if fields[0] == "-DOCSTART-":
            close_sentence()
            if documents[-1]:
                documents.append([])
            continue
        tokens.append(fields[0])
        tags.append(fields[tag_column])
    close_sentence()
    return [document for document in documents if document]


def tag_spans(tags: list[str], type_map: dict[str, str]) -> list[tuple[int, int, str]]:
    """Token spans from IOB2/IO tags: a B- or a change of type starts a span (IO merges adjacent same-type names)."""
    spans, start, current = [], None, None
    for index, tag in enumerate(tags + ["O"]):
        label = tag[2:] if tag[:2] in ("B-", "I-") else None
        begins = tag.startswith("B-") or label != current
        if current is not None and (begins or label is None):
            spans.append((start, index, type_map.get(current, IGNORE)))
            current = None
        if label is not None and (current is None):
            start, current = index, label
    return spans




def gum_sentences(path: Path) -> list[Sentence]:
    """A GUM document: PROPN-headed, outermost entity mentions whose first and last words are capitalised."""
    sentences = []
    rows: list[list[str]] = []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#"):
            continue
        if line.strip():
            fields = line.split("\t")
            if fields[0].isdigit():
                rows.append(fields)
            continue
        if rows:
            sentences.append(gum_sentence(rows))
            rows = []
    return sentences


def gum_sentence(rows: list[list[str]]) -> Sentence:
    tokens = [row[1] for row in rows]
    opened: dict[str, list[tuple[int, str]]] = {}
    mentions = []
    for index, row in enumerate(rows):
        entity = next((item[len("Entity="):] for item in row[9].split("|") if item.startswith("Entity=")), "")
        for match in re.finditer(r"\((\d+)-([a-z]+)[^()]*|(\d+)\)|\)", entity):
            if match.group(1):
                opened.setdefault(match.group(1), []).append((index, match.group(2)))
                if entity[match.end():match.end() + 1] == ")":
                    start, etype = opened[match.group(1)].pop()
                    mentions.append((start, index + 1, etype))
            elif match.group(3) and opened.get(match.group(3)):
                start, etype = opened[match.group(3)].pop()
                mentions.append((start, index + 1, etype))
    named = []
    for start, end, etype in mentions:
        inside = range(start, end)
        heads = [i for i in inside if int(rows[i][6]) - 1 not in inside]
        if not heads or rows[heads[0]][3] != "PROPN":
            continue
        first = start + (tokens[start].lower() == "the" and end - start > 1)
        capitalised = tokens[first][:1].isupper() and tokens[end - 1][:1].isupper() and end - first <= 6
        entity_type = TYPE_MAPS["gum"].get(etype, IGNORE) if capitalised else IGNORE
        named.append((first, end, entity_type))
    outermost = [span for span in named
                 if not any(o != span and o[0] <= span[0] and span[1] <= o[1] for o in named)]
    return Sentence(tokens, sorted(set(outermost)))


def seeded_split(identifiers: list[str], seed_name: str) -> dict[str, str]:
    """80/10/10 train/dev/test by a seeded shuffle of document identifiers (stable for a given list)."""
    shuffled = sorted(identifiers)
    random.Random(f"{SPLIT_SEED}-{seed_name}").shuffle(shuffled)
    test_count = dev_count = max(1, len(shuffled) // 10)
    return {identifier: "test" if i < test_count else "dev" if i < test_count + dev_count else "train"
            for i, identifier in enumerate(shuffled)}


def english_documents(shared_ner: Path = SHARED_NER) -> list[dict]:
    english = shared_ner / "en"
    if not english.is_dir():
        # A clone without shared/ beside it still evaluates the Albanian and English NTREX sets it carries.
        print(f"kronika eval: no English NER sets at {english} (set KRONIKA_SHARED_NER to the shared/ner folder); "
              "scoring the NTREX sets in data/ner only", file=sys.stderr)
        return []
    documents: list[tuple[str, str, str, list[Sentence]]] = []  # corpus, split, id, sentences
    btc = []
    for path in sorted((english / "btc/CONLL-format/data").glob("*.conll")):
        for document in bio_sentences(path, "btc", separator="\t"):
            btc += [(f"btc/{path.stem}/{i}", [sentence]) for i, sentence in enumerate(document)]
    btc_split = seeded_split([identifier for identifier, _ in btc], "btc")
    documents += [("btc", btc_split[identifier], identifier, sentences) for identifier, sentences in btc]
    wnut = english / "wnut17/CONLL-format/data"
    for split, name in (("train", "train/wnut17train.conll"), ("dev", "dev/emerging.dev.conll"),
                        ("test", "test/emerging.test.annotated")):
        for document in bio_sentences(wnut / name, "wnut17", separator="\t"):
            documents += [("wnut17", split, f"wnut17/{split}/{i}", [sentence]) for i, sentence in enumerate(document)]
    wikigold = bio_sentences(english / "wikigold/CONLL-format/data/wikigold.conll.txt", "wikigold", separator=" ")
    wikigold_split = seeded_split([f"wikigold/{i}" for i in range(len(wikigold))], "wikigold")
    documents += [("wikigold", wikigold_split[f"wikigold/{i}"], f"wikigold/{i}", d) for i, d in enumerate(wikigold)]
    for split, name in (("train", "train/FIN5.txt"), ("test", "test/FIN3.txt")):
        for i, document in enumerate(bio_sentences(english / f"sec-filings/CONLL-format/data/{name}", "sec")):
            documents.append(("sec", split, f"sec/{split}/{i}", document))
    re3d_paths = sorted((english / "re3d/CONLL-format/data-by-source/conll").glob("*/*.conll"))
    re3d_split = seeded_split([path.stem for path in re3d_paths], "re3d")
    for path in re3d_paths:
        for document in bio_sentences(path, "re3d", separator="\t"):
            documents.append(("re3d", re3d_split[path.stem], f"re3d/{path.stem}", document))
    for path in sorted((english / "gum/dep").glob("GUM_*.conllu")):
        name = path.stem.removeprefix("GUM_")
        split = "test" if name in GUM_TEST else "dev" if name in GUM_DEV else "train"
        documents.append(("gum", split, f"gum/{name}", gum_sentences(path)))
    rows = []
    for corpus, split, identifier, sentences in documents:
        text, spans = detokenise(sentences)
        rows.append({"corpus": corpus, "split": split, "document_id": identifier, "language": "en", "text": text,
                     "spans": [{"start": s, "end": e, "entity_type": t} for s, e, t in spans]})
    return rows


NER_DATA = Path(__file__).resolve().parents[2] / "data" / "ner"


def ntrex_documents(directory: Path, language: str) -> list[dict]:
    """Hand-annotated NTREX sentences (`dev.tsv`, `test.tsv`, `train_*.tsv`: the split is the file name's first
    part), one document per NTREX document, its sentences in line order joined by newlines."""
    by_document: dict[tuple[str, str], list[tuple[int, str, list]]] = {}
    for path in sorted(directory.glob("*.tsv")):
        split = path.stem.split("_")[0]
        for row in read_annotation_file(path):
            text, spans = parse_markup(row["annotated"])
            by_document.setdefault((split, row["document"]), []).append((int(row["line"]), text, spans))
    rows = []
    for (split, document), lines in sorted(by_document.items()):
        lines.sort()
        text, spans, offset = [], [], 0
        for _, line_text, line_spans in lines:
            spans += [{"start": offset + s.start, "end": offset + s.end, "entity_type": s.entity_type} for s in line_spans]
            text.append(line_text)
            offset += len(line_text) + 1
        rows.append({"corpus": directory.name, "split": split, "document_id": f"{directory.name}/{document}",
                     "language": language, "text": "\n".join(text), "spans": spans})
    return rows


def load_documents(shared_ner: Path = SHARED_NER) -> pl.DataFrame:
    """Every document of every set: corpus, split (train/dev/test), document_id, language, text, spans."""
    return pl.DataFrame(english_documents(shared_ner) + ntrex_documents(NER_DATA / "sq_ntrex", "sq")
                        + ntrex_documents(NER_DATA / "en_ntrex", "en"), schema=DOCUMENT_COLUMNS)


def summary(documents: pl.DataFrame) -> pl.DataFrame:
    """Documents, sentences and typed spans per corpus and split (the table in docs/ner_data.md)."""
    spans = documents.select("corpus", "split", "spans").explode("spans").unnest("spans").drop_nulls("entity_type")
    counts = spans.group_by("corpus", "split").agg(
        [(pl.col("entity_type") == t).sum().alias(t) for t in ("PERSON", "ORG", "GPE", "LOC", "EVENT", "OTHER", IGNORE)])
    sizes = documents.group_by("corpus", "split").agg(
        pl.len().alias("documents"), (pl.col("text").str.count_matches("\n") + 1).sum().alias("sentences"))
    return sizes.join(counts, on=["corpus", "split"], how="left").sort("corpus", "split")


if __name__ == "__main__":
    with pl.Config(tbl_rows=100, tbl_cols=20):
        print(summary(load_documents()))
