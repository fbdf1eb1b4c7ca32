"""DuckDB extensions loaded offline from their PyPI packages (`duckdb-extension-<name>`).
`load_extension(connection, "ducklake")` finds the extension file inside the installed package and LOADs it by path."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

# DuckDB's short names for extensions whose package carries the long one.
EXTENSION_ALIASES = {"sqlite": "sqlite_scanner", "sqlite3": "sqlite_scanner", "postgres": "postgres_scanner"}


class ExtensionNotInstalled(RuntimeError):
    """The package that ships an extension for this DuckDB version is missing."""


def _canonical_name(name: str) -> str:
    return EXTENSION_ALIASES.get(name.lower(), name.lower())


def extension_path(name: str) -> Path:
    """The `.duckdb_extension` file of `name` built for the running DuckDB, inside its package."""
    canonical = _canonical_name(name)
    package = f"duckdb_extension_{canonical}"
    pip_name = f"duckdb-extension-{canonical.replace('_', '-')}=={duckdb.__version__}"
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionNotInstalled(
            f"DuckDB extension {canonical!r} is not installed: install the package {pip_name} "
            "(it is a base dependency of kronika; re-run `python3 dev.py run`)")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    # The package keeps one folder per DuckDB version; a file built for another version will not load.
    path = package_dir / "extensions" / f"v{duckdb.__version__}" / f"{canonical}.duckdb_extension"
    if not path.is_file():
        found = sorted(p.parent.name for p in package_dir.glob("extensions/*/*.duckdb_extension"))
        raise ExtensionNotInstalled(
            f"DuckDB extension {canonical!r} has no build for DuckDB {duckdb.__version__} in {package_dir} "
            f"(found: {', '.join(found) or 'none'}); install {pip_name}")
    return path


def load_extension(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    """LOAD `name` into `connection` from its package file, without any network access."""
    canonical = _canonical_name(name)
    loaded = connection.execute(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = ?", [canonical]).fetchone()
    if loaded and loaded[0]:
        return
    path = extension_path(canonical)
    connection.execute(f"LOAD '{path.as_posix()}'")
