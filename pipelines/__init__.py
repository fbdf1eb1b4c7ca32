"""Kronika: scraped Albanian and English news into a DuckDB warehouse of entities and figures.

`pipelines.lib` is the engine (pure Python/Polars); `pipelines.defs` is the Dagster layer."""
