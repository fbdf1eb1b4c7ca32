"""Bad and hostile input through the real CLI: quarantine with reasons, legacy encodings, odd file names, SQL in parameters.

One raw folder holds good articles beside every kind of bad file; `kronika run` is run on it twice, and each test
reads the warehouse or runs `kronika status` / `kronika report` the way an analyst would."""

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
KRONIKA = str(REPO / ".venv" / "bin" / "kronika")
RUN_TIMEOUT_SECONDS = 240
# A hang guard for the huge files, not a benchmark.
HUGE_INPUT_TIMEOUT_SECONDS = 120
SIZE_LIMIT_BYTES = 200_000

SQ_BODY = ("Qeveria e Shqipërisë miratoi sot buxhetin për vitin e ardhshëm në Tiranë.\n\n"
           "Ministri i Financave tha se çmimet e energjisë do të mbeten të qëndrueshme deri në pranverë. "
           "Ëndrra e bashkimit me Evropën është më afër se kurrë, shtoi ai.")
SQ_QUOTED = "„Kjo është një ditë e rëndësishme për ekonominë”, deklaroi zëdhënësi i qeverisë."
EN_BODY = ("The European Commission said on Tuesday that talks with Albania and North Macedonia would resume "
           "in the spring.\n\nOfficials in Brussels expect the first chapters to open before the summer recess.")


def article(title: str, body: str, date: str = "2025-11-03 10:15") -> str:
    return f"{title}\n{date}\n\n{body}\n"


def good_files() -> dict[str, bytes]:
    """Readable articles, each with its own title so none is a duplicate of another."""
    return {
        "good/plain_en.txt": article("Talks with Albania resume in spring", EN_BODY).encode(),
        "good/plain_sq.txt": article("Buxheti i ri miratohet në Tiranë", SQ_BODY).encode(),
        "encodings/windows_1250.txt": article("Buxheti dhe çmimet në Durrës", SQ_BODY + "\n\n" + SQ_QUOTED)
        .encode("cp1250"),
        "encodings/iso_8859_2.txt": article("Çështja e energjisë në Shkodër", SQ_BODY).encode("iso8859-2"),
        "encodings/windows_1252.txt": article("Zëdhënësi flet për Vlorën", SQ_BODY + "\n\n" + SQ_QUOTED)
        .encode("cp1252"),
        "encodings/bom_crlf.txt": b"\xef\xbb\xbf" + article("Ëndrra evropiane e Korçës", SQ_BODY)
        .replace("\n", "\r\n").encode(),
        # UTF-8 read as Windows-1252 and saved again as UTF-8: "Shqipërisë" arrives as "ShqipÃ«risÃ«".
        "encodings/mojibake.txt": article("Ministri i Financave në Elbasan", SQ_BODY)
        .encode().decode("cp1252").encode(),
        # Stray C1 controls and replacement characters inside otherwise good UTF-8.
        "encodings/stray_controls.txt": article("Pranvera në Gjirokastër", SQ_BODY.replace("sot", "sot\u0085\ufffd"))
        .encode(),
    }


EXPECTED_TEXT = {
    "encodings/windows_1250.txt": ("Buxheti dhe çmimet në Durrës", SQ_QUOTED),
    "encodings/iso_8859_2.txt": ("Çështja e energjisë në Shkodër", "Ëndrra e bashkimit me Evropën"),
    "encodings/windows_1252.txt": ("Zëdhënësi flet për Vlorën", SQ_QUOTED),
    "encodings/bom_crlf.txt": ("Ëndrra evropiane e Korçës", "Ministri i Financave tha se çmimet e energjisë"),
    "encodings/mojibake.txt": ("Ministri i Financave në Elbasan", "Qeveria e Shqipërisë miratoi sot"),
    "encodings/stray_controls.txt": ("Pranvera në Gjirokastër", "Qeveria e Shqipërisë miratoi sot buxhetin"),
}

# Bad files in the same folder as good ones: name -> words the quarantine reason must contain.
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "good/empty.txt": (b"", "empty file"),
    "good/picture.txt": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
    "good/scan.txt": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF document"),
    "good/archive.md": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64, "ZIP archive"),
    "good/nul_bytes.txt": ("Lajme nga Tirana sot ".encode("utf-16-le") * 20, "NUL bytes"),
    "good/too_large.txt": (article("Raport i gjatë", SQ_BODY * 800).encode(), "file too large"),
    "good/no_letters.txt": (b"2025 -- 10 / 17 ... 20:51 !!! 12345 67890\n" * 5, "no recognisable text"),
    "good/whitespace.txt": (b"   \n\n\t \r\n   ", "whitespace-only"),
    "good/image.png": (b"\x89PNG\r\n\x1a\n", "unsupported file type"),
}
SPECIAL_ENTRIES = {
    "good/pipe.txt": "named pipe",
    "good/broken_link.txt": "broken symlink",
    "good/outside_link.txt": "symlink points outside raw_dir",
    "good/escape_with_dots.txt": "symlink points outside raw_dir",
}

HOSTILE_NAMES = [
    "names/with space.txt",
    "names/ünïcödé Shqipëri çështje.txt",
    "names/new\nline.txt",
    "names/tab\there.txt",
    "names/quote's \"double\".txt",
    "names/x'; DROP TABLE articles; --.txt",
    "names/a..b..txt",
    "names/back\\slash.txt",
    "names/-rf.txt",
    "names/lajme 📰.txt",
    "names/dots..in..folder/inner.txt",
]
OUTSIDE_MARKER = "Sekreti jashtë dosjes nuk duhet të lexohet kurrë nga Kronika"


def kronika(*arguments: str, timeout: float = RUN_TIMEOUT_SECONDS, **variables: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KRONIKA_")}
    return subprocess.run([KRONIKA, *arguments], env={**environment, **variables}, capture_output=True, text=True,
                          timeout=timeout)


def write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return connection.execute(sql, params or []).fetchall()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    raw_dir, warehouse = root / "raw", root / "warehouse" / "kronika.duckdb"
    for name, content in good_files().items():
        write(raw_dir / name, content)
    for name, (content, _) in BAD_FILES.items():
        write(raw_dir / name, content)
    for index, name in enumerate(HOSTILE_NAMES):
        write(raw_dir / name, article(f"Lajmi numër {index} nga Prishtina", f"Artikulli {index}. {EN_BODY}").encode())
    secret = root / "outside" / "secret.txt"
    write(secret, article("Sekret", OUTSIDE_MARKER + ". " + SQ_BODY).encode())
    os.mkfifo(raw_dir / "good" / "pipe.txt")
    (raw_dir / "good" / "broken_link.txt").symlink_to(raw_dir / "good" / "gone.txt")
    (raw_dir / "good" / "outside_link.txt").symlink_to(secret)
    (raw_dir / "good" / "escape_with_dots.txt").symlink_to(Path("..") / ".." / "outside" / "secret.txt")

    limit = {"KRONIKA_MAX_FILE_BYTES": str(SIZE_LIMIT_BYTES)}
    first = kronika("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet", **limit)
    rows_after_first = query(warehouse, "SELECT source_path, content_sha256, status, reason FROM source_files "
                                        "ORDER BY ALL")
    second = kronika("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet", **limit)
    status = kronika("status", "--raw", str(raw_dir), "--warehouse", str(warehouse))
    return {"raw": raw_dir, "warehouse": warehouse, "first": first, "second": second, "status": status,
            "rows_after_first": rows_after_first}


def statuses(warehouse: Path) -> dict[str, tuple[str, str | None, str | None]]:
    rows = query(warehouse, "SELECT source_path, status, reason, encoding FROM source_files")
    return {path: (status, reason, encoding) for path, status, reason, encoding in rows}


def test_both_runs_succeed_without_a_traceback(ingested):
    for run in (ingested["first"], ingested["second"]):
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr


def test_bad_files_are_quarantined_with_a_readable_reason(ingested):
    stored = statuses(ingested["warehouse"])
    expected = {name: reason for name, (_, reason) in BAD_FILES.items()} | SPECIAL_ENTRIES
    for name, reason_words in expected.items():
        status, reason, _ = stored[name]
        assert status == "quarantined", name
        assert reason_words.lower() in reason.lower(), (name, reason)


def test_good_files_beside_bad_ones_are_ingested(ingested):
    stored = statuses(ingested["warehouse"])
    for name in good_files():
        assert stored[name][0] == "ingested", (name, stored[name])


def test_a_second_run_neither_requarantines_nor_duplicates(ingested):
    warehouse = ingested["warehouse"]
    assert query(warehouse, "SELECT source_path, content_sha256, status, reason FROM source_files ORDER BY ALL") \
        == ingested["rows_after_first"]
    (rows, distinct_paths), = query(warehouse, "SELECT count(*), count(DISTINCT source_path) FROM source_files")
    assert rows == distinct_paths
    # Refused files (FIFO, links out of raw/) are still on disk, so nothing is missing either: the second run
    # has nothing to do and writes no batch (it used to mark the refused files missing).
    assert "Nothing new" in ingested["second"].stdout, ingested["second"].stdout
    assert query(warehouse, "SELECT count(*) FROM ingest_runs") == [(1,)]
    assert query(warehouse, "SELECT count(missing_since) FROM source_files") == [(0,)]


def test_status_lists_quarantined_files_with_reasons(ingested):
    status = ingested["status"]
    assert status.returncode == 0, status.stderr
    for name, words in [("empty.txt", "empty file"), ("picture.txt", "PNG image"), ("pipe.txt", "FIFO"),
                        ("broken_link.txt", "broken"), ("too_large.txt", "too large")]:
        assert name in status.stdout
        assert words in status.stdout


def test_legacy_encodings_bom_crlf_and_mojibake_become_correct_text(ingested):
    warehouse = ingested["warehouse"]
    for name, (title, body_excerpt) in EXPECTED_TEXT.items():
        rows = query(warehouse, "SELECT a.title, a.body, s.encoding FROM articles a JOIN source_files s "
                                "USING (article_id) WHERE s.source_path = ?", [name])
        assert len(rows) == 1, name
        stored_title, body, encoding = rows[0]
        assert stored_title == title, name
        assert body_excerpt in body, (name, body[:200])
        assert encoding, name
    encodings = dict(query(warehouse, "SELECT source_path, encoding FROM source_files"))
    assert encodings["encodings/bom_crlf.txt"].startswith("utf-8-sig")
    assert "ftfy" in encodings["encodings/mojibake.txt"]
    assert encodings["encodings/stray_controls.txt"].endswith("+cleaned")
    assert encodings["encodings/windows_1250.txt"].startswith(("cp1250", "cp1252"))


def test_no_table_holds_replacement_characters_c1_controls_or_carriage_returns(ingested):
    warehouse = ingested["warehouse"]
    columns = query(warehouse, "SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN "
                               "information_schema.tables t USING (table_name) "
                               "WHERE t.table_type = 'BASE TABLE' AND c.data_type = 'VARCHAR'")
    assert len(columns) > 20
    for table, column in columns:
        (bad,), = query(warehouse, f'SELECT count(*) FROM "{table}" WHERE regexp_matches("{column}", '
                                   "'[\\x{0080}-\\x{009F}\\x{FFFD}\\r\\x{0000}]')")
        assert bad == 0, f"{table}.{column}"


def test_hostile_file_names_are_stored_as_data_and_stay_inside_raw(ingested):
    raw_dir, warehouse = ingested["raw"], ingested["warehouse"]
    stored = statuses(warehouse)
    for name in HOSTILE_NAMES:
        assert stored[name][0] == "ingested", (name, stored[name])
    root = raw_dir.resolve()
    for path, (status, _, _) in stored.items():
        if status != "quarantined":
            assert (raw_dir / path).resolve().is_relative_to(root), path
    (leaked,), = query(warehouse, "SELECT count(*) FROM articles WHERE body LIKE '%' || ? || '%'", [OUTSIDE_MARKER])
    assert leaked == 0


def test_sql_in_a_report_parameter_is_data(ingested):
    warehouse = ingested["warehouse"]
    (before,), = query(warehouse, "SELECT count(*) FROM articles")
    # A free-text parameter is bound as a value: the injection is a unit nobody uses, so no rows.
    injected = kronika("report", "figures_by_entity", "--warehouse", str(warehouse), "--format", "json",
                       "--param", "unit=x'; DROP TABLE articles; --")
    assert injected.returncode == 0, injected.stderr
    assert json.loads(injected.stdout) == []
    # A parameter with listed values refuses anything else before any SQL runs, in one line.
    refused = kronika("report", "top_entities", "--warehouse", str(warehouse), "--format", "json",
                      "--param", "entity_type=x'; DROP TABLE articles; --")
    assert refused.returncode == 2
    assert refused.stderr.startswith("kronika: entity_type must be one of PERSON")
    assert len(refused.stderr.strip().splitlines()) == 1
    bad_number = kronika("report", "top_entities", "--warehouse", str(warehouse), "--format", "json",
                         "--param", "top=1; DROP TABLE articles")
    assert bad_number.returncode == 2
    assert "Traceback" not in bad_number.stderr
    assert bad_number.stderr.startswith("kronika: ") and len(bad_number.stderr.strip().splitlines()) == 1
    assert query(warehouse, "SELECT count(*) FROM articles") == [(before,)]


def test_huge_single_line_and_many_capitalised_words_finish(tmp_path):
    raw_dir, warehouse = tmp_path / "raw", tmp_path / "warehouse" / "kronika.duckdb"
    sentence = "Kryeministri takoi sot ambasadorin në Tiranë për energjinë dhe buxhetin. "
    single_line = (sentence * (4_900_000 // len(sentence.encode())))
    write(raw_dir / "single_line.txt", single_line.encode())
    syllables = ["Ka", "Lo", "Mi", "Dre", "Shu", "Va", "Ne", "Ti", "Bo", "Ra", "Zhe", "Ço"]
    # Distinct capitalised words, so every one is a possible name for the entity extractor.
    words = ["".join(syllables[(i // 12 ** place) % 12] for place in range(5)).capitalize() for i in range(100_000)]
    write(raw_dir / "capitalised.txt", article("Emrat e shumtë", " ".join(words)).encode())

    try:
        run = kronika("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet",
                      timeout=HUGE_INPUT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"kronika run did not finish within {HUGE_INPUT_TIMEOUT_SECONDS} s on a 5 MB article and "
                    "100,000 capitalised words (see docs/reliability.md, 'Known gaps')")

    assert run.returncode == 0, run.stderr
    stored = statuses(warehouse)
    assert set(stored) == {"single_line.txt", "capitalised.txt"}
    assert stored["capitalised.txt"][0] == "ingested"
    assert stored["single_line.txt"][0] in ("ingested", "quarantined")
