"""Tooling that users of Kronika do not run on their articles: gold data, evaluation, training, benchmarks.
The engine in `pipelines/lib/` never imports from here."""
