"""The static HTML report in real headless Chromium: it renders offline, has its three charts and no console error.

The screenshot is kept under test-artifacts/ (git-ignored) to look at."""

from __future__ import annotations

import importlib.util
import shutil
import struct
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.charts import write_html_report
from pipelines.lib.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is not installed: run `apt-get install -y chromium` (Debian) and try again")
    return found


def fixture_warehouse(path: Path) -> Path:
    spec = importlib.util.spec_from_file_location("report_tests", PROJECT_ROOT / "tests" / "lib" / "test_reports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_materialised_warehouse(path)


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("html")
    connection = duckdb.connect(str(fixture_warehouse(folder / "kronika.duckdb")), read_only=True)
    try:
        return write_html_report(connection, folder / "report.html")
    finally:
        connection.close()


def run_chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


def test_the_report_has_no_external_url(report_page):
    html = report_page.read_text()
    assert "http" not in html and "src=" not in html and "@import" not in html


def test_chromium_renders_the_three_charts_without_console_errors(report_page, tmp_path):
    completed = run_chromium(report_page, tmp_path / "profile", "--dump-dom", "--enable-logging=stderr", "--v=0")
    assert completed.returncode == 0, completed.stderr[-2000:]
    dom = completed.stdout
    for chart in ("chart-mentions", "chart-network", "chart-heatmap"):
        assert f'id="{chart}"' in dom, chart
    assert dom.count("<circle") >= 4 and "<polyline" in dom
    console_errors = [line for line in completed.stderr.splitlines() if "CONSOLE" in line and "ERROR" in line.upper()]
    assert not console_errors, console_errors


def test_chromium_screenshot_is_a_real_picture(report_page, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "report_html.png"
    screenshot.unlink(missing_ok=True)
    completed = run_chromium(report_page, tmp_path / "profile", f"--screenshot={screenshot}",
                             "--window-size=1400,2000", "--hide-scrollbars")
    assert completed.returncode == 0 and screenshot.exists(), completed.stderr[-2000:]
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1400, 2000)
    # A blank page compresses to a few kilobytes; three charts and tables do not.
    assert len(png) > 60_000, len(png)
