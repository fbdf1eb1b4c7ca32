#!/usr/bin/env python3
"""Sets up Kronika on a bare machine with Python 3.11+ and runs it: `python3 dev.py run|test|ui|eval|bench|lock`.

It creates `.venv`, installs the locked, hash-checked versions of requirements/<path>.txt (re-installing when they
or pyproject.toml change), then the project itself, and runs the verb. `lock` refreshes uv.lock and the exports."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
REQUIREMENTS_DIR = ROOT / "requirements"
# Each install path and the extras it adds to the base dependencies; `requirements/<path>.txt` is its locked,
# hashed export of uv.lock. Every extra of pyproject.toml is in at least one path (a test checks). The test path
# carries the training extra so the suite runs the typer's training tests (tests/tooling/test_train_typer.py).
INSTALL_PATHS = {"base": (), "dev": ("dev", "train"), "bench": ("dev", "bench", "train"), "spacy": ("spacy",),
                 "train": ("train",)}
# `lock` needs only uv (the version dev locks), not an install of the dev path.
VERB_INSTALL_PATHS = {"run": "base", "ui": "base", "eval": "spacy", "test": "dev", "bench": "bench", "lock": "dev"}
REQUIREMENTS_HEADER = ("# Locked by `python3 dev.py lock` from uv.lock (install path {name!r}; "
                       "pyproject dependencies {fingerprint}); do not edit.\n")


def say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def requirements_file(install_path: str) -> Path:
    return REQUIREMENTS_DIR / f"{install_path}.txt"


def dependencies_fingerprint() -> str:
    """A hash of what pyproject.toml asks for; the exports carry the one they were locked from."""
    import tomllib  # here, not at the top: an older Python must reach the version check and its message

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    asked = {"requires-python": project["project"].get("requires-python"),
             "dependencies": project["project"].get("dependencies", []),
             "optional-dependencies": project["project"].get("optional-dependencies", {}),
             "dependency-groups": project.get("dependency-groups", {})}
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()[:16]


def may_apt_get() -> bool:
    return bool(shutil.which("apt-get")) and hasattr(os, "geteuid") and os.geteuid() == 0


def apt_get_install(packages: list[str]) -> None:
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=environment,
                   stdout=subprocess.DEVNULL)


def create_venv() -> None:
    """`.venv` from this Python. Debian's python3 has no ensurepip without python3-venv: add it when we may."""
    if (BIN / "python").exists():
        return
    say(f"creating {VENV}")
    if subprocess.run([sys.executable, "-c", "import ensurepip"], capture_output=True).returncode != 0:
        if not may_apt_get():
            sys.exit("this Python cannot create a venv (no ensurepip): install python3-venv, then run again")
        say("installing Debian's python3-venv (this Python has no ensurepip)")
        apt_get_install([f"python{sys.version_info.major}.{sys.version_info.minor}-venv"])
    shutil.rmtree(VENV, ignore_errors=True)  # a half-made venv from an earlier failure
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)


def ensure_venv(install_path: str) -> None:
    """Install exactly the locked versions (hash-checked, no resolver) and then the project without dependencies.
    Re-installs when the lock export or pyproject.toml changes."""
    if sys.version_info < (3, 11):
        sys.exit(f"Kronika needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    requirements = requirements_file(install_path)
    if not requirements.exists():
        sys.exit(f"{requirements} is missing: run `python3 dev.py lock` to export it from uv.lock")
    locked_from = requirements.read_text(encoding="utf-8").split("\n", 1)[0]
    if f"pyproject dependencies {dependencies_fingerprint()})" not in locked_from:
        sys.exit("pyproject.toml's dependencies changed since the lock was made: run `python3 dev.py lock` "
                 "and commit uv.lock and requirements/ with the change")
    create_venv()
    wanted = hashlib.sha256(requirements.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / f".kronika-locked-{install_path}"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    say(f"installing the locked {install_path} requirements ({requirements.relative_to(ROOT)}) into {VENV}")
    # --no-deps: the export is the whole closure, so pip only checks hashes and never resolves on its own.
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "-q", "--require-hashes", "--no-deps",
                    "-r", str(requirements)], cwd=ROOT, check=True)
    # The build backend came from the lock too (group `bootstrap`), hence no build isolation.
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "-e", "."], cwd=ROOT, check=True)
    stamp.write_text(wanted)


def uv_environment() -> dict[str, str]:
    # uv may only use the Python it is given: no interpreter downloads (the machines reach package indexes only).
    return {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}


def export_requirements(install_path: str) -> str:
    """The hashed requirements of one install path as `uv export` writes them from the committed uv.lock."""
    command = [str(BIN / "uv"), "export", "--frozen", "--format", "requirements-txt", "--no-emit-project",
               "--no-header", "--group", "bootstrap"]
    for extra in INSTALL_PATHS[install_path]:
        command += ["--extra", extra]
    exported = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True,
                              env=uv_environment()).stdout
    return REQUIREMENTS_HEADER.format(name=install_path, fingerprint=dependencies_fingerprint()) + exported


def ensure_uv() -> None:
    """uv for `lock`: the version the dev path locks (from the index by that pin), whatever the venv holds."""
    if (BIN / "uv").exists():
        return
    create_venv()
    dev_requirements = requirements_file("dev")
    pins = [line.split()[0] for line in dev_requirements.read_text(encoding="utf-8").splitlines()
            if line.startswith("uv==")] if dev_requirements.exists() else []
    wanted = pins[0] if pins else "uv>=0.13,<0.14"
    say(f"installing {wanted} into {VENV} to refresh the lock")
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "-q", wanted], check=True)


def lock(uv_lock_arguments: list[str]) -> int:
    """Re-resolve uv.lock (`uv lock`, e.g. with --upgrade or --upgrade-package NAME) and re-export every path."""
    ensure_uv()
    say("resolving uv.lock from pyproject.toml")
    code = subprocess.run([str(BIN / "uv"), "lock", *uv_lock_arguments], cwd=ROOT, env=uv_environment()).returncode
    if code != 0:
        return code
    REQUIREMENTS_DIR.mkdir(exist_ok=True)
    for install_path in INSTALL_PATHS:
        requirements_file(install_path).write_text(export_requirements(install_path), encoding="utf-8")
        say(f"wrote {requirements_file(install_path).relative_to(ROOT)}")
    return 0


def on_path(*commands: str):
    return lambda: any(shutil.which(command) for command in commands)


def any_file(pattern: str):
    # Debian installs PostgreSQL's server binaries per major version, off PATH.
    return lambda: bool(glob.glob(pattern))


# Debian packages the test suite needs, each with a probe that says it is there. A server a test needs is started
# by that test's fixture (tests/e2e/postgres_server.py), not here.
TEST_SYSTEM_PACKAGES = {
    "chromium": on_path("chromium", "chromium-browser"),
    "postgresql": any_file("/usr/lib/postgresql/*/bin/pg_ctl"),
}


def ensure_test_system_packages() -> None:
    """Install what the tests need from Debian when missing and we may (root with apt-get, as on CI)."""
    missing = [package for package, is_installed in TEST_SYSTEM_PACKAGES.items() if not is_installed()]
    if not missing:
        return
    if may_apt_get():
        say(f"installing Debian's {', '.join(missing)} for the tests")
        apt_get_install(missing)
    else:
        say(f"{', '.join(missing)} not installed and cannot be installed here; the tests that need them will fail")


def run(command: list[str]) -> int:
    return subprocess.run(command, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    verb = argv[0] if argv else "help"
    rest = argv[1:]
    if verb not in VERB_INSTALL_PATHS:
        print(__doc__)
        print("verbs: run (ingest raw/ and print the top entities), test (the whole suite), ui (Dagster UI), "
              "eval (entity and figure scores), bench (benchmarks into docs/benchmarks.md), "
              "lock (re-resolve uv.lock and re-export requirements/*.txt; extra arguments go to `uv lock`)")
        return 0 if verb in ("help", "-h", "--help") else 2
    if verb == "lock":
        return lock(rest)
    ensure_venv(VERB_INSTALL_PATHS[verb])
    if verb == "run":
        return run([str(BIN / "kronika"), "run", *rest])
    if verb == "ui":
        return run([str(BIN / "kronika"), "ui", *rest])
    if verb == "eval":
        return run([str(BIN / "kronika"), "eval", *rest])
    if verb == "bench":
        # The spaCy side-by-side row needs the spaCy extra too (pip adds it: both exports come from one lock).
        ensure_venv("spacy")
        return run([str(BIN / "python"), "-m", "pipelines.bench", *rest])
    ensure_test_system_packages()
    say("validating the Dagster definitions")
    code = run([str(BIN / "dagster"), "definitions", "validate", "-m", "pipelines.definitions"])
    if code != 0:
        return code
    return run([str(BIN / "python"), "-m", "pytest", *rest])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
