"""Streaming batches: `run_pipeline` over several bounded batches writes the same warehouse as one batch, whether
they are read, parsed and extracted in the writer's process or in worker processes.

The run is the engine function `kronika run` calls (in-process Dagster, one transaction per batch)."""

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.defs.oneshot import run_pipeline
from pipelines.lib import warehouse_files
from pipelines.lib import workers as workers_module
from pipelines.lib.settings import Settings
from pipelines.tooling.synthetic import generate_corpus

ARTICLES = 230
SMALL_BATCH = 50   # five batches, the last one partial
# What differs between two runs by design: when and by which run a row was written, and how many runs there were.
RUN_BOOKKEEPING_TABLES = {"ingest_runs", "report_refreshes"}
RUN_BOOKKEEPING_COLUMNS = {"run_id"}


def warehouse_content(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the sorted rows of every table, without timestamps and run ids."""
    connection = duckdb.connect(str(path), read_only=True)
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        content = {}
        for table in tables:
            if table in RUN_BOOKKEEPING_TABLES:
                continue
            columns = [name for name, data_type in connection.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall()
                if not data_type.startswith("TIMESTAMP") and name not in RUN_BOOKKEEPING_COLUMNS]
            selected = ", ".join(f'"{name}"' for name in columns)
            content[table] = connection.execute(
                f'SELECT count(*), coalesce(md5(string_agg(t::VARCHAR, chr(10) ORDER BY t::VARCHAR)), \'\') '
                f'FROM (SELECT {selected} FROM "{table}") t').fetchone()
        return content
    finally:
        connection.close()


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("batches") / "raw"
    generate_corpus(raw, ARTICLES, seed=21, words=120)
    return raw


@pytest.fixture(scope="module")
def one_batch(raw_dir, tmp_path_factory) -> dict[str, tuple[int, str]]:
    """The warehouse of the corpus written in one batch, in one process."""
    one = Settings(raw_dir=raw_dir, warehouse_path=tmp_path_factory.mktemp("one") / "kronika.duckdb",
                   batch_size=10_000, workers=1)
    summary = run_pipeline(one, show_progress=False)
    assert summary.batches == 1 and summary.files_ingested == ARTICLES
    content = warehouse_content(one.warehouse_path)
    assert content["articles"][0] == ARTICLES
    assert content["mentions"][0] > 0 and content["figures"][0] > 0
    return content


@pytest.mark.parametrize("workers", [1, 2], ids=["one process", "two worker processes"])
def test_a_run_in_several_batches_writes_the_same_warehouse_as_one_batch(raw_dir, one_batch, tmp_path, workers):
    several = Settings(raw_dir=raw_dir, warehouse_path=tmp_path / "several" / "kronika.duckdb",
                       batch_size=SMALL_BATCH, workers=workers)

    several_summary = run_pipeline(several, show_progress=False)

    assert several_summary.batches == -(-ARTICLES // SMALL_BATCH)
    assert several_summary.files_ingested == ARTICLES
    assert several_summary.batches_in_workers == (several_summary.batches if workers > 1 else 0)
    assert warehouse_content(several.warehouse_path) == one_batch
    (runs,), = duckdb.connect(str(several.warehouse_path), read_only=True).execute(
        "SELECT count(*) FROM ingest_runs").fetchone(),
    assert runs == several_summary.batches  # one transaction per batch
    # The prepared batches were handed over and removed.
    assert not any(warehouse_files.workers_dir(several.warehouse_path).glob("*"))


def test_one_batch_split_over_worker_processes_writes_what_one_process_writes(raw_dir, tmp_path, monkeypatch):
    # The parsed_articles asset splits a large batch over the workers (as in the UI). Across the parts: the same
    # bytes under two paths (one is a duplicate of the other, whichever part read it) and a file that cannot be
    # decoded (quarantined in its worker with its reason).
    raw = tmp_path / "raw"
    shutil.copytree(raw_dir, raw)
    first = sorted(raw.rglob("*.txt"))[0]
    (raw / "zz").mkdir()
    shutil.copy(first, raw / "zz" / "copy.txt")
    (raw / "zz" / "broken.txt").write_bytes(b"\x00\x01binary\xff" * 50)
    monkeypatch.setattr(workers_module, "PARALLEL_MIN_FILES", 10)
    contents, summaries = [], []
    for workers in (1, 2):
        settings = Settings(raw_dir=raw, warehouse_path=tmp_path / f"w{workers}" / "kronika.duckdb",
                            batch_size=10_000, workers=workers)
        summaries.append(run_pipeline(settings, show_progress=False))
        contents.append(warehouse_content(settings.warehouse_path))
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
            assert connection.execute("SELECT status FROM source_files WHERE source_path = 'zz/broken.txt'"
                                      ).fetchall() == [("quarantined",)]
            assert connection.execute("SELECT status, reason FROM source_files WHERE source_path = 'zz/copy.txt'"
                                      ).fetchall() == [("duplicate", f"same content as {first.relative_to(raw)}")]
    assert summaries[0].batches == summaries[1].batches == 1
    assert (summaries[0].batches_in_workers, summaries[1].batches_in_workers) == (0, 1)
    assert summaries[1].files_ingested == ARTICLES and summaries[1].files_duplicate == 1
    assert contents[1] == contents[0]


def test_a_candidates_name_and_type_come_from_all_its_stored_mentions_whatever_the_batches():
    # The candidate is typed ORG in the first batch and PERSON, twice, in the second: the whole corpus says PERSON
    # (and 'Zelvan Drovnici' is its commonest spelling), as one batch of both would have said.
    import polars as pl

    from pipelines.lib import warehouse
    from pipelines.lib.extract import entity_rows
    from pipelines.lib.gazetteer import load_gazetteer

    gazetteer = load_gazetteer()

    def mentions(article_id: str, spellings: list[tuple[str, str]]) -> pl.DataFrame:
        return pl.DataFrame({
            "article_id": [article_id] * len(spellings), "entity_id": ["cand:zelvan_drovnic"] * len(spellings),
            "surface": [surface for surface, _ in spellings], "field": ["body"] * len(spellings),
            "sentence_index": list(range(len(spellings))), "paragraph_index": [0] * len(spellings),
            "char_start": [index * 40 for index in range(len(spellings))],
            "char_end": [index * 40 + len(surface) for index, (surface, _) in enumerate(spellings)],
            "match_rule": ["candidate"] * len(spellings), "linked": [False] * len(spellings),
            "candidate_type": [entity_type for _, entity_type in spellings]})

    def write(connection, batch: pl.DataFrame) -> None:
        for article_id in batch["article_id"].unique().to_list():
            part = batch.filter(pl.col("article_id") == article_id)
            warehouse.replace_extraction(connection, [article_id], pl.DataFrame(), part, pl.DataFrame(), pl.DataFrame())
        warehouse.replace_entities(connection, entity_rows(batch, gazetteer))

    first = mentions("a1", [("Zelvan Drovnic", "ORG")])
    second = mentions("a2", [("Zelvan Drovnici", "PERSON"), ("Zelvan Drovnici", "PERSON")])
    chosen = []
    for batches in ([first, second], [pl.concat([first, second])]):
        with duckdb.connect() as connection:
            warehouse.ensure_schema(connection)
            for batch in batches:
                write(connection, batch)
            chosen.append(connection.execute(
                "SELECT name, entity_type FROM entities WHERE entity_id = 'cand:zelvan_drovnic'").fetchall())
    assert chosen[0] == chosen[1] == [("Zelvan Drovnici", "PERSON")]
