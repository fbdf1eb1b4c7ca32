"""One bad file never stops a batch: a failure injected into each stage for one file quarantines that file only.

The injected runs call the real `kronika run` entry point in this process (real raw folder, real DuckDB file, the
real Dagster assets), with one stage function patched to raise for one marked file; the poison-pill headers run as
a separate `kronika run` process with nothing patched."""

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from pipelines import cli
from pipelines.defs import assets as ingest_assets
from pipelines.lib import ingest, prepare
from pipelines.lib.warehouse import query_rows

pytestmark = pytest.mark.e2e

KRONIKA = str(Path(sys.executable).parent / "kronika")
RUN_TIMEOUT_SECONDS = 300
GOOD_ARTICLES = 12

BODY_EN = ("The European Commission said on Tuesday that talks with Albania would resume in the spring, "
           "with 1,200 officials taking part and a budget of 3.5 billion euros.\n\nOfficials in Brussels "
           "expect the first chapters to open before the summer recess, said Ursula von der Leyen.")
BODY_SQ = ("Qeveria e Shqipërisë miratoi sot buxhetin për vitin e ardhshëm në Tiranë, me 2,5 për qind rritje.\n\n"
           "Ministri i Financave tha se çmimet e energjisë do të mbeten të qëndrueshme deri në pranverë.")

# stage -> (the function the stage boundary calls, where it is looked up, how to tell the marked file)
STAGES = ("decode", "parse", "texts", "sentences", "entities", "figures", "figure links", "entity rows")


def article_text(title: str, day: int, body: str) -> str:
    return f"{title}\n2025-10-{day:02d} 09:30\n\n{body}\n"


def marked_article(stage: str) -> str:
    return article_text(f"Marked article for the {stage} stage", 20, BODY_EN + f"\n\nMarker {stage}.")


def article_id_of(text: str) -> str:
    """The id ingestion gives this text (through the same frame path, so the same UTC time)."""
    documents = pl.DataFrame([{"source_path": "x.txt", "content_sha256": "0", "size_bytes": 1, "mtime_ns": 1,
                               "encoding": "utf-8", "reason": None, "text": text}], schema=ingest.DOCUMENT_SCHEMA)
    return ingest.parse_documents(documents, timezone="Europe/Tirane")["article_id"][0]


def write_corpus(raw_dir: Path) -> dict[str, str]:
    """Good articles and one marked article per stage; returns stage -> marked file."""
    for index in range(GOOD_ARTICLES):
        body = BODY_EN if index % 2 else BODY_SQ
        (raw_dir / "good").mkdir(parents=True, exist_ok=True)
        (raw_dir / "good" / f"{index:02d}.txt").write_text(article_text(f"Good article number {index}", index + 1, body))
    marked = {}
    for stage in STAGES:
        path = f"marked/{stage.replace(' ', '_')}.txt"
        (raw_dir / "marked").mkdir(parents=True, exist_ok=True)
        (raw_dir / path).write_text(marked_article(stage))
        marked[stage] = path
    return marked


def texts_hold(frame: pl.DataFrame, marker: str) -> bool:
    column = "text" if "text" in frame.columns else "body"
    return frame.height > 0 and frame[column].fill_null("").str.contains(marker, literal=True).any()


def inject_failures(monkeypatch) -> None:
    """Every stage raises when its input holds its marked file; the real function runs otherwise."""
    marked_ids = {stage: article_id_of(marked_article(stage)) for stage in STAGES}

    def raising_on_text(stage, function, argument_index=0):
        def patched(*args, **kwargs):
            if texts_hold(args[argument_index], f"Marker {stage}."):
                raise RuntimeError(f"injected failure in {stage}")
            return function(*args, **kwargs)
        return patched

    def raising_on_article(stage, function):
        def patched(frame, *args, **kwargs):
            if frame.height and frame["article_id"].is_in([marked_ids[stage]]).any():
                raise ValueError(f"injected failure in {stage}")
            return function(frame, *args, **kwargs)
        return patched

    real_decode = ingest.decode_bytes

    def decode(raw, **kwargs):
        if b"Marker decode." in raw:
            raise UnicodeError("injected failure in decode")
        return real_decode(raw, **kwargs)

    monkeypatch.setattr(ingest, "decode_bytes", decode)
    monkeypatch.setattr(ingest, "parse_articles", raising_on_text("parse", ingest.parse_articles))
    # The extraction stages run inside the batch's preparation (a small batch: in this process).
    monkeypatch.setattr(prepare, "article_texts", raising_on_text("texts", prepare.article_texts))
    for stage, name in (("sentences", "extract_sentences"), ("entities", "extract_entity_mentions"),
                        ("figures", "extract_article_figures")):
        monkeypatch.setattr(prepare, name, raising_on_text(stage, getattr(prepare, name)))
    monkeypatch.setattr(ingest_assets, "figure_entity_links",
                        raising_on_article("figure links", ingest_assets.figure_entity_links))
    monkeypatch.setattr(ingest_assets, "entity_rows", raising_on_article("entity rows", ingest_assets.entity_rows))


def statuses(warehouse: Path) -> dict[str, tuple[str, str | None]]:
    return {path: (status, reason) for path, status, reason in
            query_rows(warehouse, "SELECT source_path, status, reason FROM source_files")}


def test_a_failure_in_each_stage_quarantines_only_its_file_and_the_next_run_is_clean(tmp_path, monkeypatch, capsys):
    raw_dir, warehouse = tmp_path / "raw", tmp_path / "warehouse" / "kronika.duckdb"
    marked = write_corpus(raw_dir)
    inject_failures(monkeypatch)
    assert cli.main(["run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet"]) == 0
    summary = capsys.readouterr().out
    assert f"{GOOD_ARTICLES} ingested" in summary and f"{len(STAGES)} quarantined" in summary, summary

    found = statuses(warehouse)
    assert len(found) == GOOD_ARTICLES + len(STAGES)
    for stage, path in marked.items():
        status, reason = found[path]
        assert status == "quarantined", (stage, status, reason)
        assert reason.startswith(f"{stage} failed: ") and f"injected failure in {stage}" in reason, reason
    good = {path: value for path, value in found.items() if path.startswith("good/")}
    assert {status for status, _ in good.values()} == {"ingested"}
    (articles,), = query_rows(warehouse, "SELECT count(*) FROM articles")
    assert articles == GOOD_ARTICLES
    # Nothing of a failed article reaches any table.
    for table in ("sentences", "mentions", "figures", "figure_entity_links"):
        (stray,), = query_rows(warehouse, f"SELECT count(*) FROM {table} WHERE article_id NOT IN "
                                          "(SELECT article_id FROM articles)")
        assert stray == 0, table
    (good_mentions,), = query_rows(warehouse, "SELECT count(*) FROM mentions")
    assert good_mentions > 0

    # The next run, failures no longer injected, has nothing to do: quarantined files wait for a change.
    monkeypatch.undo()
    assert cli.main(["run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet"]) == 0
    assert "Nothing new" in capsys.readouterr().out
    assert statuses(warehouse) == found
    (runs,), = query_rows(warehouse, "SELECT count(*) FROM ingest_runs")
    assert runs == 1


POISON_HEADERS = {
    "offset_plus_99.txt": "Kryeministri takon ambasadorin\n2025-10-17 20:51 +99\n\n",
    "offset_utc_plus_24.txt": "Markets rally after the vote\nPublished: October 17, 2025 8:51 PM UTC+24\n\n",
    "offset_plus_2400.txt": "Talks resume in the spring\n2025-10-17T20:51:00+2400\n\n",
}


def test_poison_pill_headers_never_stop_a_batch(tmp_path):
    raw_dir, warehouse = tmp_path / "raw", tmp_path / "warehouse" / "kronika.duckdb"
    for index in range(6):
        (raw_dir / "good").mkdir(parents=True, exist_ok=True)
        (raw_dir / "good" / f"{index}.txt").write_text(article_text(f"Good article {index}", index + 1, BODY_SQ))
    for name, header in POISON_HEADERS.items():
        (raw_dir / "poison").mkdir(parents=True, exist_ok=True)
        (raw_dir / "poison" / name).write_text(header + BODY_EN + f"\n\nFile {name}.")
    command = [KRONIKA, "run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--quiet"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    found = statuses(warehouse)
    assert {found[f"good/{index}.txt"][0] for index in range(6)} == {"ingested"}
    for name in POISON_HEADERS:
        status, reason = found[f"poison/{name}"]
        # Ingested once the header parser reads such offsets, quarantined with the parse error until then.
        assert status == "ingested" or (status == "quarantined" and reason.startswith("parse failed: ")), (name, status, reason)
    second = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    assert second.returncode == 0 and "Nothing new" in second.stdout, second.stderr
