"""Report assets' upstreams come from their SQL: the tables after FROM and JOIN, checked against DuckDB's parser."""

import json
import re

import duckdb
import pytest

from pipelines.defs.assets import WAREHOUSE_TABLES
from pipelines.defs.reports import report_assets, report_upstreams
from pipelines.lib.report_lineage import relations_read, tables_read
from pipelines.lib.reports import list_reports, statements

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


CREATE_TEMP_TABLE = re.compile(r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+TABLE\s+(\w+)\s+AS\s+(.*)",
                               re.IGNORECASE | re.DOTALL)


def _base_tables(node, found: set[str], ctes: set[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "BASE_TABLE":
            found.add(node["table_name"].lower())
        ctes.update(entry["key"].lower() for entry in node.get("cte_map", {}).get("map", []))
        for value in node.values():
            _base_tables(value, found, ctes)
    elif isinstance(node, list):
        for value in node:
            _base_tables(value, found, ctes)


def parser_tables(sql: str) -> set[str]:
    """The tables DuckDB's own parser finds in every statement of a file (its parse tree, no binding: a USING join
    over a relation it cannot see stops the binder, not the parser), less CTEs and the TEMP tables the file makes."""
    found, ctes, created = set(), set(), set()
    for statement in statements(sql):
        if match := CREATE_TEMP_TABLE.match(statement):
            created.add(match[1].lower())
            statement = match[2]
        tree = json.loads(duckdb.sql("SELECT json_serialize_sql(?::VARCHAR)", params=[statement]).fetchone()[0])
        assert not tree["error"], (tree.get("error_message"), statement)
        _base_tables(tree["statements"], found, ctes)
    return found - ctes - created


def test_the_parser_reading_sees_ctes_temp_tables_and_several_statements():
    sql = ("CREATE OR REPLACE TEMP TABLE chosen AS SELECT entity_id FROM mentions;\n"
           "WITH named AS (SELECT * FROM entities) SELECT * FROM chosen JOIN named USING (entity_id) "
           "WHERE entity_id IN (SELECT entity_id FROM figure_entity_links)")
    assert parser_tables(sql) == {"mentions", "entities", "figure_entity_links"}


@pytest.mark.parametrize("report", list_reports(), ids=lambda report: report.name)
def test_the_relations_of_every_sql_file_agree_with_duckdbs_parser(report):
    assert relations_read(report.sql) == parser_tables(report.sql)


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
