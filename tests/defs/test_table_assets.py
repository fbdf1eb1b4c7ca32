"""Warehouse table assets carry a description, an owner and a column schema generated from schema.sql.

The schema is compared with a real warehouse's DuckDB catalog, so a column added to schema.sql shows in Dagster."""

import dagster as dg
import duckdb

from pipelines.defs.assets import WAREHOUSE_TABLES
from pipelines.definitions import defs
from pipelines.lib import warehouse


def test_every_warehouse_table_asset_has_schema_owner_description(tmp_path):
    graph = defs.get_repository_def().asset_graph
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        warehouse.ensure_schema(connection)
        for table in WAREHOUSE_TABLES:
            node = graph.get(dg.AssetKey(table))
            assert node.description and node.owners == ["team:kronika"]
            schema = node.metadata["dagster/column_schema"]
            catalog = connection.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                [table]).fetchall()
            assert catalog, table
            assert [(column.name, column.type) for column in schema.columns] == catalog
    assert {"figure_entity_links", "ingest_runs"} <= set(WAREHOUSE_TABLES)
