"""Tests for pipelines.tooling.synthetic: the benchmark corpus is deterministic, bilingual and varied.
Small corpora only (tens of articles), so the tests stay fast."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest

from pipelines.lib.language import detect_language
from pipelines.lib.metadata import parse_article
from pipelines.tooling.synthetic import (
    FILES_PER_FOLDER, LAYOUTS, format_number, generate_corpus, inflect_albanian,
)


def read_corpus(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.glob("*/*.txt"))}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    return generate_corpus(root, 60, seed=11)


def test_same_seed_writes_identical_files(tmp_path):
    first = generate_corpus(tmp_path / "a", 30, seed=5)
    second = generate_corpus(tmp_path / "b", 30, seed=5)
    assert read_corpus(first.root) == read_corpus(second.root)
    assert len(read_corpus(first.root)) == 30


def test_other_seed_writes_other_files(tmp_path):
    first = read_corpus(generate_corpus(tmp_path / "a", 30, seed=5).root)
    second = read_corpus(generate_corpus(tmp_path / "b", 30, seed=6).root)
    assert first.keys() == second.keys()
    assert all(first[name] != second[name] for name in first)


def test_files_sit_in_numbered_folders(tmp_path):
    corpus = generate_corpus(tmp_path, 12, seed=1, first_index=FILES_PER_FOLDER - 5)
    folders = sorted({path.parent.name for path in corpus.paths()})
    assert folders == ["0000", "0001"]
    assert len(corpus.paths()) == 12


def test_first_index_adds_new_files_beside_old_ones(tmp_path):
    generate_corpus(tmp_path, 10, seed=1)
    added = generate_corpus(tmp_path, 5, seed=2, first_index=10)
    assert added.articles == 5
    assert len(list(tmp_path.glob("*/*.txt"))) == 15


def test_both_languages_about_half_each(corpus):
    texts = pl.Series([path.read_text(encoding="utf-8") for path in corpus.paths()])
    detected = detect_language(texts).value_counts()
    counts = dict(zip(detected[detected.columns[0]].to_list(), detected["count"].to_list()))
    assert set(corpus.language_counts) == {"en", "sq"}
    assert counts.get("en", 0) >= 15 and counts.get("sq", 0) >= 15
    # The detector agrees with the language the generator wrote.
    assert counts.get("en", 0) == corpus.language_counts["en"]


def test_header_layouts_are_varied_and_parse(corpus):
    assert len(corpus.layout_counts) >= 8
    parsed = [parse_article(path.read_text(encoding="utf-8")) for path in corpus.paths()]
    titled = sum(article.title is not None for article in parsed)
    dated = sum(article.published_at is not None for article in parsed)
    with_author = sum(article.author is not None for article in parsed)
    assert titled >= 0.9 * len(parsed)
    assert dated >= 0.7 * len(parsed)
    assert with_author >= 0.2 * len(parsed)


def test_every_layout_is_written_for_its_language(tmp_path):
    corpus = generate_corpus(tmp_path, 400, seed=3, words=40)
    names = {layout.__name__.removeprefix("layout_") for layouts in LAYOUTS.values() for layout in layouts}
    assert set(corpus.layout_counts) == names


def test_sizes_are_about_the_requested_words(corpus, tmp_path):
    word_counts = [len(path.read_text(encoding="utf-8").split()) for path in corpus.paths()]
    assert 650 <= sum(word_counts) / len(word_counts) <= 950
    assert 4_000 <= corpus.bytes_written / corpus.articles <= 7_000
    short = generate_corpus(tmp_path, 10, seed=2, words=200)
    short_counts = [len(path.read_text(encoding="utf-8").split()) for path in short.paths()]
    assert 150 <= sum(short_counts) / len(short_counts) <= 300


def test_albanian_text_holds_inflected_names_and_both_number_formats(corpus):
    albanian = [text for path in corpus.paths()
                if (text := path.read_text(encoding="utf-8")) and detect_language(pl.Series([text]))[0] == "sq"]
    joined = "\n".join(albanian)
    assert "për qind" in joined or "përqind" in joined
    assert any(mark in joined for mark in ("milionë", "miliardë", "mijë"))
    assert pl.Series([joined]).str.contains(r"\d\.\d{3},\d")[0]  # 1.234,5


@pytest.mark.parametrize(("name", "inflected_start", "allowed"), [
    ("NATO", "NATO-", {"NATO-s", "NATO-së", "NATO-në", "NATO-ja"}),
    ("Ukrainë", "Ukrain", {"Ukraina", "Ukrainës", "Ukrainën"}),
    ("Putin", "Putin", {"Putini", "Putinit", "Putinin"}),
    ("Rusi", "Rusi", {"Rusit", "Rusin", "Rusia", "Rusisë"}),
])
def test_inflect_albanian(name, inflected_start, allowed):
    rng = random.Random(0)
    forms = {inflect_albanian(name, rng) for _ in range(40)}
    assert forms <= allowed and len(forms) >= 2
    assert all(form.startswith(inflected_start) for form in forms)


def test_format_number_by_language():
    assert format_number(1234.5, 1, "en", random.Random(0)) == "1,234.5"
    albanian = {format_number(1234.5, 1, "sq", random.Random(seed)) for seed in range(40)}
    assert albanian == {"1.234,5", "1,234.5"}
