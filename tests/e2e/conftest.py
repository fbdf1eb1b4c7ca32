"""Shared fixtures for the end-to-end tests: one real `dagster dev` per session, on a free port.

The server runs `kronika ui` with a temporary DAGSTER_HOME, raw/ and warehouse, in its own process group,
and is always stopped (SIGTERM to the group, then SIGKILL) when the session ends."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.cli import DAGSTER_YAML
from pipelines.lib.settings import PROJECT_ROOT
from pipelines.tooling.ner_markup import SHARED_NER

# A 2-core CI machine needs 20–40 s to import Dagster, start the webserver, the daemon and the code server.
SERVER_START_SECONDS = 120
SERVER_STOP_SECONDS = 20
LOG_TAIL_CHARS = 4000

WORKSPACE_QUERY = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name } }
          ... on PythonError { message }
        }
      }
    }
  }
}
"""


# The README's first command on a bare machine: a new venv, every locked wheel installed (from pip's cache
# when warm: about 2 minutes on 2 cores; more when it downloads), the sample corpus ingested.
FRESH_INSTALL_SECONDS = 1500


def copy_checkout(destination: Path) -> None:
    """The files a fresh clone would have (tracked, plus new files not ignored), without venvs or warehouses."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=PROJECT_ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for relative in filter(None, listed):
        source = PROJECT_ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def clean_environment(home: Path | None = None) -> dict[str, str]:
    """The environment of a new shell: no venv activated, Kronika's settings at their defaults."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("KRONIKA_") and key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    environment["PATH"] = os.pathsep.join(part for part in environment.get("PATH", "").split(os.pathsep)
                                          if Path(sys.executable).parent.as_posix() != part)
    if home is not None:
        environment["HOME"] = str(home)
    return environment


@pytest.fixture(scope="session")
def fresh_checkout(tmp_path_factory) -> Path:
    """A copy of the checkout after the README's first command, `python3 dev.py run`, on the base Python."""
    checkout = tmp_path_factory.mktemp("fresh_checkout")
    copy_checkout(checkout)
    # A clone sits beside shared/ (the NER sets `kronika eval` scores), as on CI and the developers' machines.
    beside = checkout.parent / "shared"
    if SHARED_NER.is_dir() and not beside.exists():
        beside.symlink_to(SHARED_NER.parent, target_is_directory=True)
    base_python = getattr(sys, "_base_executable", None) or shutil.which("python3")
    result = subprocess.run([base_python, "dev.py", "run"], cwd=checkout, capture_output=True, text=True,
                            env=clean_environment(), timeout=FRESH_INSTALL_SECONDS)
    assert result.returncode == 0, (f"`python3 dev.py run` failed in a fresh checkout:\n"
                                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return checkout


@pytest.fixture
def fresh_environment():
    """`fresh_environment(home=None)`: the environment of a new shell, for commands run in the fresh checkout."""
    return clean_environment


@dataclass
class DagsterServer:
    """A running `dagster dev` and the paths it reads and writes."""

    process: subprocess.Popen
    port: int
    raw_dir: Path
    warehouse_path: Path
    dagster_home: Path
    log_path: Path
    location_name: str = ""
    repository_name: str = ""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-LOG_TAIL_CHARS:]

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 30.0) -> dict:
        """POST a GraphQL query; raises with the server's errors so a failing test says what went wrong."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"{self.base_url}/graphql", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                payload = json.loads(response.read())
        except urllib.error.URLError as error:
            if self.process.poll() is not None:
                raise AssertionError(f"dagster dev exited with code {self.process.returncode}:\n"
                                     f"{self.log_tail()}") from error
            raise
        if payload.get("errors"):
            raise AssertionError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def repository_selector(self) -> dict:
        return {"repositoryLocationName": self.location_name, "repositoryName": self.repository_name}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _loaded_location(server: DagsterServer) -> tuple[str, str] | None:
    """(location, repository) once the code location has loaded; None while it is still loading."""
    try:
        workspace = server.graphql(WORKSPACE_QUERY, timeout=10)["workspaceOrError"]
    except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
        return None
    for entry in workspace.get("locationEntries", []):
        location = entry["locationOrLoadError"]
        if location and location["__typename"] == "PythonError":
            raise AssertionError(f"the code location {entry['name']} failed to load:\n{location['message']}")
        if location and location["__typename"] == "RepositoryLocation" and entry["loadStatus"] == "LOADED":
            return location["name"], location["repositories"][0]["name"]
    return None


def wait_until_ready(server: DagsterServer, deadline_seconds: float = SERVER_START_SECONDS) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"dagster dev exited with code {server.process.returncode}:\n{server.log_tail()}")
        loaded = _loaded_location(server)
        if loaded:
            server.location_name, server.repository_name = loaded
            return
        time.sleep(1.0)
    raise AssertionError(f"dagster dev did not answer on {server.base_url}/graphql within "
                         f"{deadline_seconds:.0f} s:\n{server.log_tail()}")


def stop_process_group(process: subprocess.Popen, timeout: float = SERVER_STOP_SECONDS) -> None:
    """SIGTERM the whole group (webserver, daemon, code server, run workers), SIGKILL what is left."""
    group = os.getpgid(process.pid)
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    try:
        # Children may outlive the leader for a moment; the group id still names them.
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=timeout)


def start_dagster_dev(base: Path) -> DagsterServer:
    """Start `kronika ui` (which execs `dg dev`) on a free port over empty temporary folders."""
    dagster_home, raw_dir, warehouse_dir = base / "dagster_home", base / "raw", base / "warehouse"
    for folder in (dagster_home, raw_dir, warehouse_dir):
        folder.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text(DAGSTER_YAML)
    warehouse_path = warehouse_dir / "kronika.duckdb"
    port = free_port()
    environment = {**os.environ, "DAGSTER_HOME": str(dagster_home), "KRONIKA_RAW_DIR": str(raw_dir),
                   "KRONIKA_WAREHOUSE": str(warehouse_path), "PYTHONUNBUFFERED": "1",
                   "DAGSTER_DISABLE_TELEMETRY": "1"}
    log_path = base / "dagster_dev.log"
    command = [sys.executable, "-m", "pipelines.cli", "ui", "--host", "127.0.0.1", "--port", str(port),
               "--raw", str(raw_dir), "--warehouse", str(warehouse_path)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    return DagsterServer(process=process, port=port, raw_dir=raw_dir, warehouse_path=warehouse_path,
                         dagster_home=dagster_home, log_path=log_path)


@pytest.fixture(scope="session")
def dagster_server(tmp_path_factory: pytest.TempPathFactory):
    """One `dagster dev` for the whole session; its raw/ starts empty and only the ingest test writes to it."""
    server = start_dagster_dev(tmp_path_factory.mktemp("dagster_dev"))
    try:
        wait_until_ready(server)
        yield server
    finally:
        stop_process_group(server.process)


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the DuckLake catalog, as an unprivileged user; stopped by PID at the end.

    Its folder is outside pytest's temporary tree on purpose: every pytest session starting on the machine resets
    /tmp/pytest-of-<user> to mode 0700, which locks `nobody` out of the socket of a server another session runs
    (seen when two suites ran at once: 'createdb: ... socket ... Permission denied')."""
    import tempfile

    from tests.e2e.postgres_server import start_postgres
    root = Path(tempfile.mkdtemp(prefix="kronika-postgres-"))
    try:
        server = start_postgres(root / "server")
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
