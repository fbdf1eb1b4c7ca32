"""The surname-after-full-name measure: which gold pairs it counts, and how it scores Kronika's mentions."""

import polars as pl

from pipelines.lib.gazetteer import load_gazetteer
from pipelines.tooling.surname_eval import annotated_documents, gold_pairs, measure
from pipelines.tooling.ner_markup import parse_markup


def documents(*annotated_texts, language="en"):
    rows = []
    for index, annotated in enumerate(annotated_texts):
        text, spans = parse_markup(annotated)
        rows.append({"document_id": f"d{index}", "language": language, "text": text,
                     "spans": [{"start": s.start, "end": s.end, "entity_type": s.entity_type} for s in spans]})
    return pl.DataFrame(rows)


def test_pairs_are_a_surname_after_one_full_name_in_the_same_document():
    frame = documents(
        "[[Stephen Miller|PERSON]] spoke.\n[[Miller|PERSON]] left; [[Miller|PERSON]] came back.",
        # before the full name, another type, or the surname of two full names: not pairs
        "[[Koval|PERSON]] first. [[Bujar Koval|PERSON]] and [[Arben Koval|PERSON]] met. [[Koval|PERSON]] left.",
        "[[Stephen Miller|PERSON]] at [[Miller|ORG]].",
    )
    pairs, ambiguous = gold_pairs(frame)
    assert [(document, start) for document, start, *_ in pairs] == [("d0", 22), ("d0", 35)]
    assert ambiguous == 1


def test_albanian_inflection_is_folded_in_gold_pairs():
    frame = documents("[[Blerina Gashi|PERSON]] foli. Sipas [[Gashit|PERSON]], jo.", language="sq")
    pairs, _ = gold_pairs(frame)
    assert len(pairs) == 1


def test_measure_runs_the_entity_stage_on_whole_documents():
    frame = documents(
        "[[Stephen Koval|PERSON]] spoke.\nMr. [[Koval|PERSON]] said more.",  # linked by the short-form rule
        "[[Stephen Koval|PERSON]] spoke.\nThen [[Koval|PERSON]] said more.",  # the typer finds the bare word too
    )
    score = measure(frame, "hand", load_gazetteer())
    assert (score.documents, score.pairs, score.linked) == (2, 2, 2)
    assert score.rate == 1.0


def test_the_ntrex_test_sets_read_as_documents():
    frame = annotated_documents(__import__("pathlib").Path("data/ner/sq_ntrex"), "sq")
    assert frame.height == 28
    for text, spans in frame.select("text", "spans").head(3).iter_rows():
        assert all(0 <= span["start"] < span["end"] <= len(text) for span in spans)


def test_the_dev_split_reads_the_albanian_dev_documents_and_never_a_test_set():
    from pipelines.tooling.surname_eval import split_sets

    sets = dict(split_sets("dev"))
    assert sets["sq_ntrex"].height == 15  # data/ner/sq_ntrex/dev.tsv
    assert "en_ntrex" not in sets  # the English NTREX side is annotated for test only
    test_documents = set(annotated_documents(__import__("pathlib").Path("data/ner/sq_ntrex"), "sq")["document_id"])
    assert not test_documents & set(sets["sq_ntrex"]["document_id"])


def test_pair_outcomes_name_both_mentions_of_a_missed_pair():
    from pipelines.tooling.surname_eval import pair_outcomes

    # two full names sharing 'Hale' in the text, but only one of them is a gold person: the bare word stays unlinked
    frame = documents("[[Anna Hale|PERSON]] met Grace Hale. [[Hale|PERSON]] left.")
    outcomes, _ = pair_outcomes(frame, load_gazetteer())
    assert outcomes.select("surname", "full_name").rows() == [("Hale", "Anna Hale")]
    assert outcomes["full_entity"].to_list() == ["cand:anna_hale"]
    assert outcomes["linked"].to_list() == [False]
