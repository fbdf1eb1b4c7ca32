"""The fields a header yields (ParsedArticle) and the size limits of the header region.
`HeaderFields` collects values with their rules, first value wins."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.lib.metadata.dates import DateCandidate


# Only this many non-empty lines can be header; dates further down are body dates.
HEADER_MAX_LINES = 12
# A text line longer than this (or with two sentences) is a body paragraph, not header.
BODY_PARAGRAPH_MIN_CHARS = 200
# At most this many short text lines may sit between header lines (caption, standfirst).
MAX_PENDING_LINES = 3
# A caption/standfirst is a short line; a title longer than this is a paragraph.
CAPTION_MAX_CHARS = 160
TITLE_MAX_CHARS = 300
# The scraped tail is looked for only in the last lines of the body.
TAIL_MAX_LINES = 25
TAIL_LINE_MAX_CHARS = 200

# `author` joins the names of a byline with this; `authors` holds them one by one.
AUTHOR_SEPARATOR = ", "

FIELD_NAMES = (
    "title", "caption", "published_at", "published_precision", "updated_at", "author",
    "outlet", "section", "section_norm", "header_language", "authors", "dateline_place",
)


@dataclass(frozen=True)
class ParsedArticle:
    title: str | None
    caption: str | None
    published_at: datetime | None
    published_precision: str | None
    updated_at: datetime | None
    author: str | None
    outlet: str | None
    section: str | None
    section_norm: str | None
    header_language: str | None
    body: str
    metadata_rules: dict[str, str] = field(default_factory=dict)
    authors: tuple[str, ...] = ()        # the names in `author`, one each ('A, B' -> ('A', 'B'))
    dateline_place: str | None = None    # a wire dateline's place: 'LONDON', 'TIRANA', 'AL-AIN, United Arab Emirates'



WHITESPACE = re.compile(r"\s+")


@dataclass
class HeaderFields:
    values: dict[str, object] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    dates: list[DateCandidate] = field(default_factory=list)

    def set(self, name: str, value: object, rule: str) -> None:
        if value is not None and self.values.get(name) is None:
            self.values[name] = value
            self.rules[name] = rule
