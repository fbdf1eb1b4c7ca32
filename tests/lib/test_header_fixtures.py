"""Table-driven header tests: every case in tests/fixtures/headers/*.txt, every field asserted.
The fixtures are invented text in the shapes Albanian, Kosovo, international and wire sites print."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.lib.metadata import parse_article

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "headers"
BODIES = {
    "sq": ("Qeveria njoftoi të hënën se do të paraqesë një buxhet të ri në parlament javën e ardhshme. "
           "Zyrtarët presin që debati të zgjasë disa ditë, ndërsa opozita ka premtuar amendamente.\n\n"
           "Analistët thanë se plani nuk do ta ndryshojë shumë deficitin."),
    "en": ("The government said on Monday that it would present a new budget to parliament next week. "
           "Officials expect the debate to last several days, and the opposition has promised to table amendments.\n\n"
           "Analysts said the plan was unlikely to change the deficit by much."),
    "none": "",
}
# Every case must name each of these; "-" is None.
EXPECTED_FIELDS = ("title", "caption", "published_at", "published_precision", "updated_at", "author", "authors",
                   "outlet", "section", "section_norm", "header_language", "dateline_place", "body_starts")
_CASE_LINE = re.compile(r"^=== (?P<case_id>\S+)(?P<options>(?:\s*\|\s*\w+=\S+)*)\s*$")


@dataclass(frozen=True)
class HeaderCase:
    case_id: str
    text: str
    crawled_at: datetime | None
    expected: dict[str, str | None]


def load_cases(path: Path) -> list[HeaderCase]:
    cases = []
    blocks = re.split(r"^(?==== )", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    for block in blocks:
        if not block.startswith("=== "):
            continue
        head, _, rest = block.partition("\n")
        match = _CASE_LINE.match(head)
        assert match, f"{path.name}: bad case line {head!r}"
        options = dict(option.strip().split("=", 1) for option in match["options"].split("|") if option.strip())
        header, separator, expect = rest.partition("--- expect\n")
        assert separator, f"{match['case_id']}: no '--- expect' block"
        expected = {}
        for line in expect.strip().splitlines():
            key, _, value = line.partition(":")
            expected[key.strip()] = None if value.strip() == "-" else value.strip()
        assert tuple(expected) == EXPECTED_FIELDS, f"{match['case_id']}: fields must be exactly {EXPECTED_FIELDS}"
        body = BODIES[options.get("body", "sq")]
        text = header.strip("\n") + ("\n\n" + body if body else "") + "\n"
        crawled = options.get("crawled_at")
        cases.append(HeaderCase(match["case_id"], text, datetime.fromisoformat(crawled) if crawled else None, expected))
    return cases


CASES = [case for path in sorted(FIXTURE_DIR.glob("*.txt")) for case in load_cases(path)]


def test_there_are_at_least_eighty_cases_in_both_languages():
    assert len(CASES) >= 80
    languages = {case.expected["header_language"] for case in CASES}
    assert {"sq", "en"} <= languages
    assert len({case.case_id for case in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=[case.case_id for case in CASES])
def test_header_fixture(case: HeaderCase):
    parsed = parse_article(case.text, crawled_at=case.crawled_at)
    expected = case.expected
    for name in ("published_at", "updated_at"):
        actual, wanted = getattr(parsed, name), expected[name]
        if wanted is None:
            assert actual is None, (name, actual, parsed.metadata_rules)
        else:
            wanted_moment = datetime.fromisoformat(wanted)
            assert actual is not None, (name, parsed.metadata_rules)
            assert actual == wanted_moment and actual.utcoffset() == wanted_moment.utcoffset(), (name, actual, wanted)
    for name in ("title", "caption", "published_precision", "author", "outlet", "section", "section_norm",
                 "header_language", "dateline_place"):
        assert getattr(parsed, name) == expected[name], (name, getattr(parsed, name), expected[name])
    wanted_authors = tuple(expected["authors"].split(" ; ")) if expected["authors"] else ()
    assert parsed.authors == wanted_authors
    assert parsed.body.startswith(expected["body_starts"]), parsed.body[:80]
    for name in ("title", "published_at", "updated_at", "author", "section", "outlet", "dateline_place"):
        if getattr(parsed, name) is not None:
            assert name in parsed.metadata_rules, name
