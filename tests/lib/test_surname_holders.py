"""The corpus-wide surname rule (views surname_holders and resolved_mentions) on a real DuckDB file: a bare
unknown surname takes the holder that dominates its full-name mentions, and nothing else."""

import duckdb
import polars as pl
import pytest

from pipelines.lib.entities import candidate_key
from pipelines.lib.warehouse import ensure_schema


def mention(article, surface, entity_id=None, match_rule="candidate"):
    return {"article_id": article, "entity_id": entity_id or candidate_key(surface), "surface": surface,
            "field": "body", "char_start": 0, "char_end": len(surface), "match_rule": match_rule}


def full_names(surface, count, first_article=0):
    """`count` full-name mentions spread over articles f<first_article>, f<first_article+1>, ..."""
    return [mention(f"f{first_article + index}", surface) for index in range(count)]


def resolved(tmp_path, rows, entity_types=None):
    """entity_id of each row of article 'bare' after resolved_mentions, in insertion order."""
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(connection)
    frame = pl.DataFrame(rows)
    connection.register("rows", frame.to_arrow())
    connection.execute("INSERT INTO mentions (article_id, entity_id, surface, field, char_start, char_end, match_rule) "
                       "SELECT article_id, entity_id, surface, field, char_start, char_end, match_rule FROM rows")
    for entity_id, entity_type in (entity_types or {}).items():
        connection.execute("INSERT INTO entities VALUES (?, ?, ?, NULL, NULL, false)", [entity_id, entity_id, entity_type])
    found = connection.sql("SELECT surface, entity_id, corpus_surname FROM resolved_mentions "
                           "WHERE article_id = 'bare' ORDER BY surface").fetchall()
    connection.close()
    return found


CASES = [
    # (rows, entity types, expected (surface, entity_id, corpus_surname) rows of article 'bare')
    pytest.param(full_names("Sayfullo Saipov", 5) + [mention("bare", "Saipov")], {},
                 [("Saipov", "cand:sayfullo_saipov", True)], id="en one holder, 5 mentions"),
    pytest.param(full_names("Blerina Gashi", 3) + full_names("Blerina Gashit", 2, 3) + [mention("bare", "Gashit")], {},
                 [("Gashit", "cand:blerina_gash", True)], id="sq inflected forms are one holder"),
    pytest.param(full_names("Blerina Gashi", 8) + full_names("Arta Gashi", 2, 8) + [mention("bare", "Gashi")], {},
                 [("Gashi", "cand:blerina_gash", True)], id="80 percent dominates"),
    # never a guess
    pytest.param(full_names("Sayfullo Saipov", 4) + [mention("bare", "Saipov")], {},
                 [("Saipov", "cand:saipov", False)], id="fewer than 5 full-name mentions"),
    pytest.param(full_names("Blerina Gashi", 7) + full_names("Arta Gashi", 3, 7) + [mention("bare", "Gashi")], {},
                 [("Gashi", "cand:gash", False)], id="70 percent does not dominate"),
    pytest.param(full_names("Sayfullo Saipov", 6) + [mention("bare", "Saipov"), mention("bare", "Rustam Saipov")], {},
                 [("Rustam Saipov", "cand:rustam_saipov", False), ("Saipov", "cand:saipov", False)],
                 id="the article names another full name with the surname"),
    pytest.param(full_names("Sayfullo Saipov", 6) + [mention("bare", "Saipov", match_rule="surname_unresolved")], {},
                 [("Saipov", "cand:saipov", False)], id="a gazetteer surname left unresolved stays so"),
    pytest.param(full_names("Northwind Traders", 6) + [mention("bare", "Traders")], {candidate_key("Northwind Traders"): "ORG"},
                 [("Traders", candidate_key("Traders"), False)], id="an organisation lends no surname"),
]


@pytest.mark.parametrize(("rows", "entity_types", "expected"), CASES)
def test_corpus_wide_surname(tmp_path, rows, entity_types, expected):
    assert resolved(tmp_path, rows, entity_types) == expected


def test_holders_view_states_its_counts(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(connection)
    rows = pl.DataFrame(full_names("Blerina Gashi", 8) + full_names("Arta Gashi", 2, 8))
    connection.register("rows", rows.to_arrow())
    connection.execute("INSERT INTO mentions (article_id, entity_id, surface, field, char_start, char_end, match_rule) "
                       "SELECT article_id, entity_id, surface, field, char_start, char_end, match_rule FROM rows")
    assert connection.sql("SELECT * FROM surname_holders").fetchall() == [
        ("cand:gash", "cand:blerina_gash", 8, 8, 10, 0.8)]
    connection.close()
