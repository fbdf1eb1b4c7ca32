"""Report tables: one Dagster asset per `sql/` file whose header says `-- materialize: <table>`.

The asset runs the same file the CLI runs, stores the result as a warehouse table and refreshes
itself after each ingest through declarative automation."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.assets import WAREHOUSE_POOL, WAREHOUSE_TABLES, _markdown
from pipelines.defs.resources import KronikaResource
from pipelines.lib import warehouse
from pipelines.lib.reports import Report, list_reports, run_report

REPORTS_GROUP = "reports"


def report_table_asset(report: Report) -> dg.AssetsDefinition:
    table = report.materialize_as

    @dg.asset(
        name=table,
        group_name=REPORTS_GROUP,
        deps=list(WAREHOUSE_TABLES),
        kinds={"duckdb", "sql"},
        description=report.description,
        automation_condition=dg.AutomationCondition.eager(),
        pool=WAREHOUSE_POOL,
        code_version=str(abs(hash(report.sql)) % 10**12),
    )
    def _report_table(context: dg.AssetExecutionContext, kronika: KronikaResource, duckdb: DuckDBResource):
        with duckdb.get_connection() as connection:
            warehouse.ensure_schema(connection)
            result = run_report(connection, report)
            connection.execute("BEGIN TRANSACTION")
            connection.register("report_result", result.to_arrow())
            connection.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM report_result")
            connection.unregister("report_result")
            connection.execute("COMMIT")
            warehouse.publish_snapshot(connection, kronika.build_path, kronika.settings().warehouse_path)
        return dg.MaterializeResult(metadata={"dagster/row_count": result.height, "preview": _markdown(result),
                                              "sql_file": f"sql/{report.path.name}"})

    return _report_table


def report_assets() -> list[dg.AssetsDefinition]:
    return [report_table_asset(r) for r in list_reports() if r.materialize_as]
