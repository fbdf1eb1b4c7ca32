"""Which stored tables a `sql/` report reads, from its FROM and JOIN clauses, so its asset's upstreams are true.

Views of schema.sql are followed to the tables under them; tables the ingest batch maintains beside another one
(renames beside entities) count as that table. Common-table-expression names and table functions are not tables."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("schema.sql")

# Written by the batch in the same transaction as, and from, the named table: reading one is reading the other.
MAINTAINED_WITH = {"entity_id_renames": "entities"}

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_STRING = re.compile(r"'(?:[^']|'')*'")
_CTE_NAME = re.compile(r"(?:\bWITH\s+(?:RECURSIVE\s+)?|,\s*)([A-Za-z_]\w*)\s+AS\s+(?:NOT\s+)?(?:MATERIALIZED\s+)?\(",
                       re.IGNORECASE)
# A relation after FROM or JOIN, not a table function (a name followed by an opening parenthesis) or a subquery.
# Tables the SQL creates for its own later statements (a build step's TEMP tables) are local, as CTEs are.
_CREATED = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                      r"([A-Za-z_]\w*)", re.IGNORECASE)
_RELATION = re.compile(r"\b(?:FROM|JOIN)\s+(?:[A-Za-z_]\w*\.)?([A-Za-z_]\w*)\b(?!\s*\()", re.IGNORECASE)
_VIEW = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_]\w*)\s+AS\s+(.*?);",
                   re.IGNORECASE | re.DOTALL)
_RESERVED = {"select", "values", "lateral", "unnest"}


def _code(sql: str) -> str:
    """The SQL without comments and string literals, which may hold the words FROM or JOIN."""
    return _STRING.sub("''", _COMMENT.sub(" ", sql))


def relations_read(sql: str) -> set[str]:
    """Names after FROM/JOIN that are not the query's own common table expressions or tables (lower case)."""
    code = _code(sql)
    local = {name.lower() for name in (*_CTE_NAME.findall(code), *_CREATED.findall(code))}
    return {name.lower() for name in _RELATION.findall(code)} - local - _RESERVED


@lru_cache(maxsize=1)
def schema_views() -> dict[str, str]:
    """View name -> its defining query, from schema.sql."""
    return {name.lower(): body for name, body in _VIEW.findall(_code(SCHEMA_FILE.read_text()))}


def tables_read(sql: str, known_tables: set[str] | frozenset[str]) -> set[str]:
    """The known tables `sql` reads, views followed to their tables and maintained tables to their source."""
    views = schema_views()
    found: set[str] = set()
    pending, seen = list(relations_read(sql)), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in views:
            pending.extend(relations_read(views[name]))
            continue
        name = MAINTAINED_WITH.get(name, name)
        if name in known_tables:
            found.add(name)
    return found
