"""Fingerprints of the rules: a hash of the reference data and of the code of each stage.

The extraction version is the Dagster code version of the extraction assets and is stored with each
article, so a change to the gazetteer, a rule table or the extractor code re-extracts exactly what it affects."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

LIB_DIR = Path(__file__).resolve().parent
REFERENCE_DIR = LIB_DIR.parent / "reference"

# Modules whose code decides sentences, mentions and figures.
EXTRACTION_MODULES = ("extract.py", "sentences.py", "gazetteer.py")
# Extraction packages: every module in them counts.
EXTRACTION_PACKAGES = ("entities", "figures")
# The typer's weights decide mentions too (outside pipelines/, so hashed by content alone).
TYPER_WEIGHTS = LIB_DIR.parents[1] / "models" / "typer.npz"
# Modules whose code decides decoding and article metadata.
METADATA_MODULES = ("decode.py", "header_reference.py", "language.py", "ingest.py")
# The header parser package: every module in it counts.
METADATA_PACKAGE = "metadata"


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        if path.is_file():
            digest.update(str(path.relative_to(LIB_DIR.parent)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _reference_files() -> list[Path]:
    return [p for p in REFERENCE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def _typer_digest() -> str:
    return hashlib.sha256(TYPER_WEIGHTS.read_bytes()).hexdigest()[:8] if TYPER_WEIGHTS.is_file() else "none"


@lru_cache(maxsize=1)
def extraction_version() -> str:
    """Changes whenever reference data or extraction code changes."""
    package_files = [path for package in EXTRACTION_PACKAGES for path in sorted((LIB_DIR / package).glob("*.py"))]
    return _hash_files([LIB_DIR / name for name in EXTRACTION_MODULES] + package_files + _reference_files())[:8] + _typer_digest()


@lru_cache(maxsize=1)
def metadata_version() -> str:
    """Changes whenever decoding or header-parsing code or its reference data changes."""
    package_files = sorted((LIB_DIR / METADATA_PACKAGE).glob("*.py"))
    return _hash_files([LIB_DIR / name for name in METADATA_MODULES] + package_files + _reference_files())
