"""End-to-end: the real `dagster dev` picks up files dropped into raw/, ingests them and checks the warehouse.

Everything goes through the server a user would see: the sensor launches the runs, GraphQL reports them,
and the published DuckDB snapshot is opened read-only at the end, as an analyst would."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.defs.checks import WAREHOUSE_CHECK_SPECS
from tests.e2e.conftest import WORKSPACE_QUERY

pytestmark = pytest.mark.e2e

# The sensor ticks every 15 s and may want two looks at a file before launching; a run then waits for the
# queue daemon and needs a fresh process that imports Dagster and Polars. On 2 slow cores that adds up.
RUN_DEADLINE_SECONDS = 180
# Long enough for at least one sensor tick (every 15 s) after the last run, with room for a late tick.
QUIET_PERIOD_SECONDS = 35
POLL_SECONDS = 2.0

FINISHED_BAD = {"FAILURE", "CANCELED", "CANCELING"}

ENGLISH_ARTICLE = """\
Kosovo and Serbia agree to resume talks on the energy grid

By Jane Doe - Reuters
Published October 20, 2025

BRUSSELS, Oct 20 (Reuters) - Kosovo and Serbia agreed on Monday to resume talks in Brussels on running \
the electricity grid in the north, the European Union said, after a pause of more than six months.

Officials said the deal could save consumers about 12 million euros a year. NATO peacekeepers will \
keep watching the border crossings while the two sides meet again in November.
"""

ALBANIAN_ARTICLE = """\
Qeveria miraton buxhetin për vitin 2026

Publikuar: 17 tetor 2025, 20:51

Qeveria e Shqipërisë miratoi të premten projektbuxhetin për vitin 2026, me shpenzime prej rreth 8 \
miliardë eurosh. Ministria e Financave tha se rritja ekonomike pritet të jetë 3,5 për qind.

Sipas qeverisë, pjesa më e madhe e investimeve do të shkojë në Tiranë dhe në rrugët drejt Kosovës, \
ndërsa Bashkimi Evropian do të financojë dy projekte për energjinë.
"""

THIRD_ARTICLE = """\
NATO allies back higher defence spending in Albania and North Macedonia

By John Roe - Associated Press
Published November 3, 2025

THE HAGUE, Nov 3 (AP) - NATO allies on Monday welcomed plans by Albania and North Macedonia to raise \
defence spending to 2.5 percent of output by 2027, officials said.

Germany and Italy said they would help train engineers, and the European Union offered 40 million euros \
for new roads that troops could use.
"""

RUNS_QUERY = """
query IngestRuns {
  runsOrError(filter: {pipelineName: "ingest"}) {
    __typename
    ... on Runs { results { runId status startTime endTime tags { key value } } }
    ... on PythonError { message }
  }
}
"""

RUN_ERRORS_QUERY = """
query RunErrors($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message }
        ... on ExecutionStepFailureEvent { error { message } }
        ... on EngineEvent { error { message } }
      }
    }
  }
}
"""

CHECK_EXECUTIONS_QUERY = """
query CheckExecutions($assetKey: AssetKeyInput!, $checkName: String!) {
  assetCheckExecutions(assetKey: $assetKey, checkName: $checkName, limit: 10) {
    runId
    status
    evaluation { success severity }
  }
}
"""

SENSOR_TICKS_QUERY = """
query SensorTicks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor {
      sensorState {
        status
        ticks(limit: 20) { status timestamp skipReason runIds error { message } }
      }
    }
  }
}
"""


def drop_article(raw_dir: Path, name: str, text: str) -> None:
    """Write beside raw/, then rename into it, so the sensor never sees half a file."""
    staging = raw_dir.parent / f".{name}.partial"
    staging.write_text(text, encoding="utf-8")
    os.replace(staging, raw_dir / name)


def ingest_runs(server) -> list[dict]:
    """Ingest runs, oldest first."""
    result = server.graphql(RUNS_QUERY)["runsOrError"]
    assert result["__typename"] == "Runs", result
    return sorted(result["results"], key=lambda run: run["startTime"] or float("inf"))


def run_errors(server, run_id: str) -> str:
    events = server.graphql(RUN_ERRORS_QUERY, {"runId": run_id})["logsForRun"].get("events", [])
    messages = [event["error"]["message"] for event in events if event.get("error")]
    return "\n".join(messages) or "(no error events)"


def sensor_ticks(server) -> list[dict]:
    selector = {**server.repository_selector(), "sensorName": "raw_files_sensor"}
    sensor = server.graphql(SENSOR_TICKS_QUERY, {"selector": selector})["sensorOrError"]
    assert sensor["__typename"] == "Sensor", sensor
    return sensor["sensorState"]["ticks"]


def wait_for_successful_runs(server, count: int, deadline_seconds: float = RUN_DEADLINE_SECONDS) -> list[dict]:
    """Poll until `count` ingest runs have succeeded; fail at once, with the run's errors, if one fails."""
    deadline = time.monotonic() + deadline_seconds
    runs: list[dict] = []
    while time.monotonic() < deadline:
        runs = ingest_runs(server)
        failed = [run for run in runs if run["status"] in FINISHED_BAD]
        if failed:
            pytest.fail(f"ingest run {failed[0]['runId']} ended {failed[0]['status']}:\n"
                        f"{run_errors(server, failed[0]['runId'])}")
        succeeded = [run for run in runs if run["status"] == "SUCCESS"]
        if len(succeeded) >= count:
            return succeeded
        time.sleep(POLL_SECONDS)
    pytest.fail(f"expected {count} successful ingest run(s) within {deadline_seconds:.0f} s; runs: "
                f"{[(run['runId'], run['status']) for run in runs]}; sensor ticks: "
                f"{[(tick['status'], tick['skipReason'], tick['error']) for tick in sensor_ticks(server)[:5]]}\n"
                f"{server.log_tail()}")


def check_results_of_run(server, run_id: str) -> dict[str, dict]:
    """Every warehouse check's execution in this run, by check name."""
    results = {}
    for spec in WAREHOUSE_CHECK_SPECS:
        executions = server.graphql(CHECK_EXECUTIONS_QUERY, {
            "assetKey": {"path": list(spec.asset_key.path)}, "checkName": spec.name})["assetCheckExecutions"]
        in_run = [execution for execution in executions if execution["runId"] == run_id]
        results[spec.name] = in_run[0] if in_run else None
    return results


def assert_checks_passed(server, run_id: str) -> None:
    results = check_results_of_run(server, run_id)
    not_passed = {name: execution for name, execution in results.items()
                  if execution is None or execution["status"] != "SUCCEEDED" or not execution["evaluation"]["success"]}
    assert not not_passed, f"asset checks that did not pass in run {run_id}: {not_passed}"


def published_counts(warehouse_path: Path) -> tuple[int, list[str]]:
    """Article count and ingested source paths, read from the published snapshot like any reader."""
    connection = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        articles = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
        paths = [row[0] for row in connection.execute(
            "SELECT source_path FROM source_files WHERE status = 'ingested' ORDER BY source_path").fetchall()]
    finally:
        connection.close()
    return articles, paths


def test_code_location_is_named_after_the_project(dagster_server):
    """The UI names the location `kronika` (pyproject's name), not after the module `pipelines.definitions`."""
    workspace = dagster_server.graphql(WORKSPACE_QUERY)["workspaceOrError"]
    names = [entry["name"] for entry in workspace["locationEntries"]]
    assert names == ["kronika"], names
    assert dagster_server.location_name == "kronika"


def test_kronika_ui_starts_without_a_deprecation_warning(dagster_server):
    """`kronika ui` starts `dg dev`; the superseded `dagster dev` would warn "Use 'dg dev' instead"."""
    output = dagster_server.log_path.read_text(errors="replace")
    assert "Serving dagster-webserver" in output, output[-2000:]
    lowered = output.lower()
    assert "deprecat" not in lowered and "superseded" not in lowered, output[-2000:]


def test_sensor_ingests_dropped_files_and_stays_quiet_without_changes(dagster_server):
    server = dagster_server
    assert ingest_runs(server) == [], "the temporary instance should start without ingest runs"

    drop_article(server.raw_dir, "en_kosovo_serbia_grid.txt", ENGLISH_ARTICLE)
    drop_article(server.raw_dir, "sq_buxheti_2026.txt", ALBANIAN_ARTICLE)
    first = wait_for_successful_runs(server, count=1)[0]
    assert_checks_passed(server, first["runId"])
    assert published_counts(server.warehouse_path) == (2, ["en_kosovo_serbia_grid.txt", "sq_buxheti_2026.txt"])

    drop_article(server.raw_dir, "en_nato_spending.txt", THIRD_ARTICLE)
    succeeded = wait_for_successful_runs(server, count=2)
    second = succeeded[-1]
    assert second["runId"] != first["runId"]
    assert_checks_passed(server, second["runId"])
    articles, paths = published_counts(server.warehouse_path)
    assert articles == 3
    assert paths == ["en_kosovo_serbia_grid.txt", "en_nato_spending.txt", "sq_buxheti_2026.txt"]

    # Nothing changes now: the sensor keeps ticking but must not launch another run.
    quiet_since = time.time()
    time.sleep(QUIET_PERIOD_SECONDS)
    assert [run["runId"] for run in ingest_runs(server)] == [run["runId"] for run in succeeded]
    later_ticks = [tick for tick in sensor_ticks(server) if tick["timestamp"] > quiet_since]
    assert later_ticks, f"the sensor did not tick in {QUIET_PERIOD_SECONDS} s"
    assert all(tick["status"] == "SKIPPED" and not tick["runIds"] for tick in later_ticks), later_ticks


CATALOG_QUERY = """
query Catalog {
  assetNodes {
    assetKey { path }
    assetMaterializations(limit: 1) {
      runId
      metadataEntries { label __typename }
    }
  }
}
"""


def test_a_kronika_run_is_recorded_in_the_catalog_the_ui_shows(dagster_server, tmp_path):
    """`kronika run` given the UI's DAGSTER_HOME records its runs there: the catalog then shows a materialisation,
    with its column schema, for every warehouse table and report table. Its own raw/ and warehouse, so the
    server's sensor (watching the server's raw/) has nothing to do with it."""
    import subprocess
    import sys

    from pipelines.defs.assets import WAREHOUSE_TABLES
    from pipelines.lib.reports import list_reports

    raw = tmp_path / "raw"
    raw.mkdir()
    drop_article(raw, "en_kosovo_serbia_grid.txt", ENGLISH_ARTICLE)
    drop_article(raw, "sq_buxheti_2026.txt", ALBANIAN_ARTICLE)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KRONIKA_")}
    environment["DAGSTER_HOME"] = str(dagster_server.dagster_home)
    finished = subprocess.run([str(Path(sys.executable).parent / "kronika"), "run", "--raw", str(raw), "--warehouse",
                               str(tmp_path / "warehouse" / "kronika.duckdb"), "--quiet"],
                              env=environment, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr

    runs = dagster_server.graphql("{ runsOrError { ... on Runs { results { runId status pipelineName } } } }")
    # `kronika run`'s runs are in-process materialisations; the UI's automation may add its own report refresh
    # (`__ASSET_JOB`) in reaction to them, which is not counted here.
    cli_runs = {run["runId"]: run for run in runs["runsOrError"]["results"]
                if run["pipelineName"] == "__ephemeral_asset_job__"}
    assert len(cli_runs) == 2 and {run["status"] for run in cli_runs.values()} == {"SUCCESS"}  # a batch, the reports
    nodes = {"/".join(node["assetKey"]["path"]): node for node in dagster_server.graphql(CATALOG_QUERY)["assetNodes"]}
    report_tables = [report.materialize_as for report in list_reports() if report.materialize_as]
    succeeded = {run["runId"] for run in runs["runsOrError"]["results"] if run["status"] == "SUCCESS"}
    for table in WAREHOUSE_TABLES:
        materializations = nodes[table]["assetMaterializations"]
        assert materializations and materializations[0]["runId"] in cli_runs, table
    for table in (*report_tables, "report_html", "published_reports"):  # by the CLI, or the automation after it
        materializations = nodes[table]["assetMaterializations"]
        assert materializations and materializations[0]["runId"] in succeeded, table
    for table in WAREHOUSE_TABLES:
        labels = {entry["label"] for entry in nodes[table]["assetMaterializations"][0]["metadataEntries"]}
        assert {"dagster/column_schema", "dagster/row_count"} <= labels, table


def test_kronika_run_records_nothing_with_no_record(dagster_server, tmp_path):
    import subprocess
    import sys

    before = dagster_server.graphql("{ runsOrError { ... on Runs { results { runId } } } }")
    raw = tmp_path / "raw"
    raw.mkdir()
    drop_article(raw, "en_nato_spending.txt", THIRD_ARTICLE)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KRONIKA_")}
    environment["DAGSTER_HOME"] = str(dagster_server.dagster_home)
    finished = subprocess.run([str(Path(sys.executable).parent / "kronika"), "run", "--no-record", "--raw", str(raw),
                               "--warehouse", str(tmp_path / "warehouse" / "kronika.duckdb"), "--quiet"],
                              env=environment, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert "Ingested 1 file" in finished.stdout
    after = dagster_server.graphql("{ runsOrError { ... on Runs { results { runId } } } }")
    assert after == before
