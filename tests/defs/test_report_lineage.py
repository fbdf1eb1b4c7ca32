"""Report assets' upstreams come from their SQL: the tables after FROM and JOIN, checked against DuckDB's parser."""

import duckdb
import pytest

from pipelines.defs.assets import WAREHOUSE_TABLES
from pipelines.defs.reports import report_assets, report_upstreams
from pipelines.lib.report_lineage import relations_read, tables_read
from pipelines.lib.reports import list_reports

KNOWN = frozenset(WAREHOUSE_TABLES)


def test_common_table_expressions_strings_and_comments_are_not_tables():
    sql = """
        -- FROM figures is a comment
        WITH chosen AS (SELECT entity_id FROM mentions), counted AS MATERIALIZED (SELECT * FROM chosen)
        SELECT 'JOIN sentences', c.* FROM counted c JOIN entities e USING (entity_id)
        CROSS JOIN range(3) /* JOIN articles */
    """
    assert relations_read(sql) == {"mentions", "entities"}


def test_tables_a_build_step_creates_for_itself_are_local():
    sql = "CREATE TEMP TABLE pair_counts AS SELECT * FROM mentions; SELECT * FROM pair_counts JOIN articles USING (article_id)"
    assert relations_read(sql) == {"mentions", "articles"}


def test_views_are_followed_to_their_tables_and_renames_count_as_entities():
    assert tables_read("SELECT * FROM resolved_mentions", KNOWN) == {"mentions", "entities"}
    assert tables_read("SELECT * FROM figure_entities", KNOWN) == {"figures", "figure_entity_links", "entities"}
    assert tables_read("SELECT * FROM entity_id_renames", KNOWN) == {"entities"}
    assert tables_read("SELECT * FROM not_a_table", KNOWN) == set()


@pytest.mark.parametrize("report", list_reports(), ids=lambda report: report.name)
def test_the_relations_of_every_sql_file_agree_with_duckdbs_parser(report):
    try:
        expected = {name.lower() for name in duckdb.get_table_names(report.sql)}
    except duckdb.Error:
        pytest.skip("DuckDB's parser does not take this file whole (several statements or a bind it cannot do)")
    assert relations_read(report.sql) == expected


def test_every_report_asset_depends_on_what_its_sql_reads():
    reports = {report.materialize_as: report for report in list_reports() if report.materialize_as}
    assets = {asset.key.path[-1]: asset for asset in report_assets() if asset.key.path[-1] in reports}
    assert set(assets) == set(reports)
    for table, asset in assets.items():
        dependencies = {key.path[-1] for key in asset.asset_deps[asset.key]}
        assert dependencies == set(report_upstreams(reports[table]))
        assert dependencies <= set(WAREHOUSE_TABLES) | set(reports)
    # Two concrete cases: the top entities never wait on figures; the pairs read sentences for their windows.
    assert set(report_upstreams(reports["report_top_entities"])) == {"articles", "entities", "mentions"}
    assert "sentences" in report_upstreams(reports["report_entity_pairs"])
    assert "figures" not in report_upstreams(reports["report_entity_pairs"])
