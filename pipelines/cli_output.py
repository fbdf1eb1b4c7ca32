"""How the CLI prints a frame: a rich table on a terminal, or CSV / JSON for scripts.
Shared by `kronika` (pipelines/cli.py) and its `entities` verbs (pipelines/cli_entities.py)."""

from __future__ import annotations

import json
import os
import sys

import polars as pl


def print_frame(frame: pl.DataFrame, output_format: str = "table", title: str | None = None) -> None:
    if output_format == "csv":
        sys.stdout.write(frame.write_csv())
    elif output_format == "json":
        sys.stdout.write(json.dumps(frame.to_dicts(), default=str, ensure_ascii=False, indent=2) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_lines=False)
        for column in frame.columns:
            table.add_column(column, overflow="fold")
        for row in frame.iter_rows():
            table.add_row(*("" if value is None else str(value) for value in row))
        # A pipe gets 160 columns: wide enough for the reports, narrow enough for a log.
        Console(width=max(100, min(200, os.get_terminal_size(0).columns if sys.stdout.isatty() else 160))).print(table)
