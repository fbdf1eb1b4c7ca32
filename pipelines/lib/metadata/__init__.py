"""Parse the header of a scraped article (title, caption, dates, byline, outlet, section, dateline) and
return the body without header lines and without the scraped tail (share, related, video)."""

from pipelines.lib.header_reference import fold_text, header_vocabulary
from pipelines.lib.metadata.batch import (
    PARALLEL_MIN_ARTICLES, WORKERS_ENVIRONMENT_VARIABLE, benchmark_parse, default_workers, parse_articles,
    split_evenly, usable_cores,
)
from pipelines.lib.metadata.body import clean_body, may_hold_inline_links
from pipelines.lib.metadata.bylines import proper_case_name
from pipelines.lib.metadata.fields import FIELD_NAMES, ParsedArticle
from pipelines.lib.metadata.structure import clean_title, parse_article

__all__ = [
    "FIELD_NAMES", "PARALLEL_MIN_ARTICLES", "WORKERS_ENVIRONMENT_VARIABLE", "ParsedArticle", "benchmark_parse",
    "clean_body", "clean_title", "default_workers", "fold_text", "header_vocabulary", "may_hold_inline_links",
    "parse_article", "parse_articles", "proper_case_name", "split_evenly", "usable_cores",
]
