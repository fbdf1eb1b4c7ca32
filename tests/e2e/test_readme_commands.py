"""Every command the README and the sql/ headers show runs as written, from the root of a fresh checkout,
after the README's first command (`python3 dev.py run`) built its venv and warehouse: nothing from our .venv."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipelines.lib.settings import PROJECT_ROOT

# Whichever test comes first builds the fresh checkout (conftest.FRESH_INSTALL_SECONDS) inside its own timeout.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

README = PROJECT_ROOT / "README.md"
COMMAND_SECONDS = 600

# Commands the README shows that this test does not run, and why. Each must still be in the README.
NOT_RUN = {
    "python3 dev.py test": "is this test suite itself (CI runs it as .ci/run)",
    "python3 dev.py bench": "the benchmarks take tens of minutes on 100k articles (make bench)",
    "python3 dev.py bench --sizes 1000000 --end-to-end-only": "a million articles: about 5 GB of corpus and "
                                                              "tens of minutes (make bench-1m)",
    "python3 dev.py ui": "starts `dagster dev` and runs until stopped; tests/e2e/test_dagster_ui.py drives it",
    "python3 dev.py lock": "re-resolves against the package index and needs the dev install; "
                           "tests/e2e/test_install.py checks the lock with `uv lock --check`",
    "python3 dev.py lock --upgrade-package babel": "moves a package to a newer version: a deliberate change, "
                                                   "not a check",
}


def fenced_blocks(markdown: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", markdown, flags=re.M | re.S)


def shell_commands(block: str) -> list[str]:
    """One command a line (a trailing `\\` continues it); blank and comment-only lines are not commands."""
    commands, pending = [], ""
    for line in block.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        command = (pending + line).strip()
        pending = ""
        if command and not command.startswith("#"):
            commands.append(command)
    return commands


def without_comment(command: str) -> str:
    return re.split(r"\s+#\s", command, maxsplit=1)[0].strip()


def readme_commands() -> list[str]:
    return [command for block in fenced_blocks(README.read_text(encoding="utf-8"), "bash")
            for command in shell_commands(block)]


def sql_header_examples() -> list[tuple[str, str]]:
    examples = []
    for path in sorted((PROJECT_ROOT / "sql").glob("*.sql")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^-- example[^:]*:\s*(.+)$", line)
            if match:
                examples.append((path.name, match.group(1)))
    return examples


@pytest.fixture(scope="module")
def analyst_home(tmp_path_factory, fresh_checkout) -> Path:
    """HOME for the commands: `~/scrapes` (the README's own folder of scrapes) holds a copy of raw/."""
    home = tmp_path_factory.mktemp("analyst_home")
    shutil.copytree(fresh_checkout / "raw", home / "scrapes")
    return home


def run_as_written(command: str, checkout: Path, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=checkout, capture_output=True, text=True,
                          env=environment, timeout=COMMAND_SECONDS, stdin=subprocess.DEVNULL)


def test_the_readme_shows_commands_and_every_skipped_one_is_still_there():
    commands = {without_comment(command) for command in readme_commands()}
    assert len(commands) >= 15
    assert set(NOT_RUN) <= commands, f"NOT_RUN lists commands the README no longer has: {set(NOT_RUN) - commands}"
    assert "python3 dev.py run" in commands


@pytest.mark.parametrize("command", [c for c in readme_commands() if without_comment(c) not in NOT_RUN])
def test_readme_command_runs_as_written(command, fresh_checkout, fresh_environment, analyst_home):
    result = run_as_written(command, fresh_checkout, fresh_environment(home=analyst_home))
    assert result.returncode == 0, f"{command}\nexit {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    assert "Error" not in result.stderr, f"{command}\n{result.stderr[-3000:]}"


def test_readme_python_block_runs_in_the_venv(fresh_checkout, fresh_environment):
    for block in fenced_blocks(README.read_text(encoding="utf-8"), "python"):
        result = subprocess.run([str(fresh_checkout / ".venv" / "bin" / "python"), "-c", block], cwd=fresh_checkout,
                                capture_output=True, text=True, env=fresh_environment(), timeout=COMMAND_SECONDS)
        assert result.returncode == 0, f"{block}\n{result.stderr[-3000:]}"
        assert result.stdout.strip(), "the README's Python example should print a table"


@pytest.mark.parametrize(("sql_file", "example"), sql_header_examples())
def test_sql_header_example_runs_as_written(sql_file, example, fresh_checkout, fresh_environment):
    assert example.startswith((".venv/bin/kronika ", ".venv/bin/duckdb ")), (
        f"{sql_file}: examples call the venv's programs so they run from the repository root: {example}")
    result = run_as_written(example, fresh_checkout, fresh_environment())
    assert result.returncode == 0 and "Error" not in result.stderr, f"{sql_file}: {example}\n{result.stderr[-3000:]}"
    assert result.stdout.strip(), f"{sql_file}: {example} printed nothing"
