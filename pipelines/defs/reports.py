"""Report tables and the HTML report: one Dagster asset per `sql/` file whose header says `-- materialize: <table>`,
plus `report_html`, which writes `warehouse/kronika.files/report.html` and puts its tables in the asset metadata.

The assets run the same files the CLI runs and refresh after each ingest through declarative automation."""


import hashlib
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.assets import WAREHOUSE_POOL, WAREHOUSE_TABLES, markdown_metadata
from pipelines.defs.resources import KronikaResource
from pipelines.lib import publication, report_maintenance, warehouse, warehouse_files
from pipelines.lib import report_html as report_page   # the asset function below is named report_html
from pipelines.lib.report_lineage import tables_read
from pipelines.lib.reports import Report, list_reports, materialize_report

REPORTS_GROUP = "reports"


def _code_version(*texts: str) -> str:
    # A stable digest (Python's hash() changes per process, which would make every run look stale).
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]


def report_upstreams(report: Report) -> list[str]:
    """The warehouse tables and other report tables this report's SQL reads (its FROM and JOIN clauses)."""
    known = {*WAREHOUSE_TABLES, *(r.materialize_as for r in list_reports() if r.materialize_as)}
    upstreams = sorted(tables_read(report.sql, known - {report.materialize_as}))
    if not upstreams:
        raise ValueError(f"sql/{report.path.name} reads no warehouse table in its FROM or JOIN clauses")
    return upstreams


# The preview of a view reads one slice of it: ten rows of the whole pair view cost 2-5 s at 100,000 articles (both
# branches of the view are joined in full), the all-months article rows 0.3 s.
_PREVIEW_FILTERS = {report_maintenance.MAINTAINED_VIEW: "WHERE unit_window = 'article' AND month IS NULL"}


def report_table_asset(report: Report) -> dg.AssetsDefinition:
    table = report.materialize_as

    @dg.asset(
        name=table,
        group_name=REPORTS_GROUP,
        deps=report_upstreams(report),
        kinds={"duckdb", "sql"},
        description=report.description,
        automation_condition=dg.AutomationCondition.eager(),
        pool=WAREHOUSE_POOL,
        code_version=_code_version(report.sql),
    )
    def _report_table(kronika: KronikaResource, duckdb: DuckDBResource):
        with duckdb.get_connection() as connection:
            warehouse.ensure_schema(connection)
            connection.execute("BEGIN TRANSACTION")
            try:
                rows = materialize_report(connection, report, timezone=kronika.timezone)   # inside DuckDB, no copy
                connection.execute("COMMIT")
            except BaseException:
                warehouse.rollback(connection)
                raise
            preview = connection.sql(f"SELECT * FROM {table} {_PREVIEW_FILTERS.get(table, '')} LIMIT 10").pl()
        return dg.MaterializeResult(metadata={"dagster/row_count": rows, "preview": markdown_metadata(preview),
                                              "sql_file": f"sql/{report.path.name}"})

    return _report_table


def html_report_asset(tables: list[str]) -> dg.AssetsDefinition:
    @dg.asset(
        name="report_html",
        group_name=REPORTS_GROUP,
        deps=[*tables, *WAREHOUSE_TABLES],
        kinds={"html", "vega"},
        automation_condition=dg.AutomationCondition.eager(),
        pool=WAREHOUSE_POOL,
        code_version=_code_version(*(p.read_text() for p in sorted(Path(report_page.__file__).parent.glob("*.py"))),
                                   *(r.sql for r in list_reports())),
    )
    def report_html(kronika: KronikaResource, duckdb: DuckDBResource):
        """warehouse/kronika.files/report.html: interactive Vega-Lite views of the report tables, offline."""
        path = warehouse_files.report_html_path(kronika.settings().warehouse_path)
        with duckdb.get_connection() as connection:
            warehouse.ensure_schema(connection)
            data = report_page.report_data(connection, period=report_page.report_period_from_env(),
                                           display_timezone=kronika.timezone)
            report_page.write_html_report(connection, path, data=data)
        chart_files = sorted(path.with_name(f"{path.stem}-charts").glob("*.vl.json"))
        return dg.MaterializeResult(metadata={
            "path": dg.MetadataValue.path(str(path)),
            **{f"chart_{chart.name.removesuffix('.vl.json')}": dg.MetadataValue.path(str(chart))
               for chart in chart_files},
            "top_entities": dg.MetadataValue.md(report_page.markdown_table(data["top_entities"])),
            "strongest_pairs": dg.MetadataValue.md(report_page.markdown_table(data["pairs"])),
            f"mentions_per_{data['period']}": dg.MetadataValue.md(report_page.markdown_table(
                data["timeline"].pivot(on="entity", index="period_start", values="mentions")
                if data["timeline"].height else data["timeline"], limit=30)),
            "unlinked_candidates": dg.MetadataValue.md(report_page.markdown_table(data["unlinked"])),
        })

    return report_html


def snapshot_asset(report_keys: list[str]) -> dg.AssetsDefinition:
    @dg.asset(
        name="published_reports",
        group_name=REPORTS_GROUP,
        deps=report_keys,
        kinds={"duckdb"},
        automation_condition=dg.AutomationCondition.eager(),
        pool=WAREHOUSE_POOL,
    )
    def published_reports(context: dg.AssetExecutionContext, kronika: KronikaResource, duckdb: DuckDBResource):
        """Publishes the read-only snapshot once all report tables are rebuilt (one copy, not one per table)."""
        with duckdb.get_connection() as connection:
            warehouse.ensure_schema(connection)
            warehouse.record_report_refresh(connection, kronika.timezone)
            published = publication.publish_snapshot(connection, kronika.build_path, kronika.settings().warehouse_path)
        metadata = {"warehouse": str(kronika.settings().warehouse_path), "published": published.published}
        if published.message:  # info, not warning: `kronika run` prints the note itself
            context.log.info(published.message)
            metadata["publication_note"] = published.message
        return dg.MaterializeResult(metadata=metadata)

    return published_reports


def report_assets() -> list[dg.AssetsDefinition]:
    names = [r.materialize_as for r in list_reports() if r.materialize_as]
    tables = [report_table_asset(r) for r in list_reports() if r.materialize_as]
    return [*tables, html_report_asset(names), snapshot_asset([*names, "report_html"])]
