"""End-to-end: the Dagster UI, rendered by a real headless Chromium, shows Kronika's ingest asset graph.

Saves a screenshot of the graph to test-artifacts/ so a reviewer can see what a user sees."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from pipelines.lib.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts"
SCREENSHOT_PATH = ARTIFACTS_DIR / "dagster_asset_graph.png"
SCREENSHOT_SIZE = (1600, 1000)
# The graph only renders nodes inside the viewport; a tall window keeps all of the ingest group on screen.
DOM_WINDOW_SIZE = (1600, 2400)
# Asset names a user must find in the ingest graph: the first stage, the parse, the entities and a table.
EXPECTED_ASSETS = ("raw_files", "parsed_articles", "entity_mentions", "articles")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]
# Virtual time stands still while requests are in flight, so the budget buys render time, not wall time;
# a larger budget on a retry covers a first page load that compiles the UI bundle on a slow machine.
VIRTUAL_TIME_BUDGETS_MS = (15_000, 30_000, 45_000)
CHROMIUM_TIMEOUT_SECONDS = 120


def chromium_binary() -> str:
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if not found:
        pytest.fail(f"Chromium is required for the browser test and was not found at {CHROMIUM} or on PATH: "
                    "install it with `apt-get install -y chromium`.")
    return found


def run_chromium(url: str, window_size: tuple[int, int], budget_ms: int, *extra: str) -> subprocess.CompletedProcess:
    # One throw-away profile per call: no cache, cookies or local storage carry over between attempts.
    with tempfile.TemporaryDirectory(prefix="kronika-chromium-") as profile:
        command = [chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                   f"--window-size={window_size[0]},{window_size[1]}", f"--virtual-time-budget={budget_ms}",
                   *extra, url]
        return subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_SECONDS)


def graph_node_texts(dom: str) -> set[str]:
    """Whole text nodes inside the graph's SVG (nodes are HTML in <foreignObject>), so `articles`
    does not match inside `parsed_articles`."""
    graph_parts = re.findall(r"<foreignObject\b.*?</foreignObject>", dom, flags=re.DOTALL)
    return {text.strip() for part in graph_parts for text in re.findall(r">([^<>]+)<", part)}


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def ingest_graph_url(server) -> str:
    return f"{server.base_url}/locations/{server.location_name}/asset-groups/ingest"


def dismiss_welcome_dialog(server) -> None:
    # On 127.0.0.1 the UI opens a "Join the Dagster community" dialog over the graph until a user dismisses
    # it; the dialog's own Skip button calls this mutation, so the screenshot shows the graph as a user sees it.
    assert server.graphql("mutation { setNuxSeen }")["setNuxSeen"] is True


def test_asset_graph_lists_kronika_assets(dagster_server):
    dismiss_welcome_dialog(dagster_server)
    url = ingest_graph_url(dagster_server)
    attempts = []
    for budget_ms in VIRTUAL_TIME_BUDGETS_MS:
        result = run_chromium(url, DOM_WINDOW_SIZE, budget_ms, "--dump-dom")
        assert result.returncode == 0, f"chromium failed on {url}:\n{result.stderr[-2000:]}"
        names = graph_node_texts(result.stdout)
        attempts.append((budget_ms, len(result.stdout), sorted(names & set(EXPECTED_ASSETS))))
        if set(EXPECTED_ASSETS) <= names:
            break
    else:
        pytest.fail(f"the asset graph at {url} did not show {EXPECTED_ASSETS}; attempts "
                    f"(budget ms, DOM chars, names found): {attempts}")


def test_asset_graph_screenshot_is_saved(dagster_server):
    dismiss_welcome_dialog(dagster_server)
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    SCREENSHOT_PATH.unlink(missing_ok=True)
    result = run_chromium(ingest_graph_url(dagster_server), SCREENSHOT_SIZE, VIRTUAL_TIME_BUDGETS_MS[0],
                          f"--screenshot={SCREENSHOT_PATH}")
    assert result.returncode == 0, f"chromium failed:\n{result.stderr[-2000:]}"
    assert SCREENSHOT_PATH.exists(), f"no screenshot written:\n{result.stderr[-2000:]}"
    assert png_size(SCREENSHOT_PATH) == SCREENSHOT_SIZE
    # A blank or error page compresses to a few kB; the rendered graph with its labels is far larger.
    assert SCREENSHOT_PATH.stat().st_size > 50_000
