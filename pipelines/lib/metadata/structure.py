"""The header scan: which of the first lines are title, caption, dates, byline, section; where the body starts.
`parse_article` is the per-article entry point."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Iterator

from pipelines.lib.header_reference import alternation, load_header_labels
from pipelines.lib.language import detect_header_language
from pipelines.lib.metadata.body import clean_body
from pipelines.lib.metadata.bylines import NAME_IN_PLACE, looks_like_person_name, lookup_outlet, proper_case_name
from pipelines.lib.metadata.dates import residual_date, resolve_dates
from pipelines.lib.metadata.fields import (
    BODY_PARAGRAPH_MIN_CHARS, CAPTION_MAX_CHARS, HEADER_MAX_LINES, MAX_PENDING_LINES, TITLE_MAX_CHARS,
    AUTHOR_SEPARATOR, HeaderFields, ParsedArticle,
)
from pipelines.lib.metadata.patterns import header_patterns
from pipelines.lib.metadata.segments import match_section, parse_date_line, parse_segments
from pipelines.lib.metadata.wire import read_dateline

@dataclass
class _Line:
    text: str        # stripped
    start: int       # where the raw line starts
    end: int
    text_start: int  # where the stripped text starts


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
        stripped = raw_line.strip()
        if stripped:
            yield _Line(stripped, position, end, position + len(raw_line) - len(raw_line.lstrip()))
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
    """Long, or sentences that end with a full stop. A headline may hold inner breaks and end in '?', '!'
    or '…' ('Kush fitoi? Rezultatet…'); 'St. Lucia' or 'U.S. Army' alone must not unmake a title."""
    if len(line) > BODY_PARAGRAPH_MIN_CHARS:
        return True
    inner_sentence_ends = len(header_patterns().sentence_end.findall(line))
    if inner_sentence_ends >= 3:
        return True
    # A tokenised wire headline ends in ' .' ('… SURPRISE DEFEAT .'): that full stop is no sentence.
    return inner_sentence_ends >= 1 and line.endswith(".") and not line.endswith(" .") and not line.endswith("...")


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



def parse_article(text: str, *, default_timezone: str = "Europe/Tirane",
                  crawled_at: datetime | None = None) -> ParsedArticle:
    """Parse one article's header region and clean its body.

    crawled_at (aware): when the page was fetched; relative stamps ('2 orë më parë', 'dje') are
    resolved against it, and without it they give no date (rule `date_rejected`)."""
    return parse_article_text(text, default_timezone, inline_links=None, crawled_at=crawled_at)


# When neither labels nor the title tell the header's language, this much of the body does.
HEADER_LANGUAGE_BODY_CHARS = 300
# A section line: at most this many words and characters, no sentence punctuation, no digits alone.
SECTION_MAX_WORDS = 3
SECTION_MAX_CHARS = 40
_SECTION_PUNCTUATION = re.compile(r"[.!?;:,\"“”«»„()\[\]…]|\d{3,}|^\W|@|https?")
_BREADCRUMB = re.compile(r"\s*[>»›/|]\s*")


def _looks_like_section(line: str) -> bool:
    """Short, capitalised, no sentence punctuation: 'Futboll', 'Lajme Kombëtare', 'Sport > Liga e Kampioneve'."""
    if len(line) > SECTION_MAX_CHARS * 2 or not line[:1].isupper():
        return False
    parts = [part for part in _BREADCRUMB.split(line) if part]
    if not parts or len(parts) > 3:
        return False
    for part in parts:
        words = part.split()
        if not words or len(words) > SECTION_MAX_WORDS + (1 if len(parts) > 1 else 0) or len(part) > SECTION_MAX_CHARS:
            return False
        if _SECTION_PUNCTUATION.search(part) or not part[:1].isupper():
            return False
    return True


def _set_section_by_position(fields: HeaderFields, line: str, rule: str) -> None:
    fields.set("section", line, rule)
    for part in reversed([part for part in _BREADCRUMB.split(line) if part]):
        known = match_section(part)
        if known:
            fields.set("section_norm", known[1], "sections_tsv")
            break


def _may_be_title_after_section(line: str) -> bool:
    """The line after a section-shaped first line: a headline (more than three words, not a sentence)."""
    letter_words = [word for word in line.split() if word[:1].isalpha()]
    return (len(letter_words) > SECTION_MAX_WORDS and len(line) <= TITLE_MAX_CHARS and line[:1].isupper()
            and not line.endswith(".") and not _is_body_paragraph(line)
            and not header_patterns().year_hint.search(line) and residual_date(line) is None
            and not parse_segments(line, HeaderFields()))


def parse_article_text(text: str, default_timezone: str, *, inline_links: bool | None,
                       crawled_at: datetime | None = None) -> ParsedArticle:
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
    patterns = header_patterns()
    # Lines are cut lazily (the scan stops at the first body paragraph); `line_at` reads one ahead
    # when a section-shaped first line needs to see the headline under it.
    line_source = _header_lines(text)
    lines: list[_Line] = []

    def line_at(position: int) -> _Line | None:
        while len(lines) <= position:
            following = next(line_source, None)
            if following is None:
                return None
            lines.append(following)
        return lines[position]

    def flush_pending() -> None:
        # A header line closes the gap: the short lines before it were a section (the first that has a
        # section's shape, when none is known yet) or captions/standfirsts.
        nonlocal pending_text
        for pending in pending_text:
            if fields.values.get("section") is None and _looks_like_section(pending.text):
                _set_section_by_position(fields, pending.text, "section_by_position")
            elif len(pending.text) <= CAPTION_MAX_CHARS:
                captions.append(pending.text)
        pending_text = []

    for index in itertools.count():
        line = line_at(index)
        if line is None:
            break
        content = line.text
        if patterns.media_line.match(content):
            # A lone 'Video'/'Foto' marker is scraped junk: never a header field, never a caption.
            if not pending_text:
                body_start = line.end
            continue
        dateline = None
        if (title is not None or index > 0) and content[:1].isupper():
            dateline = read_dateline(content)
            if dateline is not None and _story_is_header(content[dateline.story_start:]):
                dateline = None  # 'Podgoricë, 12/12/2025 – Nga A B': a date line with a byline, read below
        if dateline is not None:
            # Wire copy: 'LONDON 1996-08-30', 'TIRANA, Oct 17 (Reuters) - Story…'.
            if (len(pending_text) == 1 and fields.values.get("author") is None
                    and looks_like_person_name(pending_text[0].text)):
                fields.set("author", proper_case_name(pending_text[0].text), "unlabelled_name_before_dateline")
                pending_text = []
            flush_pending()
            fields.set("dateline_place", dateline.place, "dateline")
            if dateline.agency:
                fields.set("outlet", dateline.agency, "dateline_agency")
            if dateline.date is not None:
                fields.dates.append(dateline.date)
            header_texts.append(content[:dateline.header_end])
            if dateline.story_start < len(content):
                body_start = line.text_start + dateline.story_start
                break
            body_start = line.end
            continue
        is_date_line = False
        glued_title = None
        if len(content) <= TITLE_MAX_CHARS and patterns.year_hint.search(content):
            is_date_line, glued_title = parse_date_line(content, fields)
        if len(content) > TITLE_MAX_CHARS:
            break
        residual = None if is_date_line else residual_date(content)
        if is_date_line:
            _take_unlabelled_byline(pending_text, fields, content)
            header_texts.append(content if glued_title is None else content[: len(content) - len(glued_title)])
            if glued_title and title is None:
                title, title_rule = glued_title, "glued_after_date_label"
            elif glued_title:
                pending_text.append(_Line(glued_title, line.start, line.end, line.start))
        elif residual is not None:
            # 'Përditësuar 2 orë më parë', 'dje, 14:30', 'Fri 17th of Oct. 2025': read by dateparser.
            fields.dates.append(residual)
            header_texts.append(content)
        elif _date_label_only().match(content):
            header_texts.append(content)  # 'Updated just now': a label whose date we cannot place
        elif parse_segments(content, fields):
            header_texts.append(content)
            _take_unlabelled_byline(pending_text, fields, content)
        elif title is not None and _may_hold_credit(content) and (credited := _CAPTION_WITH_CREDIT.match(content)):
            # 'Kurti in Brussels. Foto: KOHA': the caption is kept, the credit dropped.
            flush_pending()
            captions.append(credited.group("caption").strip())
            body_start = line.end
            continue
        elif (title is None and fields.values.get("section") is None and _looks_like_section(content)
              and (following := line_at(index + 1)) is not None and _may_be_title_after_section(following.text)):
            # 'Futboll' above the headline: a section by its position and shape, listed or not.
            _set_section_by_position(fields, content, "section_line_before_title")
            header_texts.append(content)
        elif title is None and len(content) <= TITLE_MAX_CHARS and not _is_body_paragraph(content):
            title, title_rule = content, "first_line"
            body_start = line.end
            continue
        elif len(content) > BODY_PARAGRAPH_MIN_CHARS or len(pending_text) >= MAX_PENDING_LINES:
            break
        else:
            # Short text after the title: a section, caption or standfirst if a header line follows,
            # else the start of the body.
            pending_text.append(line)
            continue
        flush_pending()
        body_start = line.end
    if pending_text:
        first = pending_text[0].text
        if fields.values.get("section") is None and _looks_like_section(first) and (
                len(pending_text) > 1 or _sentence_like_body_follows(text, pending_text[0].end)):
            _set_section_by_position(fields, first, "section_by_position")
            body_start = pending_text[0].end
        elif _is_caption_like(first) and (
                len(pending_text) > 1 or patterns.sentence_end.search(first) is None):
            captions.append(first)
            body_start = pending_text[0].end

    header_language = detect_header_language("\n".join(header_texts)) if header_texts else None
    header_language_rule = "label_vocabulary"
    if header_language is None and (title or captions):
        # No label speaks for a language: the title's (and caption's) own words decide.
        header_language = detect_header_language("\n".join(filter(None, [title, *captions])))
        header_language_rule = "title_stopwords"
    body, tail_removed = clean_body(text[body_start:], inline_links=inline_links)
    if header_language is None and (title or header_texts):
        # Neither labels nor the title speak (a numeric date, a short headline): the header is in the
        # language of the story under it.
        header_language = detect_header_language(body[:HEADER_LANGUAGE_BODY_CHARS])
        header_language_rule = "body_stopwords"
    resolve_dates(fields, header_language, default_timezone, crawled_at)

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
    author = values.get("author")
    return ParsedArticle(
        title=title,
        caption=caption,
        published_at=values.get("published_at"),
        published_precision=values.get("published_precision"),
        updated_at=values.get("updated_at"),
        author=author,
        outlet=values.get("outlet"),
        section=values.get("section"),
        section_norm=values.get("section_norm"),
        header_language=header_language,
        body=body,
        metadata_rules=rules,
        authors=tuple(author.split(AUTHOR_SEPARATOR)) if author else (),
        dateline_place=values.get("dateline_place"),
    )


def _take_unlabelled_byline(pending_text: list[_Line], fields: HeaderFields, closing_line: str) -> None:
    """A lone name line right above a header line is a byline without a label: 'Jane Doe' above
    'BBC News' (a known outlet), or 'Jane Doe in Manchester' above anything. Removed from pending_text."""
    if len(pending_text) != 1 or fields.values.get("author") is not None:
        return
    line = pending_text[0].text
    placed = NAME_IN_PLACE.match(line)
    if placed and looks_like_person_name(placed.group("name")):
        fields.set("author", proper_case_name(placed.group("name")), "unlabelled_name_in_place")
    elif looks_like_person_name(line) and lookup_outlet(closing_line) is not None and lookup_outlet(line) is None:
        fields.set("author", proper_case_name(line), "unlabelled_name_before_outlet")
    else:
        return
    pending_text.clear()


def _story_is_header(rest: str) -> bool:
    """What follows a dateline is more header ('Nga A B', 'Samuel Price'), not the story."""
    rest = rest.strip()
    return bool(rest) and (parse_segments(rest, HeaderFields()) or (len(rest) <= 60 and looks_like_person_name(rest)))


def _sentence_like_body_follows(text: str, position: int) -> bool:
    """True when the text after a lone short line is a body paragraph (it ends like a sentence)."""
    following = text[position:position + 400].strip()
    return bool(following) and bool(header_patterns().sentence_end.search(following) or following.endswith("."))
