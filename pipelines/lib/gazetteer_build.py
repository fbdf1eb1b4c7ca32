"""Generate the countries-and-capitals part of the gazetteer from Babel/CLDR and pycountry.
Run `python -m pipelines.lib.gazetteer_build`; it rewrites reference/gazetteer/countries.generated.tsv and prints what changed."""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping
from pathlib import Path

import pycountry
from babel import Locale

from pipelines.lib.gazetteer import DEFAULT_DIRECTORY, GAZETTEER_COLUMNS

SOURCES_FILE = DEFAULT_DIRECTORY / "sources" / "countries_extra.tsv"
OUTPUT_FILE = DEFAULT_DIRECTORY / "countries.generated.tsv"

# CLDR territory codes that are not in pycountry but are countries in this news domain.
EXTRA_TERRITORIES = ("XK",)


def country_entity_id(iso2: str) -> str:
    """A country's id is its ISO 3166 alpha-2 code (XK for Kosovo, as CLDR), never its name: CLDR renames
    territories between versions, and an id must not change under an analyst's saved queries."""
    return f"gpe:iso:{iso2}"


def read_country_extras(path: Path = SOURCES_FILE) -> dict[str, dict[str, str]]:
    """Capitals and certain Wikidata ids, keyed by ISO 3166 alpha-2 code."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t")
    return {row["iso2"]: row for row in reader}


def english_display(name: str) -> str:
    # CLDR writes "Bosnia & Herzegovina"; news writes "and".
    return name.replace(" & ", " and ")


def country_rows(english: Mapping[str, str] | None = None, albanian: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """One gazetteer row per country and one per known capital (names by territory code: CLDR's by default)."""
    english = Locale("en").territories if english is None else english
    albanian = Locale("sq").territories if albanian is None else albanian
    extras = read_country_extras()
    codes = [country.alpha_2 for country in pycountry.countries] + list(EXTRA_TERRITORIES)
    rows: list[dict[str, str]] = []
    country_alias_keys: set[str] = set()
    alias_keys_by_country: dict[str, set[str]] = {}
    for code in sorted(set(codes)):
        name_en = english_display(english.get(code, ""))
        name_sq = albanian.get(code, "")
        if not name_en:
            continue
        aliases = [f"{name_en} {{en}}", f"{english.get(code)} {{en}}"]
        if name_sq:
            aliases.append(f"{name_sq} {{sq}}")
        country = pycountry.countries.get(alpha_2=code)
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None) if country else None
            if value:
                aliases.append(f"{value} {{en,variant}}")
        unique_aliases = list(dict.fromkeys(aliases))
        alias_keys_by_country[code] = {alias.split(" {")[0] for alias in unique_aliases}
        country_alias_keys.update(alias_keys_by_country[code])
        extra = extras.get(code, {})
        rows.append(
            {
                "entity_id": country_entity_id(code),
                "entity_type": "GPE",
                "name": name_en,
                "name_sq": name_sq,
                "wikidata_id": extra.get("country_wikidata", ""),
                "aliases": " | ".join(unique_aliases),
            }
        )
    for code, extra in sorted(extras.items()):
        # A city-state's capital (Monaco, Vatican City) is the country itself, not a second entity.
        if extra["capital_en"] not in alias_keys_by_country.get(code, set()):
            rows.append(capital_row(extra, country_alias_keys))
    return rows


def capital_row(extra: dict[str, str], country_alias_keys: set[str]) -> dict[str, str]:
    """A capital city; spellings equal to a country name are left to the country."""
    spellings = [f"{extra['capital_en']} {{en}}", f"{extra['capital_sq']} {{sq}}"]
    spellings += [f"{variant} {{any,variant}}" for variant in extra["capital_variants"].split("|") if variant]
    kept = [s for s in dict.fromkeys(spellings) if s.split(" {")[0] not in country_alias_keys]
    return {
        "entity_id": extra["capital_entity_id"],
        "entity_type": "GPE",
        "name": extra["capital_en"],
        "name_sq": extra["capital_sq"],
        "wikidata_id": "",
        "aliases": " | ".join(kept),
    }


def read_generated_rows(path: Path = OUTPUT_FILE) -> list[dict[str, str]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def describe_changes(before: list[dict[str, str]], after: list[dict[str, str]]) -> list[str]:
    """Readable differences between two versions of the generated rows, keyed by entity_id: rows added and
    removed (an id change shows as both, which is what a review must catch), then the columns that changed."""
    old = {row["entity_id"]: row for row in before}
    new = {row["entity_id"]: row for row in after}
    lines = [f"- removed {entity_id} ({old[entity_id]['name']})" for entity_id in sorted(old.keys() - new.keys())]
    lines += [f"+ added {entity_id} ({new[entity_id]['name']})" for entity_id in sorted(new.keys() - old.keys())]
    for entity_id in sorted(old.keys() & new.keys()):
        for column in GAZETTEER_COLUMNS:
            if old[entity_id].get(column, "") != new[entity_id].get(column, ""):
                lines.append(f"~ {entity_id} {column}: {old[entity_id].get(column, '')!r} -> {new[entity_id].get(column, '')!r}")
    if not lines and [row["entity_id"] for row in before] != [row["entity_id"] for row in after]:
        lines.append("~ same rows in another order")
    return lines


def write_rows(rows: list[dict[str, str]], path: Path = OUTPUT_FILE) -> None:
    header = "# GENERATED by `python -m pipelines.lib.gazetteer_build` from Babel/CLDR, pycountry and sources/. Do not edit.\n"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        writer = csv.DictWriter(handle, fieldnames=list(GAZETTEER_COLUMNS), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    before = read_generated_rows() if OUTPUT_FILE.exists() else []
    rows = country_rows()
    write_rows(rows)
    changes = describe_changes(before, rows)
    print(f"wrote {len(rows)} entities to {OUTPUT_FILE}; {len(changes)} change(s) to review:")
    print("\n".join(changes))
    removed = [line for line in changes if line.startswith("- removed")]
    if removed:
        print(f"{len(removed)} id(s) disappeared: if an entity was renamed, add the old id to "
              "reference/gazetteer/renames/entity_id_renames.tsv", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
