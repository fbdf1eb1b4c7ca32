"""The ingest assets and the sensor against a temporary warehouse: exactly once, incremental, re-extraction."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.defs import assets as ingest_assets
from pipelines.defs.resources import KronikaResource, PolarsParquetIOManager, duckdb_resource_for
from pipelines.defs.sensors import raw_files_sensor
from pipelines.lib.extraction_version import extraction_version
from pipelines.lib.settings import Settings
from pipelines.lib.warehouse import build_path_for, query_rows
from pipelines.lib.warehouse_files import staging_dir

ENGLISH = """Kosovo and Serbia resume talks in Brussels
Published March 2, 2026 10:05 AM
By Jane Doe - Reuters

Albin Kurti and Aleksandar Vučić met in Brussels on Monday. The European Union said the talks were constructive.
Kurti said Kosovo wanted 90 percent of the agreement implemented this year.
"""

ALBANIAN = """Rama takon Erdoganin në Ankara
Publikuar: 17 tetor 2025, 20:51
Nga: Ardian Çela

Kryeministri Edi Rama u takua me presidentin Recep Tayyip Erdoğan në Ankara. Rama tha se tregtia me Turqinë u rrit me 12 për qind.
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Settings:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "talks.txt").write_text(ENGLISH)
    (raw / "ankara.txt").write_text(ALBANIAN)
    return Settings(raw_dir=raw, warehouse_path=tmp_path / "warehouse" / "kronika.duckdb", batch_size=100)


def resources(settings: Settings) -> dict:
    return {
        "kronika": KronikaResource.from_settings(settings),
        "duckdb": duckdb_resource_for(settings),
        "io_manager": PolarsParquetIOManager(base_dir=str(staging_dir(settings.warehouse_path))),
    }


def ingest(settings: Settings, paths: list[str] | None = None) -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        dg.load_assets_from_modules([ingest_assets]),
        resources=resources(settings),
        run_config={"ops": {"raw_files": {"config": {"paths": paths or []}}}},
    )
    assert result.success
    return result


def query(settings: Settings, sql: str) -> list[tuple]:
    return query_rows(settings.warehouse_path, sql)


def tick(settings: Settings, cursor: str | None = None):
    context = dg.build_sensor_context(cursor=cursor, instance=dg.DagsterInstance.ephemeral(),
                                      resources={"kronika": KronikaResource.from_settings(settings)})
    return raw_files_sensor(context), context.cursor


def test_first_ingest_writes_articles_mentions_figures_and_passing_checks(corpus):
    result = ingest(corpus)
    assert query(corpus, "SELECT count(*) FROM articles") == [(2,)]
    assert query(corpus, "SELECT status, count(*) FROM source_files GROUP BY ALL") == [("ingested", 2)]
    names = {row[0] for row in query(corpus, "SELECT DISTINCT e.name FROM mentions JOIN entities e USING (entity_id)")}
    assert {"Albin Kurti", "Edi Rama", "Brussels"} <= names
    units = {row[0] for row in query(corpus, "SELECT DISTINCT unit FROM figures")}
    assert {"percent"} <= units
    # Ids stored before countries took ISO codes still lead to their entity, in plain SQL.
    assert query(corpus, "SELECT e.name FROM entity_id_renames r JOIN entities e USING (entity_id) "
                         "WHERE r.old_entity_id = 'gpe:albania'") == [("Albania",)]
    checks = result.get_asset_check_evaluations()
    assert checks and all(check.passed for check in checks if check.severity == dg.AssetCheckSeverity.ERROR)


def test_sensor_launches_a_batch_after_two_stable_looks_and_nothing_once_ingested(corpus):
    first, cursor = tick(corpus)
    assert isinstance(first, dg.SkipReason)  # the first look only records sizes
    second, cursor = tick(corpus, cursor)
    assert len(second) == 1
    assert sorted(second[0].run_config["ops"]["raw_files"]["config"]["paths"]) == ["ankara.txt", "talks.txt"]
    ingest(corpus, second[0].run_config["ops"]["raw_files"]["config"]["paths"])
    third, cursor = tick(corpus, cursor)
    fourth, _ = tick(corpus, cursor)
    assert isinstance(third, dg.SkipReason) and isinstance(fourth, dg.SkipReason)


def test_sensor_batches_many_new_files_into_a_handful_of_runs(corpus):
    for number in range(250):
        (corpus.raw_dir / f"extra_{number:03d}.txt").write_text(ENGLISH.replace("Brussels", f"Brussels {number}"))
    _, cursor = tick(corpus)
    requests, _ = tick(corpus, cursor)
    assert len(requests) == 3  # 252 files in batches of 100
    assert sum(len(r.run_config["ops"]["raw_files"]["config"]["paths"]) for r in requests) == 252


def test_a_changed_file_replaces_its_article_without_double_counting(corpus):
    ingest(corpus)
    mentions_before = query(corpus, "SELECT count(*) FROM mentions")[0][0]
    (corpus.raw_dir / "talks.txt").write_text(ENGLISH.replace("constructive", "constructive and useful"))
    ingest(corpus)
    assert query(corpus, "SELECT count(*) FROM articles") == [(2,)]
    assert query(corpus, "SELECT count(*) FROM mentions")[0][0] == mentions_before
    statuses = query(corpus, "SELECT status FROM source_files WHERE source_path = 'talks.txt' ORDER BY status")
    assert statuses == [("ingested",), ("superseded",)]
    assert "useful" in query(corpus, "SELECT body FROM articles WHERE source_path = 'talks.txt'")[0][0]


def test_a_copy_under_a_new_name_is_a_duplicate(corpus):
    ingest(corpus)
    (corpus.raw_dir / "talks (copy).txt").write_text(ENGLISH)
    ingest(corpus)
    assert query(corpus, "SELECT count(*) FROM articles") == [(2,)]
    assert query(corpus, "SELECT status, reason FROM source_files WHERE source_path = 'talks (copy).txt'") == [
        ("duplicate", "same content as talks.txt")]


def test_a_deleted_file_keeps_its_article_and_is_marked_missing(corpus):
    ingest(corpus)
    (corpus.raw_dir / "ankara.txt").unlink()
    ingest(corpus)
    assert query(corpus, "SELECT count(*) FROM articles") == [(2,)]
    assert query(corpus, "SELECT missing_since IS NOT NULL FROM source_files WHERE source_path = 'ankara.txt'") == [
        (True,)]


def test_rerunning_with_nothing_new_changes_nothing(corpus):
    ingest(corpus)
    before = query(corpus, "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM mentions), "
                           "(SELECT count(*) FROM figures), (SELECT count(*) FROM source_files)")
    ingest(corpus)
    after = query(corpus, "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM mentions), "
                          "(SELECT count(*) FROM figures), (SELECT count(*) FROM source_files)")
    assert before == after


def test_articles_extracted_by_older_rules_are_re_extracted_from_stored_text(corpus):
    ingest(corpus)
    build = duckdb.connect(str(build_path_for(corpus.warehouse_path)))
    build.execute("UPDATE articles SET extraction_version = 'older-rules'")
    build.execute("DELETE FROM mentions")
    build.close()
    (corpus.raw_dir / "talks.txt").unlink()  # the raw file is not needed to re-extract
    ingest(corpus)
    assert query(corpus, "SELECT DISTINCT extraction_version FROM articles") == [(extraction_version(),)]
    assert query(corpus, "SELECT count(DISTINCT article_id) FROM mentions") == [(2,)]
    assert query(corpus, "SELECT articles_reextracted FROM ingest_runs ORDER BY finished_at DESC LIMIT 1") == [(2,)]


def test_sensor_launches_a_run_for_articles_a_curation_change_marked(corpus, tmp_path, monkeypatch):
    from pipelines.lib import curation

    monkeypatch.setenv("KRONIKA_USER_GAZETTEER", str(tmp_path / "curation" / "gazetteer.tsv"))
    ingest(corpus)
    _, cursor = tick(corpus)
    idle, cursor = tick(corpus, cursor)
    assert isinstance(idle, dg.SkipReason)
    result = curation.merge(tmp_path / "curation" / "gazetteer.tsv", corpus.warehouse_path,
                            "person:albin_kurti", "person:aleksandar_vucic")
    assert result.stale_articles == 1  # only the Brussels article names Kurti
    requests, cursor = tick(corpus, cursor)
    assert len(requests) == 1 and requests[0].tags["kronika/batch_files"] == "0"
    ingest(corpus)  # what the requested run does: no files, the marked article re-extracted
    assert query(corpus, "SELECT articles_reextracted FROM ingest_runs ORDER BY finished_at DESC LIMIT 1") == [(1,)]
    assert query(corpus, "SELECT count(*) FROM mentions WHERE entity_id = 'person:albin_kurti'") == [(0,)]
    after, _ = tick(corpus, cursor)
    assert isinstance(after, dg.SkipReason)


def test_extraction_assets_carry_the_extraction_version_as_code_version(corpus):
    graph = dg.Definitions(assets=dg.load_assets_from_modules([ingest_assets]),
                           resources=resources(corpus)).resolve_asset_graph()
    for name in ("extraction_texts", "article_sentences", "entity_mentions", "article_figures", "articles"):
        assert graph.get(dg.AssetKey(name)).code_version == extraction_version()


def test_one_warehouse_table_alone_is_refused_with_a_message_before_any_work(corpus):
    assets = dg.load_assets_from_modules([ingest_assets])
    result = dg.materialize(
        assets, resources=resources(corpus), raise_on_error=False,
        selection=dg.AssetSelection.assets("mentions").upstream(),
        run_config={"ops": {"raw_files": {"config": {"paths": []}}}},
    )
    assert not result.success
    failures = [event for event in result.all_events if event.is_step_failure]
    assert [event.step_key for event in failures] == ["raw_files"]  # stopped in its first step
    message = failures[0].step_failure_data.user_failure_data.description
    assert "cannot be materialised one at a time (selected: mentions)" in message
    assert "source_files, articles, sentences, mentions" in message
    assert not corpus.warehouse_path.exists()  # nothing was read or written


def test_every_warehouse_table_together_is_still_one_batch(corpus):
    assets = dg.load_assets_from_modules([ingest_assets])
    result = dg.materialize(
        assets, resources=resources(corpus),
        selection=dg.AssetSelection.assets(*ingest_assets.WAREHOUSE_TABLES).upstream(),
        run_config={"ops": {"raw_files": {"config": {"paths": []}}}},
    )
    assert result.success
    assert {event.asset_key.path[-1] for event in result.get_asset_materialization_events()} >= set(
        ingest_assets.WAREHOUSE_TABLES)
    assert query(corpus, "SELECT count(*) FROM articles") == [(2,)]


def test_a_ui_run_splits_a_large_batch_over_worker_processes_and_writes_what_one_process_writes(
        corpus, tmp_path, monkeypatch):
    # The UI's path: the asset graph with the Parquet hand-over, in one run process whose parsed_articles step
    # hands the batch's reading, parsing and extraction to the worker pool (here from 2 files on, one per worker).
    from pipelines.lib import workers
    from tests.defs.test_batches import warehouse_content

    monkeypatch.setattr(workers, "PARALLEL_MIN_FILES", 2)
    contents = {}
    for count in (1, 2):
        settings = Settings(raw_dir=corpus.raw_dir, warehouse_path=tmp_path / f"w{count}" / "kronika.duckdb",
                            batch_size=100, workers=count)
        result = ingest(settings)
        metadata = result.asset_materializations_for_node("parsed_articles")[0].metadata
        assert metadata["read_parsed_and_extracted_in"].value == ("this process" if count == 1
                                                                  else "this process and 1 worker process(es)")
        contents[count] = warehouse_content(build_path_for(settings.warehouse_path))
    assert contents[1]["articles"][0] == 2 and contents[1]["mentions"][0] > 0
    assert contents[2] == contents[1]


def test_a_ui_rerun_of_the_extraction_under_new_rules_does_not_reuse_the_prepared_rows(corpus, monkeypatch):
    # parsed_articles hands over the extraction done with the reading; re-running the steps after it alone (the UI
    # marks them stale after a rule change) loads that hand-over from Parquet, made under the old rules.
    first = ingest(corpus)
    assert first.asset_materializations_for_node("extraction_texts")[0].metadata[
        "extracted_in_this_step"].value == 0  # all prepared with the reading
    monkeypatch.setattr(ingest_assets, "extraction_version", lambda: "new-rules")
    downstream = [dg.AssetKey(name) for name in ("extraction_texts", "article_sentences", "entity_mentions",
                                                 "article_figures", *ingest_assets.WAREHOUSE_TABLES)]
    again = dg.materialize(dg.load_assets_from_modules([ingest_assets]), resources=resources(corpus),
                           selection=downstream)
    assert again.success
    assert again.asset_materializations_for_node("extraction_texts")[0].metadata[
        "extracted_in_this_step"].value == 2
    assert query(corpus, "SELECT DISTINCT extraction_version FROM articles") == [("new-rules",)]
    (mentions,), = query(corpus, "SELECT count(*) FROM mentions")
    assert mentions > 0
