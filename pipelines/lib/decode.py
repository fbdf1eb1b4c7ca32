"""Turn the raw bytes of one scraped file into clean article text, or refuse it.
Decides between UTF-8 and the legacy code pages Albanian text arrives in, repairs mojibake, quarantines non-text.

How the encoding is decided, in order:

1. Quarantine checks on the bytes: empty, over the size limit, a known binary magic number,
   NUL bytes or control bytes in the first 4 KiB (UTF-16 with a BOM is recognised first).
2. Fast path: a strict UTF-8 decode (with or without BOM), done in C. If the decoded text holds
   UTF-8 mojibake markers (``Ã«``, ``Ã§``, ``â€œ``) the affected lines are repaired with
   ``ftfy.fix_encoding`` and the encoding reads ``utf-8+ftfy``; ftfy is slow, so it never runs
   on text without markers.
3. Legacy path, when the bytes are not valid UTF-8. The candidates are cp1250, cp1252,
   iso8859-2, iso8859-1, "UTF-8 with stray bytes read as cp1252" (``utf-8+cp1252``: a UTF-8 file
   with a pasted legacy fragment) and charset-normalizer's best guess when it is none of these.
   Each candidate decoding is scored by the characters it produces, with weights from
   ``pipelines/reference/decode_character_evidence.tsv``. ë, ç, Ë and Ç are the *same* bytes
   (0xEB, 0xE7, 0xCB, 0xC7) in all four code pages, so they cannot decide between them; the
   deciding bytes are:
   - 0x80-0x9F: typographic quotes „“”‘’, dashes and … in cp1250/cp1252, C1 controls in the ISO
     pages (score -10 each), so any of them rules the ISO pages out;
   - 0xA1-0xBF: « » in the Windows pages but Ť ť in iso8859-2; š ž (0xB9, 0xBE) in iso8859-2 but
     ą ľ in cp1250 and ¹ ¾ in cp1252;
   - 0xC0-0xFF letters that differ: cp1252 à è ì ò ù å æ ø ð þ against cp1250 ŕ č ě ň ů ĺ ć ř đ ţ;
     Balkan names (č ć đ) favour cp1250, Western names (à è) favour cp1252, and characters that
     never occur in Albanian/English news (ř ů ĺ ŕ ţ ľ, standalone ˇ ˘ ¤ ¦) weigh heavily against.
   The highest score wins; ties keep the first in the order above (when every candidate
   produces the same text the label is cp1250, the Windows code page of the Albanian locale).
4. Clean-up, whatever the path: CRLF and CR become ``\\n``; U+FFFD, NUL, other C0 controls except
   ``\\n`` and ``\\t``, DEL and C1 controls (U+0080-U+009F) are removed (form feed and vertical tab
   become ``\\n``). When anything had to be removed the encoding gets the suffix ``+cleaned`` so
   the loss is visible in the warehouse (e.g. ``utf-8+cleaned``).
5. Quarantine checks on the text: whitespace only, or fewer than 20 letters.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path

DEFAULT_MAX_BYTES = 5_000_000
MAX_BYTES_ENVIRONMENT_VARIABLE = "KRONIKA_MAX_FILE_BYTES"
MINIMUM_LETTERS = 20
BINARY_SAMPLE_BYTES = 4096
# A text file may carry a stray control byte; these shares of the first 4 KiB mean "not text",
# once there are more than a handful (a short file with one stray NUL is still text).
BINARY_CONTROL_SHARE = 0.10
BINARY_NUL_SHARE = 0.01
BINARY_MINIMUM_BYTE_COUNT = 3

EVIDENCE_FILE = Path(__file__).resolve().parent.parent / "reference" / "decode_character_evidence.tsv"
UNLISTED_LETTER_WEIGHT = -1
UNLISTED_OTHER_WEIGHT = -2
CONTROL_OR_REPLACEMENT_WEIGHT = -10

LEGACY_CANDIDATES = ("cp1250", "cp1252", "iso8859-2", "iso8859-1")
UTF8_WITH_CP1252_BYTES = "utf-8+cp1252"
CHARSET_GUESS_SAMPLE_BYTES = 65_536

# Magic numbers of file types that analysts drop into raw/ by mistake.
BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or docx/xlsx/odt)"),
    (b"PK\x05\x06", "empty ZIP archive"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\x1f\x8b", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x28\xb5\x2f\xfd", "zstd archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document (doc/xls)"),
    (b"\x7fELF", "ELF executable"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"RIFF", "RIFF media file (wav/avi/webp)"),
    (b"OggS", "Ogg media file"),
    (b"ID3", "MP3 audio"),
)

_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Bytes that never occur in text: C0 controls except \t \n \v \f \r and ESC (ANSI colour codes in logs).
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B)) + b"\x7f"


# Characters that must never reach article text. \f and \v are page/line breaks, kept as \n.
_UNWANTED_CHARACTERS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_BREAK_LIKE_CONTROLS = re.compile("[\x0b\x0c]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A UTF-8 lead byte read as cp1252/latin-1 (Â-ß) followed by a continuation byte read the same way,
# or the three-byte "â€" that starts every mojibaked typographic quote and dash.
_MOJIBAKE_MARKER = re.compile(
    "[\u00c2-\u00df][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160"
    "\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153"
    "\u017e\u0178]|\u00e2\u20ac"
)
# The same questions asked of UTF-8 bytes, where the search is many times faster than on str.
_UTF8_MOJIBAKE_MARKER = re.compile(
    rb"\xc3[\x82-\x9f](?:\xc2[\x80-\xbf]|\xe2[\x80\x82\x84]|\xc5[\x92\x93\xa0\xa1\xb8\xbd\xbe]"
    rb"|\xc6\x92|\xcb[\x86\x9c])|\xc3\xa2\xe2\x82\xac"
)
_UTF8_C1_CONTROL = re.compile(rb"\xc2[\x80-\x9f]")
_UTF8_REPLACEMENT_CHARACTER = "\ufffd".encode()
_CONTROL_AND_BREAK_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D)) + b"\x7f"
_UTF8_MULTI_BYTE_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_LETTER = re.compile(r"[^\W\d_]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


class QuarantineError(Exception):
    """Raised with a human-readable reason (str(e)) for input that cannot become article text."""


def configured_max_bytes() -> int:
    """The size limit set by KRONIKA_MAX_FILE_BYTES, or the default of 5,000,000 bytes."""
    setting = os.environ.get(MAX_BYTES_ENVIRONMENT_VARIABLE, "").strip().replace("_", "")
    return int(setting) if setting.isdigit() else DEFAULT_MAX_BYTES


def decode_bytes(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> DecodedText:
    """Decode one file's bytes to clean text with \\n line endings, or raise QuarantineError."""
    _refuse_non_text_bytes(raw, max_bytes)
    text, encoding, may_hold_unwanted = _decode_to_text(raw)
    text, encoding = _clean_text(text, encoding, may_hold_unwanted)
    _refuse_text_without_content(text, len(raw))
    return DecodedText(text=text, encoding=encoding)


def clean_text(text: str) -> tuple[str, bool]:
    """Text that did not come from raw bytes (a JSON string after its escapes) cleaned like decoded text:
    (clean text, whether anything was removed). `\\u001b` or `\\ufffd` in JSON must not reach a table either."""
    cleaned, encoding = _clean_text(text, "", True)
    removed = encoding.endswith("+cleaned")
    if _LONE_SURROGATE.search(cleaned):  # "\\udcff" in JSON: not text, and not storable as UTF-8
        cleaned, removed = _LONE_SURROGATE.sub("", cleaned), True
    return cleaned, removed


def _refuse_non_text_bytes(raw: bytes, max_bytes: int) -> None:
    if not raw:
        raise QuarantineError("empty file (0 bytes)")
    if len(raw) > max_bytes:
        raise QuarantineError(
            f"file too large: {len(raw):,} bytes > limit {max_bytes:,} (set {MAX_BYTES_ENVIRONMENT_VARIABLE})"
        )
    for signature, kind in BINARY_SIGNATURES:
        if raw.startswith(signature):
            raise QuarantineError(f"binary file: starts like a {kind}")
    if _utf16_encoding(raw) is not None:
        return
    sample = raw[:BINARY_SAMPLE_BYTES]
    nul_count = sample.count(0)
    control_count = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    nul_share = nul_count / len(sample)
    control_share = control_count / len(sample)
    if nul_count >= BINARY_MINIMUM_BYTE_COUNT and nul_share >= BINARY_NUL_SHARE:
        raise QuarantineError(f"binary file: {nul_share:.0%} NUL bytes in the first 4 KiB")
    if control_count >= BINARY_MINIMUM_BYTE_COUNT and control_share >= BINARY_CONTROL_SHARE:
        raise QuarantineError(f"binary file: {control_share:.0%} control bytes in the first 4 KiB")


def _utf16_encoding(raw: bytes) -> str | None:
    """UTF-16 is only accepted with a BOM (Windows 'Unicode' text); without one it looks binary."""
    for bom, encoding in _UTF16_BOMS:
        if raw.startswith(bom) and len(raw) % 2 == 0:
            return encoding
    return None


def _decode_to_text(raw: bytes) -> tuple[str, str, bool]:
    """Returns (text, encoding, may_hold_unwanted_characters)."""
    utf16 = _utf16_encoding(raw)
    if utf16 is not None:
        return raw[2:].decode(utf16, errors="replace"), "utf-16", True
    has_bom = raw.startswith(codecs.BOM_UTF8)
    try:
        text = raw.decode("utf-8-sig" if has_bom else "utf-8")
    except UnicodeDecodeError:
        text, encoding = _decode_legacy(raw)
        return text, encoding, True
    encoding = "utf-8-sig" if has_bom else "utf-8"
    if _UTF8_MOJIBAKE_MARKER.search(raw):
        repaired = _repair_mojibake(text)
        if repaired != text:
            return repaired, encoding + "+ftfy", True
    return text, encoding, _utf8_bytes_may_hold_unwanted_characters(raw)


def _utf8_bytes_may_hold_unwanted_characters(raw: bytes) -> bool:
    # Checked on the bytes because these searches run at memchr speed, the text regexes do not.
    return (
        len(raw.translate(None, _CONTROL_AND_BREAK_BYTES)) != len(raw)
        or _UTF8_C1_CONTROL.search(raw) is not None
        or _UTF8_REPLACEMENT_CHARACTER in raw
    )


def _repair_mojibake(text: str) -> str:
    """Run ftfy only on the lines that show markers: it is slow, and clean lines must stay as they are."""
    import ftfy  # imported here: loading ftfy costs time the clean fast path should not pay

    lines = text.split("\n")
    for line_index, line in enumerate(lines):
        if _MOJIBAKE_MARKER.search(line):
            lines[line_index] = ftfy.fix_encoding(line)
    return "\n".join(lines)


def _decode_legacy(raw: bytes) -> tuple[str, str]:
    # The single-byte pages are scored from a histogram of the high bytes, so a 5 MB file costs
    # one pass plus 128 lookups per page; only the winner is decoded.
    high_byte_counts = Counter(_HIGH_BYTE.findall(raw))
    scored: list[tuple[int, str]] = []
    for encoding in LEGACY_CANDIDATES:
        score = _single_byte_page_score(high_byte_counts, encoding)
        if score is not None:
            scored.append((score, encoding))
    best_score, best_encoding = scored[0]  # iso8859-1 decodes every byte, so there is always one
    for score, encoding in scored[1:]:
        if score > best_score:
            best_score, best_encoding = score, encoding
    best_text = raw.decode(best_encoding)
    for text, encoding in _multi_byte_candidates(raw):
        score = _albanian_evidence_score(text)
        if score > best_score:
            best_text, best_encoding, best_score = text, encoding, score
    return best_text, best_encoding


def _single_byte_page_score(high_byte_counts: Counter[bytes], encoding: str) -> int | None:
    """Evidence score of decoding with a single-byte page, or None when a byte is undefined in it."""
    score = 0
    for byte, count in high_byte_counts.items():
        try:
            character = byte.decode(encoding)
        except UnicodeDecodeError:
            return None
        score += _character_weight(character) * count
    return score


def _multi_byte_candidates(raw: bytes) -> list[tuple[str, str]]:
    candidates = []
    if _UTF8_MULTI_BYTE_SEQUENCE.search(raw):
        candidates.append((raw.decode("utf-8", errors=_CP1252_FALLBACK_HANDLER), UTF8_WITH_CP1252_BYTES))
    guessed_encoding = _charset_normalizer_guess(raw[:CHARSET_GUESS_SAMPLE_BYTES])
    if guessed_encoding is not None and guessed_encoding not in LEGACY_CANDIDATES:
        candidates.append((raw.decode(guessed_encoding, errors="replace"), guessed_encoding))
    return candidates


def _charset_normalizer_guess(sample: bytes) -> str | None:
    import charset_normalizer  # only the rare legacy path pays for this import

    try:
        match = charset_normalizer.from_bytes(sample).best()
        return None if match is None else codecs.lookup(match.encoding).name
    except Exception:  # a guesser failure only removes one candidate; never let it fail the file
        return None


def _decode_stray_bytes_as_cp1252(error: UnicodeDecodeError) -> tuple[str, int]:
    stray = error.object[error.start : error.end]
    return stray.decode("cp1252", errors="ignore") or stray.decode("latin-1"), error.end


_CP1252_FALLBACK_HANDLER = "kronika-cp1252-fallback"
codecs.register_error(_CP1252_FALLBACK_HANDLER, _decode_stray_bytes_as_cp1252)


@lru_cache(maxsize=1)
def load_character_evidence() -> dict[str, int]:
    """Weights per character from pipelines/reference/decode_character_evidence.tsv."""
    with EVIDENCE_FILE.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(
            (line for line in handle if not line.startswith("#")), delimiter="\t", quoting=csv.QUOTE_NONE
        )
        return {row["character"]: int(row["weight"]) for row in rows}


def _albanian_evidence_score(text: str) -> int:
    return sum(_character_weight(character) * count for character, count in Counter(_NON_ASCII.findall(text)).items())


def _character_weight(character: str) -> int:
    weight = load_character_evidence().get(character)
    if weight is not None:
        return weight
    if "\x80" <= character <= "\x9f" or character == "\ufffd":
        return CONTROL_OR_REPLACEMENT_WEIGHT
    return UNLISTED_LETTER_WEIGHT if character.isalpha() else UNLISTED_OTHER_WEIGHT


def _clean_text(text: str, encoding: str, may_hold_unwanted: bool) -> tuple[str, str]:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):  # a BOM that survived (UTF-16, or a doubled UTF-8 BOM)
        text = text.lstrip("\ufeff")
    if not may_hold_unwanted:
        return text, encoding
    if _BREAK_LIKE_CONTROLS.search(text):
        text = _BREAK_LIKE_CONTROLS.sub("\n", text)
    if _UNWANTED_CHARACTERS.search(text):
        text = _UNWANTED_CHARACTERS.sub("", text)
        encoding += "+cleaned"
    return text, encoding


def _refuse_text_without_content(text: str, byte_count: int) -> None:
    if not text.strip():
        raise QuarantineError(f"whitespace-only file ({byte_count:,} bytes)")
    letters_found = sum(1 for _ in islice(_LETTER.finditer(text), MINIMUM_LETTERS))
    if letters_found < MINIMUM_LETTERS:
        raise QuarantineError(f"no recognisable text: fewer than {MINIMUM_LETTERS} letters ({letters_found} found)")
