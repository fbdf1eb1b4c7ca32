"""Tests for the evaluation harness: scoring arithmetic on hand-made inputs, gold loading, and the gold set's shape."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from pipelines.tooling.evaluate import (
    EvaluationReport,
    GoldArticle,
    GoldEntity,
    GoldFigure,
    PrecisionRecall,
    build_name_index,
    candidate_aliases,
    remap_candidates,
    figure_key,
    format_report,
    gold_identity_counts,
    load_gold,
    name_key,
    predicted_identity_counts,
    score_article,
    score_entities,
    score_figures,
)

GOLD_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "gold"
ENTITY_TYPES = {"PERSON", "ORG", "GPE", "LOC", "EVENT", "OTHER"}
NAMED_UNITS = {
    "percent", "percentage_point", "fraction", "multiplier", "count",
    "years", "months", "weeks", "days", "hours", "km", "km2", "tonne", "m3", "hectare", "year", "date",
    "kg", "MW", "MWh", "barrel",  # measures the figures vocabulary also knows (docs/figures.md)
    "age",  # ages (`80 vjeç`, `a 35-year-old`) are their own unit since issue 14
}  # fmt: skip
CURRENCY_OR_RATE = re.compile(r"^[A-Z]{3}$|^[A-Za-z0-9]+_per_[A-Za-z0-9]+$")


def test_entity_scores_compare_identity_sets_and_counts():
    """Gold {A:4, B:2, C:1}, predicted {A:3, B:2, D:5}.
    TP = {A, B} = 2, FP = {D} = 1, FN = {C} = 1 -> P = 2/3, R = 2/3, F1 = 2/3.
    Count errors on matched: |4-3| = 1 and |2-2| = 0 -> MAE 0.5; relative 1/4 and 0 -> 0.125."""
    score = score_entities({"Q1": 4, "Q2": 2, "cand:agim berisha": 1}, {"Q1": 3, "Q2": 2, "Q9": 5})
    assert score.identities == PrecisionRecall(2, 1, 1)
    assert score.identities.precision == pytest.approx(2 / 3)
    assert score.identities.recall == pytest.approx(2 / 3)
    assert score.identities.f1 == pytest.approx(2 / 3)
    assert score.count_mean_absolute_error == pytest.approx(0.5)
    assert score.count_mean_relative_error == pytest.approx(0.125)
    assert score.missed == (("cand:agim berisha", 1),)
    assert score.spurious == (("Q9", 5),)


def test_entity_scores_with_no_predictions_have_zero_recall_and_f1():
    """Gold {A}, predicted {} -> TP 0, FN 1: P = 1 (no wrong claim), R = 0, F1 = 0; no matched counts -> MAE None."""
    score = score_entities({"Q1": 2}, {})
    assert (score.identities.precision, score.identities.recall, score.identities.f1) == (1.0, 0.0, 0.0)
    assert score.count_mean_absolute_error is None


def test_gold_names_resolve_through_names_albanian_names_and_aliases_case_blind():
    entities = pl.DataFrame(
        {
            "entity_id": ["Q1", "Q2", "Q3"],
            "name": ["Albin Kurti", "European Union", "Kyiv"],
            "entity_type": ["PERSON", "ORG", "GPE"],
            "name_sq": ["Albin Kurti", "Bashkimi Evropian", "Kievi"],
        }
    )
    # 'EU' is deliberately also an alias of Q3 to show that the canonical name still wins for 'European Union'.
    aliases = pl.DataFrame({"entity_id": ["Q2", "Q3", "Q3"], "alias": ["EU", "Kiev", "European Union"]})
    index = build_name_index(entities, aliases)
    gold = (
        GoldEntity("albin kurti", "PERSON", 3),
        GoldEntity("European Union", "ORG", 2),
        GoldEntity("Kiev", "GPE", 1),
        GoldEntity("Agim Berisha", "PERSON", 1, in_gazetteer_expected=False),
    )
    assert gold_identity_counts(gold, index) == {"Q1": 3, "Q2": 2, "Q3": 1, "cand:agim berisha": 1}


def test_unlinked_candidates_match_gold_names_with_the_same_key():
    """Predicted 'cand:agim_berisha' (any separator, accents or case) matches gold 'Agim Berisha'."""
    mentions = pl.DataFrame(
        {
            "article_id": ["a", "a", "a", "b"],
            "entity_id": ["cand:Agim_Berisha", "cand:agim-berisha", "Q1", "cand:ardian çela"],
        }
    )
    counts = predicted_identity_counts(mentions)
    assert counts == {"a": {"cand:agim berisha": 2, "Q1": 1}, "b": {"cand:ardian cela": 1}}
    assert name_key("Ardian Çela") == name_key("ARDIAN-CELA") == "ardian cela"


def test_figure_keys_round_to_six_significant_digits_and_use_text_for_dates():
    assert figure_key("EUR", 1_200_000_000, None) == figure_key("EUR", 1_200_000_000.0000004, "1,2 miliardë")
    assert figure_key("percent", 0.8, None) != figure_key("percent", 0.81, None)
    assert figure_key("date", None, "2026-02") == ("date", "2026-02")
    assert figure_key("date", float("nan"), "2026-02") == ("date", "2026-02")


def test_figure_scores_are_a_multiset_match_with_per_unit_breakdown():
    """Gold: 12 percent, 12 percent, 1200 count, 2026-02 date. Predicted: 12 percent, 1200 USD, 2026-02 date, 5 years.
    Matched: one 12 percent + the date = 2. FP: USD 1200, years 5 = 2. FN: second 12 percent, count 1200 = 2.
    P = 2/4, R = 2/4, F1 = 0.5. percent: TP 1 FN 1 -> R 0.5; date: TP 1; USD: FP 1 -> P 0."""
    gold = [("percent", "12"), ("percent", "12"), ("count", "1200"), ("date", "2026-02")]
    predicted = [("percent", "12"), ("USD", "1200"), ("date", "2026-02"), ("years", "5")]
    score = score_figures(gold, predicted)
    assert score.figures == PrecisionRecall(2, 2, 2)
    assert score.figures.f1 == pytest.approx(0.5)
    assert score.by_unit["percent"] == PrecisionRecall(1, 0, 1)
    assert score.by_unit["date"] == PrecisionRecall(1, 0, 0)
    assert score.by_unit["USD"].precision == 0.0
    assert score.missed == (("count", "1200"), ("percent", "12"))


def test_report_micro_and_macro_averages():
    """Article x: entities TP 2 FP 0 FN 2 (P 1, R .5, F1 2/3). Article y: TP 1 FP 1 FN 0 (P .5, R 1, F1 2/3).
    Micro: TP 3 FP 1 FN 2 -> P 3/4, R 3/5, F1 = 2*.75*.6/1.35 = 2/3. Macro P = .75, R = .75, F1 = 2/3."""
    x = GoldArticle("x", Path("x.txt"), "sq", tuple(GoldEntity(n, "PERSON", 1) for n in "ABCD"), ())
    y = GoldArticle("y", Path("y.txt"), "en", (GoldEntity("A", "PERSON", 2),), ())
    report = EvaluationReport(
        articles=(
            score_article(x, {}, {"cand:a": 1, "cand:b": 1}, []),
            score_article(y, {}, {"cand:a": 2, "cand:z": 1}, []),
        )
    )
    assert report.entity_micro == PrecisionRecall(3, 1, 2)
    assert report.entity_micro.f1 == pytest.approx(2 / 3)
    assert report.entity_macro["precision"] == pytest.approx(0.75)
    assert report.entity_macro["f1"] == pytest.approx(2 / 3)
    assert report.count_mean_absolute_error == 0.0


def test_every_entity_miss_is_listed_with_its_article():
    from pipelines.tooling.evaluate import format_entity_misses

    x = GoldArticle("x", Path("x.txt"), "sq", tuple(GoldEntity(n, "PERSON", 1) for n in "ABCD"), ())
    report = EvaluationReport(articles=(score_article(x, {}, {"cand:a": 1, "cand:b": 1, "cand:z": 3}, []),))
    lines = format_entity_misses(report).splitlines()
    assert lines[:3] == ["missed\tx\tcand:c\t1", "missed\tx\tcand:d\t1", "spurious\tx\tcand:z\t3"]
    assert lines[-1] == "entities micro P 66.7 R 50.0 F1 57.1 (tp 2, fp 1, fn 2)"


def test_format_report_lists_articles_units_and_worst_misses():
    gold = GoldArticle(
        "g99_test",
        Path("g99_test.txt"),
        "en",
        (GoldEntity("Agim Berisha", "PERSON", 3),),
        (GoldFigure("90 percent", 90.0, "percent"),),
    )
    article = score_article(gold, {}, {"cand:vladimir": 1}, [("USD", "80")])
    text = format_report(EvaluationReport(articles=(article,), gold_entities_total=1))
    assert "| g99_test | en |" in text
    assert "cand:agim berisha ×3" in text
    assert "`90 percent`" in text
    assert "| percent | 1 | 0 |" in text
    assert isinstance(json.dumps(EvaluationReport(articles=(article,)).as_dict()), str)


def test_load_gold_reads_annotation_and_article_path(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "annotations").mkdir()
    (tmp_path / "articles" / "g01_x.txt").write_text("Title\n\nBody 12%.", encoding="utf-8")
    annotation = {
        "article": "g01_x.txt",
        "language": "en",
        "entities": [{"name": "Agim Berisha", "type": "PERSON", "count": 1, "in_gazetteer_expected": False}],
        "figures": [
            {"surface": "12%", "value": 12, "unit": "percent"},
            {"surface": "shkurt 2026", "value": None, "value_text": "2026-02", "unit": "date"},
        ],
    }
    (tmp_path / "annotations" / "g01_x.json").write_text(json.dumps(annotation), encoding="utf-8")
    [article] = load_gold(tmp_path)
    assert article.article_id == "g01_x"
    assert article.entities[0] == GoldEntity("Agim Berisha", "PERSON", 1, in_gazetteer_expected=False)
    assert article.figures[1].value is None and article.figures[1].value_text == "2026-02"


def test_load_gold_names_a_missing_article(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "g01_x.json").write_text(
        json.dumps({"article": "g01_missing.txt", "language": "en", "entities": [], "figures": []}), encoding="utf-8"
    )
    with pytest.raises(FileNotFoundError, match="g01_missing.txt"):
        load_gold(tmp_path)


def _gold_articles() -> list[GoldArticle]:
    return load_gold(GOLD_DIR)


def test_gold_set_is_well_formed():
    """Every annotation uses the shared vocabulary, and every figure surface appears in its article."""
    articles = _gold_articles()
    assert len(articles) >= 12
    for article in articles:
        text = article.article_path.read_text(encoding="utf-8")
        assert article.language in {"en", "sq"}, article.article_id
        assert 250 <= len(text.split()) <= 800, article.article_id
        for entity in article.entities:
            assert entity.entity_type in ENTITY_TYPES, (article.article_id, entity)
            assert entity.count >= 1, (article.article_id, entity)
        for figure in article.figures:
            assert figure.surface in text, (article.article_id, figure.surface)
            assert figure.unit in NAMED_UNITS or CURRENCY_OR_RATE.match(figure.unit), (article.article_id, figure)
            if figure.unit == "date":
                assert figure.value is None and re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", figure.value_text or "")
            else:
                assert figure.value is not None, (article.article_id, figure)
            if figure.unit == "count":
                assert figure.counted, (article.article_id, figure)


def test_candidates_keyed_by_the_extractor_convention_map_to_gold_names():
    """The extractor keys 'Blerina Gashit' as 'cand:blerina_gash' (case ending dropped); the gold name 'Blerina Gashi'
    run through the same key function gives the same id, so those mentions count for the gold entity."""

    def system_key(name: str, language: str) -> str:
        return "cand:" + name.lower().rstrip("it").replace(" ", "_") if language == "sq" else "cand:" + name.lower()

    gold = GoldArticle("x", Path("x.txt"), "sq", (GoldEntity("Blerina Gashi", "PERSON", 2), GoldEntity("Kurti", "PERSON", 1)), ())
    aliases = candidate_aliases(gold, {"kurti": "Q1"}, system_key)
    assert aliases == {"cand:blerina gash": "cand:blerina gashi"}
    assert remap_candidates({"cand:blerina gash": 2, "Q1": 1}, aliases) == {"cand:blerina gashi": 2, "Q1": 1}
