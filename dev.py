#!/usr/bin/env python3
"""Sets up Kronika on a bare machine with Python 3.11+ and runs it: `python3 dev.py run|test|ui|eval|bench|lock`.

It creates `.venv`, installs the locked, hash-checked versions of requirements/<path>.txt (re-installing when they
or pyproject.toml change), then the project itself, and runs the verb. `lock` refreshes uv.lock and the exports."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
LOCK_FILE = ROOT / "uv.lock"
REQUIREMENTS_DIR = ROOT / "requirements"
# Each install path and the extras it adds to the base dependencies; `requirements/<path>.txt` is its locked,
# hashed export of uv.lock. Every extra of pyproject.toml is in at least one path (a test checks).
INSTALL_PATHS = {"base": (), "dev": ("dev",), "bench": ("dev", "bench"), "spacy": ("spacy",)}
VERB_INSTALL_PATHS = {"run": "base", "ui": "base", "eval": "base", "test": "dev", "bench": "bench", "lock": "dev"}
REQUIREMENTS_HEADER = "# Locked by `python3 dev.py lock` from uv.lock (install path {name!r}); do not edit.\n"


def say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def requirements_file(install_path: str) -> Path:
    return REQUIREMENTS_DIR / f"{install_path}.txt"


def ensure_venv(install_path: str) -> None:
    """Install exactly the locked versions (hash-checked, no resolver) and then the project without dependencies.
    Re-installs when the lock export or pyproject.toml changes."""
    if sys.version_info < (3, 11):
        sys.exit(f"Kronika needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    requirements = requirements_file(install_path)
    if not requirements.exists():
        sys.exit(f"{requirements} is missing: run `python3 dev.py lock` to export it from uv.lock")
    if not (BIN / "python").exists():
        say(f"creating {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
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
    return REQUIREMENTS_HEADER.format(name=install_path) + exported


def lock(uv_lock_arguments: list[str]) -> int:
    """Re-resolve uv.lock (`uv lock`, e.g. with --upgrade or --upgrade-package NAME) and re-export every path.
    uv comes from the locked dev path; only a checkout without any export yet installs it unpinned from the index."""
    if requirements_file("dev").exists():
        ensure_venv("dev")
    if not (BIN / "uv").exists():
        if not (BIN / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        say("bootstrapping uv into .venv (no locked dev requirements yet)")
        subprocess.run([str(BIN / "python"), "-m", "pip", "install", "-q", "uv>=0.13,<0.14"], check=True)
    say("resolving uv.lock from pyproject.toml")
    code = subprocess.run([str(BIN / "uv"), "lock", *uv_lock_arguments], cwd=ROOT, env=uv_environment()).returncode
    if code != 0:
        return code
    REQUIREMENTS_DIR.mkdir(exist_ok=True)
    for install_path in INSTALL_PATHS:
        requirements_file(install_path).write_text(export_requirements(install_path), encoding="utf-8")
        say(f"wrote {requirements_file(install_path).relative_to(ROOT)}")
    return 0


def ensure_chromium() -> None:
    """Browser tests drive Debian's Chromium; install it when missing and we may (root with apt-get)."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Debian's chromium for the browser tests")
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=environment,
                       stdout=subprocess.DEVNULL)
    else:
        say("chromium is not installed and cannot be installed here; the browser tests will fail")


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
        return run([str(BIN / "python"), "-m", "pipelines.bench", *rest])
    ensure_chromium()
    say("validating the Dagster definitions")
    code = run([str(BIN / "dagster"), "definitions", "validate", "-m", "pipelines.definitions"])
    if code != 0:
        return code
    return run([str(BIN / "python"), "-m", "pytest", *rest])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
