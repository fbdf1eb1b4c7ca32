"""The header scan: which of the first lines are title, caption, dates, byline, section; where the body starts.
`parse_article` is the per-article entry point."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from pipelines.lib.header_reference import alternation, load_header_labels
from pipelines.lib.language import detect_header_language
from pipelines.lib.metadata.body import clean_body
from pipelines.lib.metadata.dates import resolve_dates
from pipelines.lib.metadata.fields import (
    BODY_PARAGRAPH_MIN_CHARS, CAPTION_MAX_CHARS, HEADER_MAX_LINES, MAX_PENDING_LINES, TITLE_MAX_CHARS,
    HeaderFields, ParsedArticle,
)
from pipelines.lib.metadata.patterns import header_patterns
from pipelines.lib.metadata.segments import parse_date_line, parse_segments

@dataclass
class _Line:
    text: str
    start: int
    end: int


def _header_lines(text: str) -> Iterator[_Line]:
    """The first HEADER_MAX_LINES non-empty lines with their character offsets.

    Lazy: the header scan stops at the first body paragraph, so the body is never split into lines.
    At most HEADER_MAX_LINES * 3 newlines are followed; what remains after them is one last line."""
    produced = 0
    position = 0
    text_length = len(text)
    for piece_index in range(HEADER_MAX_LINES * 3 + 1):
        end = text.find("\n", position) if piece_index < HEADER_MAX_LINES * 3 else -1
        if end < 0:
            end = text_length
        raw_line = text[position:end]
        if raw_line.strip():
            yield _Line(raw_line.strip(), position, end)
            produced += 1
            if produced >= HEADER_MAX_LINES:
                return
        if end >= text_length:
            return
        position = end + 1


_CAPTION_WITH_CREDIT = re.compile(
    r"^(?P<caption>.{3,250}?)\s*[(\[]?\s*(?:foto|photo|fotografia|photo credit|image)\s*[:：/©]\s*"
    r"[^.:]{1,60}?[)\]]?\s*$",
    re.IGNORECASE,
)


CREDIT_WORDS = ("foto", "photo", "image")  # every credit word of _CAPTION_WITH_CREDIT contains one


def _may_hold_credit(line: str) -> bool:
    # Non-ASCII text goes to the regex: case-insensitive matching folds more than str.lower().
    if not line.isascii():
        return True
    lowered = line.lower()
    return any(word in lowered for word in CREDIT_WORDS)


@lru_cache(maxsize=1)
def _date_label_only() -> re.Pattern[str]:
    labels = load_header_labels()
    alternatives = alternation(list(labels["published"]) + list(labels["updated"]))
    return re.compile(rf"^(?:{alternatives})\s*:?\s*(?:\d+\s+\w+\s+(?:ago|m[eë]\s+par[eë])|just now|sot|dje|today|yesterday)?\s*$", re.IGNORECASE)


def _is_body_paragraph(line: str) -> bool:
    """Long, or several sentences: 'St. Lucia' or 'U.S. Army' alone must not unmake a title."""
    if len(line) > BODY_PARAGRAPH_MIN_CHARS:
        return True
    inner_sentence_ends = len(header_patterns().sentence_end.findall(line))
    return inner_sentence_ends >= 2 or (inner_sentence_ends == 1 and line.endswith((".", "!", "?", "…")))


def _is_caption_like(line: str) -> bool:
    return len(line) <= CAPTION_MAX_CHARS and not re.search(r"[.!?:;…]$", line)


TITLE_MARKER_SEPARATORS = "-–—|/:(["  # what title_media_suffix needs before a media word


def clean_title(title: str) -> str:
    """Remove scraped media markers: 'Title - Video', 'Title | VIDEO', 'VIDEO: Title'."""
    patterns = header_patterns()
    has_marker_separator = any(character in title for character in TITLE_MARKER_SEPARATORS)
    cleaned = patterns.title_media_suffix.sub("", title) if has_marker_separator else title
    cleaned = patterns.title_media_prefix.sub("", cleaned)
    return cleaned.strip() or title.strip()



def parse_article(text: str, *, default_timezone: str = "Europe/Tirane") -> ParsedArticle:
    """Parse one article's header region and clean its body."""
    return parse_article_text(text, default_timezone, inline_links=None)


def parse_article_text(text: str, default_timezone: str, *, inline_links: bool | None) -> ParsedArticle:
    # Bounded per-article Python: only the first HEADER_MAX_LINES lines and the last
    # TAIL_MAX_LINES lines are inspected, with precompiled regexes.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.lstrip("\ufeff")
    fields = HeaderFields()
    header_texts: list[str] = []
    title = None
    title_rule = None
    captions: list[str] = []
    pending_text: list[_Line] = []
    body_start = 0
    for line in _header_lines(text):
        content = line.text
        if len(content) > TITLE_MAX_CHARS:
            break
        if _date_label_only().match(content):
            header_texts.append(content)  # 'Updated 2 hours ago': a label whose date we cannot place
            body_start = line.end
            continue
        if header_patterns().media_line.match(content):
            # A lone 'Video'/'Foto' marker is scraped junk: never a header field, never a caption.
            if not pending_text:
                body_start = line.end
            continue
        is_date_line = False
        glued_title = None
        if header_patterns().year_hint.search(content):
            is_date_line, glued_title = parse_date_line(content, fields)
        if is_date_line:
            header_texts.append(content if glued_title is None else content[: len(content) - len(glued_title)])
            if glued_title and title is None:
                title, title_rule = glued_title, "glued_after_date_label"
            elif glued_title:
                pending_text.append(_Line(glued_title, line.start, line.end))
        elif parse_segments(content, fields):
            header_texts.append(content)
        elif title is not None and _may_hold_credit(content) and (credited := _CAPTION_WITH_CREDIT.match(content)):
            # 'Kurti in Brussels. Foto: KOHA': the caption is kept, the credit dropped.
            pending_text.append(_Line(credited.group("caption").strip(), line.start, line.end))
        elif title is None and len(content) <= TITLE_MAX_CHARS and not _is_body_paragraph(content):
            title, title_rule = content, "first_line"
            body_start = line.end
            continue
        elif len(content) > BODY_PARAGRAPH_MIN_CHARS or len(pending_text) >= MAX_PENDING_LINES:
            break
        else:
            # Short text after the title: a caption or standfirst if a header line follows,
            # else the start of the body.
            pending_text.append(line)
            continue
        # A header line closes the gap: short text lines before it were captions/standfirsts.
        captions.extend(pending.text for pending in pending_text if len(pending.text) <= CAPTION_MAX_CHARS)
        pending_text = []
        body_start = line.end
    if pending_text and _is_caption_like(pending_text[0].text) and (
        len(pending_text) > 1 or header_patterns().sentence_end.search(pending_text[0].text) is None
    ):
        captions.append(pending_text[0].text)
        body_start = pending_text[0].end

    header_language = detect_header_language("\n".join(header_texts)) if header_texts else None
    header_language_rule = "label_vocabulary"
    if header_language is None and (title or captions):
        # No label speaks for a language: the title's (and caption's) own words decide.
        header_language = detect_header_language("\n".join(filter(None, [title, *captions])))
        header_language_rule = "title_stopwords"
    resolve_dates(fields, header_language, default_timezone)

    body, tail_removed = clean_body(text[body_start:], inline_links=inline_links)
    rules = dict(fields.rules)
    if title is not None:
        cleaned_title = clean_title(title)
        rules["title"] = title_rule + ("_media_marker_removed" if cleaned_title != title.strip() else "")
        title = cleaned_title
    caption = captions[0] if captions else None
    if caption is not None:
        rules["caption"] = "short_line_in_header"
    if header_language is not None:
        rules["header_language"] = header_language_rule
    if tail_removed:
        rules["body"] = "scraped_tail_removed"
    values = fields.values
    return ParsedArticle(
        title=title,
        caption=caption,
        published_at=values.get("published_at"),
        published_precision=values.get("published_precision"),
        updated_at=values.get("updated_at"),
        author=values.get("author"),
        outlet=values.get("outlet"),
        section=values.get("section"),
        section_norm=values.get("section_norm"),
        header_language=header_language,
        body=body,
        metadata_rules=rules,
    )


