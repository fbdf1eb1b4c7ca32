"""Checks report parameters against the `-- values:` lines of a report header before any SQL runs,
and turns an entity given by any name into its entity_id, so a wrong value is an error that lists what is allowed."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date
from typing import Callable

from pipelines.lib.lookup import EntityNames

# In the order the docs list them; the gazetteer validates the same set.
ENTITY_TYPE_ORDER = ("PERSON", "ORG", "GPE", "LOC", "EVENT", "OTHER")
FORMAT_TOKENS = ("entity", "entity_type", "YYYY-MM", "YYYY-MM-DD", "timezone", "integer", "language")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")


class ParameterError(ValueError):
    """A parameter value the report cannot use; the message says what it accepts."""


@dataclass(frozen=True)
class CheckedParameters:
    values: dict[str, object]                 # what is bound: entity names replaced by entity ids
    entities: dict[str, tuple[str, str]]      # parameter -> (entity name, entity_id) for entity parameters


def alternatives(spec: str) -> list[str]:
    return [part.strip() for part in spec.split("|") if part.strip()]


def describe(spec: str) -> str:
    """'day | week | month' -> 'day, week or month'; format tokens read as prose."""
    words = {"YYYY-MM": "a month written YYYY-MM (e.g. 2025-10)", "YYYY-MM-DD": "a date written YYYY-MM-DD (e.g. 2025-11-15)",
             "timezone": "an IANA time zone (e.g. Europe/Tirane, UTC)", "integer": "a whole number (e.g. 20)",
             "language": "an ISO 639-1 language code (e.g. en, sq)",
             "entity_type": "one of " + ", ".join(ENTITY_TYPE_ORDER) + " (any case)",
             "entity": "an entity by any name"}
    parts = [words.get(part, part) for part in alternatives(spec)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _check_one(name: str, value: object, spec: str) -> object:
    """The value in the form the SQL expects, or a ParameterError saying what `name` accepts."""
    text = str(value).strip()
    for part in alternatives(spec):
        if part == "integer":
            if isinstance(value, int) and value >= 0:
                return value
        elif part == "YYYY-MM":
            if MONTH.match(text):
                return text
        elif part == "YYYY-MM-DD":
            if DAY.match(text):
                try:
                    return date.fromisoformat(text).isoformat()
                except ValueError:  # 2025-02-30
                    pass
        elif part == "timezone":
            try:
                zoneinfo.ZoneInfo(text)
                return text
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass
        elif part == "language":
            if LANGUAGE.match(text.lower()):
                return text.lower()
        elif part == "entity_type":
            if text.upper() in ENTITY_TYPE_ORDER:
                return text.upper()
        elif part not in FORMAT_TOKENS and text.lower() == part.lower():
            return part
    raise ParameterError(f"{name} must be {describe(spec)}, not {text!r}")


def check_parameters(report, values: dict[str, object],
                     names: Callable[[], EntityNames] | None = None) -> CheckedParameters:
    """Validate `values` against the report's `-- values:` specs; entity parameters are looked up through
    `names()` (built only when an entity parameter is given). Raises ParameterError."""
    known = {p.name: p for p in report.parameters}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ParameterError(f"report {report.name} has no parameter {', '.join(unknown)}; "
                             f"it takes: {', '.join(known) or 'none'}")
    missing = [p.name for p in report.parameters if p.required and values.get(p.name) is None]
    if missing:
        spec = known[missing[0]].values
        raise ParameterError(f"{missing[0]} is required: --param {missing[0]}=VALUE"
                             + (f" ({describe(spec)})" if spec else ""))
    checked, entities, lookup = dict(values), {}, None
    for name, value in values.items():
        spec = known[name].values
        if value is None or not spec:
            continue
        if spec == "entity":
            lookup = lookup or names()
            found = lookup.resolve(str(value))
            if not found.height:
                raise lookup.not_found(name, str(value))
            entity_id, entity_name = found["entity_id"][0], found["name"][0]
            checked[name], entities[name] = entity_id, (entity_name, entity_id)
        else:
            checked[name] = _check_one(name, value, spec)
    return CheckedParameters(values=checked, entities=entities)
