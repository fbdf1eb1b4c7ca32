#!/usr/bin/env python3
"""Sets up Kronika on a bare machine with Python 3.11+ and runs it: `python3 dev.py run|test|ui|eval|bench`.

It creates `.venv`, installs the project (re-installing when pyproject.toml changes) and then runs the verb."""

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
EXTRAS = {"run": "", "ui": "", "eval": "", "test": "dev", "bench": "dev,bench"}


def say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Kronika needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        say(f"creating {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(BIN / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".kronika-installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    target = f".[{extras}]" if extras else "."
    say(f"installing kronika{f'[{extras}]' if extras else ''} into {VENV}")
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "-q", "-e", target], cwd=ROOT, check=True)
    stamp.write_text(wanted)


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
    if verb not in EXTRAS:
        print(__doc__)
        print("verbs: run (ingest raw/ and print the top entities), test (the whole suite), ui (Dagster UI), "
              "eval (entity and figure scores), bench (benchmarks into docs/benchmarks.md)")
        return 0 if verb in ("help", "-h", "--help") else 2
    ensure_venv(EXTRAS[verb])
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
