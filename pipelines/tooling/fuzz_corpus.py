"""A seeded corpus of mutated articles for robustness tests: byte flips, truncation, huge lines, NULs, odd
encodings, impossible header dates and UTC offsets, empty files, giant numbers, copies, broken JSON Lines.

`python -m pipelines.tooling.fuzz_corpus OUT --articles 2000 --seed 1` writes it; the same seed writes the same
files. tests/e2e/test_fuzz_ingest.py runs `kronika run` over it and checks that every file ends with a status."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from pipelines.tooling.synthetic import generate_corpus

BAD_OFFSETS = ("+99", "UTC+24", "+2400", "-25:00", "GMT+48", "+23:60", "-9999", "+00:99", "UTC-24:00", "+1")
BAD_DATE_LINES = (
    "2025-02-30 10:00", "0000-00-00 00:00", "31/13/2025", "99999-01-01 10:00", "1900-01-01 00:00",
    "2025-10-17 25:61:61", "e hënë, 32 tetor 2025 ora 24:99", "10/17/20251 08:00", "Published: February 29, 2025",
    "2025-10-17 20:51:01.99999999999 +05:45", "Përditësuar: 2025-13-45", "-0001-01-01", "2025-10-17T20:51:00Z+02:00",
)
ODD_ENCODINGS = ("utf-16", "utf-16-le", "utf-32", "cp1250", "cp1252", "iso8859-2", "mac_roman", "cp1251",
                 "shift_jis", "utf-8-sig", "cp437")
NOISE_CHARACTERS = ("\x00", "\x1b[31m", "\x07", "\x85", "\x9b", "\ufffd", "\ufeff", "\u2028", "\u202e", "\u200b",
                    "\r", "\x0c", "\udcff", "\U0001F600")


def _header_and_body(text: str) -> tuple[list[str], str]:
    head, _, body = text.partition("\n\n")
    return head.split("\n"), body


def _with_header_line(text: str, line: str, rng: random.Random) -> str:
    header, body = _header_and_body(text)
    header.insert(rng.randrange(len(header) + 1), line)
    return "\n".join(header) + "\n\n" + body


def bad_offset(text: str, rng: random.Random) -> str:
    offset = rng.choice(BAD_OFFSETS)
    line = rng.choice((f"2025-10-17 20:51 {offset}", f"Published: October 17, 2025 8:51 PM {offset}",
                       f"2025-10-17T20:51:00{offset}", f"17.10.2025, 20:51 ({offset})"))
    return _with_header_line(text, line, rng)


def bad_date(text: str, rng: random.Random) -> str:
    return _with_header_line(text, rng.choice(BAD_DATE_LINES), rng)


def giant_number(text: str, rng: random.Random) -> str:
    digits = "9" * rng.choice((30, 400, 5000))
    sentence = rng.choice((f"Shpenzimet arritën {digits} për qind.", f"It cost {digits} billion euros.",
                           f"Some {digits},{digits}.{digits} troops were sent.", f"Rritja ishte 1e{digits} lekë."))
    header, body = _header_and_body(text)
    return "\n".join(header) + "\n\n" + sentence + " " + body


def huge_header(text: str, rng: random.Random) -> str:
    header, body = _header_and_body(text)
    junk = rng.choice(("Titull " * 3000, "By " * 2000 + "Jane Doe", "\n".join(["Rubrika"] * 500), ":" * 20000))
    return junk + "\n" + "\n".join(header) + "\n\n" + body


def huge_line(text: str, rng: random.Random) -> str:
    header, body = _header_and_body(text)
    words = body.split() or ["fjalë"]
    line = " ".join(rng.choice(words) for _ in range(rng.randrange(10_000, 40_000)))
    return "\n".join(header) + "\n\n" + line


def noise(text: str, rng: random.Random) -> str:
    characters = list(text)
    for _ in range(rng.randrange(1, 40)):
        characters.insert(rng.randrange(len(characters) + 1), rng.choice(NOISE_CHARACTERS))
    return "".join(characters)


def line_endings(text: str, rng: random.Random) -> str:
    return text.replace("\n", rng.choice(("\r", "\r\n", "\n\r", "\u2029")))


def byte_flips(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randrange(1, 60)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def truncate(raw: bytes, rng: random.Random) -> bytes:
    return raw[:rng.randrange(len(raw) + 1)]


def nul_bytes(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.choice((1, 2, 5, 50, 500))):
        data.insert(rng.randrange(len(data) + 1), 0)
    return bytes(data)


def odd_encoding(text: str, rng: random.Random) -> bytes:
    encoding = rng.choice(ODD_ENCODINGS)
    if rng.random() < 0.2:  # UTF-8 read as cp1252 and saved again (mojibake), sometimes twice
        return text.encode("utf-8", "replace").decode("cp1252", "replace").encode("utf-8", "surrogatepass")
    return text.encode(encoding, "replace")


def emptyish(text: str, rng: random.Random) -> bytes:
    header, _ = _header_and_body(text)
    return rng.choice((b"", b"\n", b" \t\n\n  ", b"\xef\xbb\xbf", "\n".join(header).encode("utf-8", "surrogatepass"), b"\x00" * 10,
                       b"\xff\xfe", "Titull\n\n".encode()))


TEXT_MUTATIONS = (bad_offset, bad_date, giant_number, huge_header, noise, line_endings)
BYTE_MUTATIONS = (byte_flips, truncate, nul_bytes)
RARE_TEXT_MUTATIONS = (huge_line,)


def mutate(text: str, rng: random.Random) -> tuple[bytes, list[str]]:
    """One to three mutations of one article; the names say which."""
    names: list[str] = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        pick = rng.random()
        if pick < 0.02:
            mutation = rng.choice(RARE_TEXT_MUTATIONS)
        elif pick < 0.65:
            mutation = rng.choice(TEXT_MUTATIONS)
        else:
            break
        text = mutation(text, rng)
        names.append(mutation.__name__)
    pick = rng.random()
    if pick < 0.04:
        names.append("emptyish")
        return emptyish(text, rng), names
    if pick < 0.16:
        names.append("odd_encoding")
        raw = odd_encoding(text, rng)
    else:
        raw = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.35:
        mutation = rng.choice(BYTE_MUTATIONS)
        raw = mutation(raw, rng)
        names.append(mutation.__name__)
    return raw, names or ["none"]


def jsonl_records(texts: list[str], rng: random.Random) -> list[str]:
    """JSON Lines rows from articles, some broken or odd (wrong types, giant numbers, deep nesting, escapes)."""
    rows = []
    for text in texts:
        header, body = _header_and_body(text)
        record: dict = {"title": header[0], "date": rng.choice(header[1:] or ["2025-10-17"]), "body": body}
        pick = rng.random()
        if pick < 0.1:
            rows.append(json.dumps(record)[: rng.randrange(1, 40)])
        elif pick < 0.2:
            record[rng.choice(("title", "date", "body", "author"))] = rng.choice(
                (12345, None, True, ["a", 1, None], {"name": "x"}, {"nested": [1]}, 1.5e308, ""))
            rows.append(json.dumps(record))
        elif pick < 0.25:
            rows.append('{"title": "x", "n": ' + "7" * 6000 + "}")
        elif pick < 0.3:
            rows.append("[" * 50_000 + "]" * 50_000)
        elif pick < 0.4:
            record["body"] = noise(body, rng)
            rows.append(json.dumps(record, ensure_ascii=rng.random() < 0.5).replace("\\udcff", "\\udcff"))
        else:
            rows.append(json.dumps(record, ensure_ascii=False))
    return rows


def fuzz_corpus(out_dir: Path, *, articles: int = 2000, seed: int = 1, words: int = 120,
                jsonl_files: int = 5, records_per_file: int = 20) -> Counter:
    """Write `articles` mutated article files (and `jsonl_files` JSON Lines files) under out_dir; counts by mutation."""
    rng = random.Random(seed)
    out_dir = Path(out_dir)
    counts: Counter = Counter()
    with tempfile.TemporaryDirectory() as base:
        generate_corpus(Path(base), articles, seed=seed, words=words)
        sources = sorted(Path(base).rglob("*.txt"))
        texts = [path.read_text() for path in sources]
    written: list[Path] = []
    for index, text in enumerate(texts):
        raw, names = mutate(text, rng)
        counts.update(names)
        suffix = ".md" if rng.random() < 0.1 else ".txt"
        name = rng.choice((f"{index:05d}{suffix}", f"lajm {index:05d} – ë{suffix}", f"{index:05d}.tar.gz{suffix}"))
        path = out_dir / f"{index // 500:02d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        written.append(path)
    # Copies and re-scrapes: the same bytes under another name (duplicate), an edited body (superseded or not).
    for copy_index in range(max(1, articles // 100)):
        source = rng.choice(written)
        target = out_dir / "copies" / f"copy_{copy_index:04d}{source.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if copy_index % 2:
            shutil.copyfile(source, target)
            counts["exact_copy"] += 1
        else:
            target.write_bytes(source.read_bytes().replace(b".", b"!", 1) + b"\n")
            counts["edited_copy"] += 1
    for file_index in range(jsonl_files):
        chosen = rng.sample(texts, min(records_per_file, len(texts)))
        path = out_dir / "feeds" / f"feed_{file_index}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(jsonl_records(chosen, rng)) + "\n", encoding="utf-8", errors="surrogatepass")
        counts["jsonl_file"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args(argv)
    counts = fuzz_corpus(arguments.out, articles=arguments.articles, seed=arguments.seed)
    print(json.dumps(dict(sorted(counts.items())), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
