"""The body without the scraped tail (share, related, video) and without inline 'read also' links.
A batch-wide Polars check tells which bodies need every line read."""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from pipelines.lib.header_reference import read_tsv
from pipelines.lib.metadata.fields import TAIL_LINE_MAX_CHARS, TAIL_MAX_LINES

@lru_cache(maxsize=1)
def _tail_rule_alternatives() -> dict[str, str]:
    """Action (drop, cut, inline) -> the alternation of its patterns, unanchored."""
    patterns: dict[str, list[str]] = {}
    for pattern, action in read_tsv("tail_junk.tsv"):
        patterns.setdefault(action, []).append(f"(?:{pattern})")
    return {action: "(?:" + "|".join(alternatives) + ")" for action, alternatives in patterns.items()}


@lru_cache(maxsize=1)
def load_tail_rules() -> dict[str, re.Pattern[str]]:
    """Action (drop, cut, inline) -> one compiled whole-line regex."""
    return {
        action: re.compile(r"^\W*" + alternation + r"\W*$", re.IGNORECASE)
        for action, alternation in _tail_rule_alternatives().items()
    }



@lru_cache(maxsize=1)
def _inline_link_pattern() -> str | None:
    """The 'inline' tail rules as one Rust regex for Polars, or None if they need Python syntax."""
    alternation = _tail_rule_alternatives().get("inline")
    if alternation is None:
        return None
    # The same alternatives anywhere in the text: a superset of the whole-line Python match, so it
    # can only send extra bodies down the slow path; unanchored, Polars finds them by literal prefilters.
    pattern = "(?i)" + alternation
    try:
        pl.Series([""]).str.contains(pattern)
    except pl.exceptions.PolarsError:
        return None
    return pattern


def may_hold_inline_links(texts: pl.Series) -> pl.Series:
    """Per text: could a line of it be a scraped 'read also' link? One vectorised pass; False is certain."""
    pattern = _inline_link_pattern()
    if pattern is None:
        return pl.Series(texts.name, [load_tail_rules().get("inline") is not None] * texts.len(), dtype=pl.Boolean)
    return texts.cast(pl.String).fill_null("").str.contains(pattern)


def _is_tail_junk(line: str, rule: re.Pattern[str]) -> bool:
    stripped = line.strip()
    return not stripped or rule.match(stripped) is not None


def _kept_tail_length(lines: list[str], *, has_more_above: bool) -> tuple[int | None, bool]:
    """How many leading lines survive the tail rules, and whether a non-blank line was removed.

    None when the answer depends on lines above `lines` (only possible when has_more_above)."""
    rules = load_tail_rules()
    drop, cut = rules["drop"], rules["cut"]
    kept = len(lines)
    removed = False
    # Drop single junk lines from the end, then cut a trailing related-articles block.
    while kept and _is_tail_junk(lines[kept - 1], drop):
        removed |= bool(lines[kept - 1].strip())
        kept -= 1
    if has_more_above and kept < TAIL_MAX_LINES:
        return None, removed
    # A cut line must be followed by short lines only: start at the last long line of the window.
    first_candidate = max(0, kept - TAIL_MAX_LINES)
    for index in range(kept - 1, first_candidate - 1, -1):
        if len(lines[index]) > TAIL_LINE_MAX_CHARS and len(lines[index].strip()) > TAIL_LINE_MAX_CHARS:
            first_candidate = index
            break
    for index in range(first_candidate, kept):
        line = lines[index].strip()
        if line and cut.match(line):
            kept = index
            removed = True
            break
    while kept and _is_tail_junk(lines[kept - 1], drop):
        removed |= bool(lines[kept - 1].strip())
        kept -= 1
    if has_more_above and kept == 0:
        return None, removed
    return kept, removed


# Lines read from the end of a body for the tail rules: well above TAIL_MAX_LINES, so the
# whole body is split only when its end is dozens of junk or blank lines.
TAIL_SCAN_LINES = TAIL_MAX_LINES * 3


def clean_body(body: str, *, inline_links: bool | None = None) -> tuple[str, bool]:
    """Body without inline 'read also' links and the scraped tail; (body, tail_removed).

    inline_links: whether a line may be an inline link (from `may_hold_inline_links`, one pass over a
    whole batch); False lets only the last lines be read. None (unknown) reads every line."""
    if inline_links is False:
        pieces = body.rsplit("\n", TAIL_SCAN_LINES)
        has_more_above = len(pieces) > TAIL_SCAN_LINES
        tail = pieces[1:] if has_more_above else pieces
        kept, removed = _kept_tail_length(tail, has_more_above=has_more_above)
        if kept is not None:
            cut_chars = sum(len(line) + 1 for line in tail[kept:])
            return body[:max(0, len(body) - cut_chars)].strip(), removed
    lines = body.split("\n")
    inline = load_tail_rules().get("inline")
    kept_lines = [line for line in lines
                  if not (inline and len(line) <= TAIL_LINE_MAX_CHARS and inline.match(line.strip()))]
    kept, removed = _kept_tail_length(kept_lines, has_more_above=False)
    return "\n".join(kept_lines[:kept]).strip(), removed or len(kept_lines) != len(lines)


