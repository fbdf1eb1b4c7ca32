"""The HTML report in real headless Chromium over the DevTools protocol: it renders offline (no network request,
no console error), its Vega marks are drawn, a hover shows a tooltip (dates as real calendar dates), a legend click
filters, the wheel zooms a time axis, and a screenshot of a chart has pixels. The screenshots are kept under
test-artifacts/ (git-ignored)."""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import itertools
import json
import re
import shutil
import struct
import subprocess
import time
import zlib
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest
from websockets.sync.client import connect

from pipelines.lib.report_html import write_html_report
from pipelines.lib.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1400,1000"]
CHARTS = ("chart-top-entities", "chart-mentions", "chart-entity", "chart-figures", "chart-matrix")
# A reader west of UTC: a calendar day formatted in the browser's zone would show the evening before.
READER_TIMEZONE = "America/Los_Angeles"
# The fixture's weeks (Europe/Tirane calendar): articles from 2025-10-06 to 2025-11-10, each week starting Monday.
FIXTURE_WEEKS = [date(2025, 10, 6) + timedelta(weeks=week) for week in range(6)]
DATE = re.compile(r"\b\d\d [A-Z][a-z]{2} \d{4}\b")   # the report's "%d %b %Y"
TOOLTIP = ("(() => {const t = document.getElementById('vg-tooltip-element'); "
           "return t && t.classList.contains('visible') ? t.innerText : null;})()")


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


class DevTools:
    """One page of a headless Chromium, driven over its DevTools websocket; every event is kept."""

    def __init__(self, profile: Path):
        self.process = subprocess.Popen([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        browser_url = None
        for line in self.process.stderr:
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                browser_url = found.group(1)
                break
        assert browser_url, "Chromium did not print its DevTools address"
        self.exits = contextlib.ExitStack()
        self.socket = self.exits.enter_context(connect(browser_url, max_size=None, open_timeout=30))
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        self.session = None
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method: str, **params) -> dict:
        message_id = next(self.ids)
        message = {"id": message_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv(timeout=60))
            if reply.get("id") == message_id:
                assert "error" not in reply, (method, reply["error"])
                return reply.get("result", {})
            self.events.append(reply)

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {expression}")

    def mouse(self, kind: str, x: float, y: float, **extra) -> None:
        self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)

    def close(self) -> None:
        self.exits.close()
        self.process.terminate()
        self.process.wait(timeout=30)


FIXTURE_TOP_MENTIONS: dict[str, int] = {}


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("html")
    connection = duckdb.connect(str(fixture_warehouse(folder / "kronika.duckdb")), read_only=True)
    try:
        FIXTURE_TOP_MENTIONS.update(connection.sql("SELECT name, count(*) FROM mentions JOIN entities USING "
                                                   "(entity_id) WHERE linked GROUP BY name").fetchall())
        report = write_html_report(connection, folder / "kronika.files" / "report.html")
    finally:
        connection.close()
    tools = DevTools(folder / "profile")
    try:
        tools.send("Emulation.setTimezoneOverride", timezoneId=READER_TIMEZONE)
        tools.send("Page.navigate", url=report.as_uri())
        tools.wait_for("document.querySelectorAll('[data-rendered=yes]').length === %d" % len(CHARTS))
        ARTIFACTS.mkdir(exist_ok=True)   # the page as a reader first sees it, before any test hovers or zooms
        (ARTIFACTS / "report_html.png").write_bytes(base64.b64decode(tools.send(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]))
        yield tools
    finally:
        tools.close()


def centre_of(tools: DevTools, selector: str) -> tuple[float, float]:
    box = tools.evaluate(f"(() => {{const e = document.querySelector({json.dumps(selector)}); "
                         "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); "
                         "return [r.x + r.width / 2, r.y + r.height / 2];})()")
    return box[0], box[1]


def test_no_network_request_and_no_console_error(page):
    requests = [event["params"]["request"]["url"] for event in page.events
                if event.get("method") == "Network.requestWillBeSent"]
    assert requests and all(url.startswith("file://") for url in requests), requests   # the page itself only
    assert len(requests) == 1, requests
    errors = [event for event in page.events
              if event.get("method") in ("Runtime.exceptionThrown",)
              or (event.get("method") == "Runtime.consoleAPICalled" and event["params"]["type"] in ("error", "assert"))
              or (event.get("method") == "Log.entryAdded" and event["params"]["entry"]["level"] == "error")]
    assert not errors, errors


def test_every_view_draws_vega_marks(page):
    marks = page.evaluate("Object.fromEntries(%s.map(id => [id, document.querySelectorAll("
                          "'#' + id + ' svg .role-mark path, #' + id + ' svg .role-mark line').length]))"
                          % json.dumps(list(CHARTS)))
    assert all(count > 0 for count in marks.values()), marks
    # The tiles say what they count: 4 articles, 4 linked entities mentioned (the fixture's gazetteer is larger).
    tiles = page.evaluate("document.getElementById('tiles').innerText")
    assert "4\narticles" in tiles and "linked entities mentioned" in tiles and "2025-10-06 to 2025-11-10" in tiles
    # Week 2025-W43 has no article: the zero-filled series has a point there, at y = 0.
    assert page.evaluate("document.querySelectorAll('#chart-mentions svg .mark-symbol path').length") >= 6 * 2
    # The time axis labels each week start once, as a date ("06 Oct 2025"), in the data's calendar.
    labels = time_axis_labels(page, "chart-mentions")
    assert [shown_dates(label)[0] for label in labels] == FIXTURE_WEEKS, labels
    # The legend lists the entities by their mentions, most first; the matrix has a row for each top entity,
    # also for one never seen with another (O'Brien).
    by_mentions = sorted(FIXTURE_TOP_MENTIONS, key=lambda name: (-FIXTURE_TOP_MENTIONS[name], name))
    legend = page.evaluate("Array.from(document.querySelectorAll('#chart-mentions svg .role-legend-label text'))"
                           ".map(t => t.textContent)")
    assert legend == by_mentions, legend
    rows = page.evaluate("Array.from(document.querySelectorAll('#chart-matrix svg .role-axis-label text'))"
                         ".map(t => t.textContent)")
    assert sorted(set(rows)) == sorted(FIXTURE_TOP_MENTIONS), rows


def test_hover_shows_a_tooltip_with_the_value(page):
    x, y = centre_of(page, "#chart-top-entities svg .mark-rect path")
    page.mouse("mouseMoved", x, y)
    text = page.wait_for("(() => {const t = document.getElementById('vg-tooltip-element'); "
                         "return t && t.classList.contains('visible') && t.innerText;})()", timeout=10)
    shown = dict(re.findall(r"^(\w+)\s+(.+?)\s*$", text, flags=re.M))
    # The values are the fixture warehouse's: the hovered bar's name and its mentions, as the sql/ file counts.
    assert shown.get("name") in FIXTURE_TOP_MENTIONS, text
    assert int(shown["mentions"]) == FIXTURE_TOP_MENTIONS[shown["name"]], text


def hover_every_mark(tools: DevTools, chart: str) -> list[str]:
    """The tooltip of every point, bar and cell of a chart, each read after the previous one was hidden."""
    marks = f"#{chart} svg .role-mark.mark-symbol path, #{chart} svg .role-mark.mark-rect path"
    texts = []
    for index in range(tools.evaluate(f"document.querySelectorAll({json.dumps(marks)}).length")):
        tools.mouse("mouseMoved", 1, 1)   # off every chart: the tooltip hides
        tools.wait_for(f"{TOOLTIP} === null", timeout=10)
        x, y = tools.evaluate(f"(() => {{const e = document.querySelectorAll({json.dumps(marks)})[{index}]; "
                              "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); "
                              "return [r.x + r.width / 2, r.y + r.height / 2];})()")
        tools.mouse("mouseMoved", x, y)
        texts.append(tools.wait_for(TOOLTIP, timeout=10))
    return texts


def shown_dates(text: str) -> list[date]:
    return [datetime.strptime(found, "%d %b %Y").date() for found in DATE.findall(text)]


def test_a_time_chart_tooltip_shows_the_week_it_counts(page):
    texts = hover_every_mark(page, "chart-mentions")
    assert len(texts) == len(FIXTURE_WEEKS) * len(FIXTURE_TOP_MENTIONS), texts   # a point per entity and week
    for text in texts:
        assert "week starting" in text and "2025" in text and "NaN" not in text, text
        # The Monday the point counts, as the data holds it, not the Sunday evening before in the reader's zone.
        assert [day in FIXTURE_WEEKS for day in shown_dates(text)] == [True], text
    assert {shown_dates(text)[0] for text in texts} == set(FIXTURE_WEEKS)


def test_no_tooltip_in_any_view_shows_nan_or_an_invalid_date(page):
    shown = {chart: hover_every_mark(page, chart) for chart in CHARTS}
    assert all(shown.values()), {chart: len(texts) for chart, texts in shown.items()}
    bad = [text for texts in shown.values() for text in texts if "NaN" in text or "Invalid Date" in text]
    assert not bad, bad
    # Every date a tooltip shows lies between the first article day and the last (Europe/Tirane calendar).
    dated = [day for texts in shown.values() for text in texts for day in shown_dates(text)]
    assert len(dated) >= len(shown["chart-mentions"]) + 2 * len(FIXTURE_TOP_MENTIONS), dated
    assert all(date(2025, 10, 6) <= day <= date(2025, 11, 10) for day in dated), dated


def time_axis_labels(tools: DevTools, chart: str) -> list[str]:
    return tools.evaluate(f"Array.from(document.querySelectorAll('#{chart} svg .role-axis-label text'))"
                          ".map(t => t.textContent).filter(t => /[A-Za-z]/.test(t))")


def test_a_legend_click_filters_and_the_wheel_zooms(page):
    opacities = ("Array.from(document.querySelectorAll('#chart-top-entities svg .mark-rect path'))"
                 ".map(p => p.getAttribute('opacity') || p.style.opacity || '1')")
    before = page.evaluate(opacities)
    x, y = centre_of(page, "#chart-top-entities svg .role-legend-symbol path")
    page.mouse("mousePressed", x, y, button="left", clickCount=1)
    page.mouse("mouseReleased", x, y, button="left", clickCount=1)
    page.wait_for(f"JSON.stringify({opacities}) !== {json.dumps(json.dumps(before))}", timeout=10)
    assert len(set(page.evaluate(opacities))) == 2   # the clicked type stays, the others fade
    ticks = "Array.from(document.querySelectorAll('#chart-mentions svg .role-axis-label text')).map(t => t.textContent).join('|')"
    before_ticks = page.evaluate(ticks)
    x, y = centre_of(page, "#chart-mentions svg .mark-line path")
    for _ in range(3):
        page.mouse("mouseWheel", x, y, deltaX=0, deltaY=-400)
    page.wait_for(f"{ticks} !== {json.dumps(before_ticks)}", timeout=10)
    # Zoomed in, the axis still labels only week starts, each once (no "12 PM", no date written twice).
    labels = time_axis_labels(page, "chart-mentions")
    assert labels and len(set(labels)) == len(labels), labels
    assert all(DATE.fullmatch(label) and shown_dates(label)[0] in FIXTURE_WEEKS for label in labels), labels


def png_pixels(png: bytes) -> np.ndarray:
    """The RGB(A) pixels of an 8-bit PNG (the kind Chromium writes), unfiltered row by row."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], None
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        body = png[position + 8:position + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += [body] if kind == b"IDAT" else []
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(chunks)), dtype=np.uint8).reshape(height, 1 + width * channels)
    rows = np.zeros((height, width * channels), dtype=np.int32)
    for index in range(height):
        kind, line = raw[index, 0], raw[index, 1:].astype(np.int32)
        above = rows[index - 1] if index else np.zeros_like(line)
        if kind in (0, 2):
            rows[index] = (line + (above if kind == 2 else 0)) % 256
            continue
        out = np.zeros_like(line)
        for i in range(len(line)):   # sub, average and paeth depend on the byte to the left
            left = out[i - channels] if i >= channels else 0
            up, corner = above[i], (above[i - channels] if i >= channels else 0)
            if kind == 1:
                predictor = left
            elif kind == 3:
                predictor = (left + up) // 2
            else:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
            out[i] = (line[i] + predictor) % 256
        rows[index] = out
    return rows.reshape(height, width, channels)[:, :, :3]


def test_a_screenshot_of_a_chart_has_drawn_pixels(page):
    box = page.evaluate("(() => {const e = document.querySelector('#chart-mentions svg'); e.scrollIntoView(); "
                        "const r = e.getBoundingClientRect(); return {x: r.x, y: r.y + window.scrollY, "
                        "width: r.width, height: r.height};})()")
    shot = page.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                     clip={**box, "scale": 1})
    png = base64.b64decode(shot["data"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report_html_mentions.png").write_bytes(png)
    pixels = png_pixels(png)
    assert pixels.shape[0] >= 200 and pixels.shape[1] >= 500, pixels.shape
    not_white = (pixels < 235).any(axis=2)
    coloured = (pixels.max(axis=2) - pixels.min(axis=2)) > 60   # the lines' colours, not grey axes
    assert not_white.mean() > 0.01 and coloured.sum() > 300, (not_white.mean(), coloured.sum())
    full = page.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    (ARTIFACTS / "report_html_after_interaction.png").write_bytes(base64.b64decode(full["data"]))
