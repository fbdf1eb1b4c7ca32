"""Entities in article text: gazetteer scan (matcher), linking (resolve), open-vocabulary candidates (candidates)
and their learned types (features, typer). `extract_mentions(texts, gazetteer)` is the public entry point."""

from pipelines.lib.entities.frames import TextBuffer
from pipelines.lib.entities.matcher import (
    Matcher, build_matcher, build_pattern_table, leftmost_longest_matches, match_frame, raw_matches,
)
from pipelines.lib.entities.mentions import MENTION_SCHEMA, extract_mentions
from pipelines.lib.entities.resolve import candidate_entities, candidate_key, candidate_key_expression, link_matches
from pipelines.lib.entities.rules import alias_forms, load_candidate_rules, load_inflection_rules, word_forms

__all__ = [
    "MENTION_SCHEMA", "Matcher", "TextBuffer", "alias_forms", "build_matcher", "build_pattern_table",
    "candidate_entities", "candidate_key", "candidate_key_expression", "extract_mentions",
    "leftmost_longest_matches", "link_matches", "load_candidate_rules", "load_inflection_rules", "match_frame",
    "raw_matches", "word_forms",
]
