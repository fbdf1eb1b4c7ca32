"""Named points where a test can stop or pause a real `kronika` process; unset, each is one environment lookup.

KRONIKA_TEST_CRASH_AT=<point> dies there as under SIGKILL; KRONIKA_TEST_PAUSE_AT=<point>:<folder> writes
<folder>/ready and waits for <folder>/go. Only for tests (tests/e2e); never set them in production."""

from __future__ import annotations

import os
import time
from pathlib import Path

CRASH_VARIABLE = "KRONIKA_TEST_CRASH_AT"
PAUSE_VARIABLE = "KRONIKA_TEST_PAUSE_AT"
PAUSE_LIMIT_SECONDS = 120.0


def crash_point(point: str) -> None:
    """Die at once (exit 137, no clean-up) when KRONIKA_TEST_CRASH_AT names this point."""
    if os.environ.get(CRASH_VARIABLE) == point:
        os._exit(137)


def pause_point(point: str) -> None:
    """Wait here for the test (it creates <folder>/go) when KRONIKA_TEST_PAUSE_AT is `<point>:<folder>`."""
    setting = os.environ.get(PAUSE_VARIABLE)
    if not setting or not setting.startswith(point + ":"):
        return
    folder = Path(setting[len(point) + 1:])
    (folder / "ready").touch()
    deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
    while not (folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
