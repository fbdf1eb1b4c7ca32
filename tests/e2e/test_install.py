"""The install is reproducible: uv.lock agrees with pyproject.toml, requirements/*.txt are its exports, and a
fresh copy of the checkout installs from them with the README's first command (a new venv, not ours)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

# Whichever test comes first builds the fresh checkout (conftest.FRESH_INSTALL_SECONDS) inside its own timeout.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).parent / "uv"


def load_dev_script():
    spec = importlib.util.spec_from_file_location("kronika_dev_script", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev = load_dev_script()


def test_uv_lock_agrees_with_pyproject():
    """Fails when pyproject.toml changed without `python3 dev.py lock`."""
    assert UV.exists(), f"uv is a dev dependency and should be at {UV}"
    result = subprocess.run([str(UV), "lock", "--check"], cwd=ROOT, capture_output=True, text=True,
                            env=dev.uv_environment(), timeout=300)
    assert result.returncode == 0, f"uv.lock is stale; run `python3 dev.py lock`:\n{result.stderr}"


@pytest.mark.parametrize("install_path", sorted(dev.INSTALL_PATHS))
def test_requirements_file_is_the_export_of_the_lock(install_path):
    committed = dev.requirements_file(install_path).read_text(encoding="utf-8")
    assert committed == dev.export_requirements(install_path), (
        f"requirements/{install_path}.txt differs from uv.lock's export; run `python3 dev.py lock`")


def test_every_extra_and_verb_has_a_locked_install_path():
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    covered = {extra for path_extras in dev.INSTALL_PATHS.values() for extra in path_extras}
    assert extras == covered, f"extras without a locked install path: {sorted(extras - covered)}"
    assert set(dev.VERB_INSTALL_PATHS.values()) <= set(dev.INSTALL_PATHS)
    for install_path in dev.INSTALL_PATHS:
        text = dev.requirements_file(install_path).read_text(encoding="utf-8")
        pinned = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
        assert pinned and all("==" in line and line.rstrip().endswith("\\") for line in pinned), (
            f"every requirement of {install_path} should be pinned with hashes")


def test_fresh_install_has_exactly_the_locked_versions(fresh_checkout, fresh_environment):
    script = """
import importlib.metadata, pathlib, sys
from pip._vendor.packaging.requirements import Requirement
lines = pathlib.Path('requirements/base.txt').read_text().replace('\\\\\\n', ' ').splitlines()
wrong = []
for line in lines:
    if not line[:1].isalnum():  # blank lines, comments and the indented '# via' notes
        continue
    requirement = Requirement(line.split(' --hash')[0].strip())
    if requirement.marker and not requirement.marker.evaluate():
        continue
    pinned = next(iter(requirement.specifier)).version
    try:
        installed = importlib.metadata.version(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed != pinned:
        wrong.append(f'{requirement.name}: locked {pinned}, installed {installed}')
print('\\n'.join(wrong))
sys.exit(1 if wrong else 0)
"""
    python = fresh_checkout / ".venv" / "bin" / "python"
    checked = subprocess.run([str(python), "-c", script], cwd=fresh_checkout, capture_output=True, text=True,
                             env=fresh_environment(), timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    consistent = subprocess.run([str(python), "-m", "pip", "check"], cwd=fresh_checkout, capture_output=True,
                                text=True, env=fresh_environment(), timeout=120)
    assert consistent.returncode == 0, consistent.stdout


def test_fresh_install_imports_and_validates_the_definitions(fresh_checkout, fresh_environment):
    python = fresh_checkout / ".venv" / "bin" / "python"
    imported = subprocess.run([str(python), "-c", "import pipelines, pipelines.definitions; print(pipelines.__file__)"],
                              cwd=fresh_checkout, capture_output=True, text=True, env=fresh_environment(), timeout=300)
    assert imported.returncode == 0, imported.stderr
    assert Path(imported.stdout.strip()).is_relative_to(fresh_checkout), "the project should be installed from the copy"
    validated = subprocess.run([str(fresh_checkout / ".venv" / "bin" / "dagster"), "definitions", "validate",
                                "-m", "pipelines.definitions"], cwd=fresh_checkout, capture_output=True, text=True,
                               env=fresh_environment(), timeout=300)
    assert validated.returncode == 0, validated.stdout[-2000:] + validated.stderr[-2000:]
    assert (fresh_checkout / "warehouse" / "kronika.duckdb").is_file(), "`dev.py run` should have built the warehouse"
