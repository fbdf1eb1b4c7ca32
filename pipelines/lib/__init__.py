"""The Kronika engine: pure Python/Polars stages with no Dagster import.

Each module is one stage (decode, discover, metadata, language, sentences, entities, figures, warehouse, reports)."""
