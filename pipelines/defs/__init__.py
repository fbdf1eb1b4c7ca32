"""The Dagster layer of Kronika: assets, resources, the sensor, the schedule and the checks.

Each asset body calls `pipelines.lib`; nothing here parses or extracts by itself."""
