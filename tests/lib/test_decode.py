"""Tests for pipelines.lib.decode: encodings Albanian text arrives in, mojibake, clean-up, quarantine."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.lib.decode import (
    DEFAULT_MAX_BYTES,
    DecodedText,
    QuarantineError,
    configured_max_bytes,
    decode_bytes,
    load_character_evidence,
)

ALBANIAN_WITH_BALKAN_NAMES = (
    "Çka është e vërteta? „Shqipëria nuk do të heqë dorë“, tha ministri në Tiranë.\n"
    "Presidenti serb Vučić dhe kryeministri Plenković u takuan në Beograd – çështja e Kosovës mbetet e hapur…"
)
ALBANIAN_WITH_WESTERN_NAMES = (
    "Ëndrra e çdo shqiptari: «Evropa» – tha zëvendësministrja pas takimit me Macron dhe Müller.\n"
    "Kafeja në Tiranë kushton 1€, ndërsa në Milano një «caffè» kushton më shumë; à la carte."
)
ALBANIAN_WITH_LATIN2_NAMES = (
    "Gazetari Šefik Žužić shkroi për çështjen e veriut të Kosovës.\n"
    "Në Prishtinë u tha se zgjidhja është e vështirë për të dyja palët."
)
PLAIN_ALBANIAN = "Shqipëria dhe Kosova: çështja është e vështirë, tha zëdhënësi në Tiranë."

FORBIDDEN_OUTPUT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]")


def test_utf8_without_bom_is_the_fast_path():
    decoded = decode_bytes(PLAIN_ALBANIAN.encode("utf-8"))
    assert decoded == DecodedText(text=PLAIN_ALBANIAN, encoding="utf-8")


def test_utf8_with_bom_drops_the_bom():
    decoded = decode_bytes(b"\xef\xbb\xbf" + PLAIN_ALBANIAN.encode("utf-8"))
    assert decoded.text == PLAIN_ALBANIAN
    assert decoded.encoding == "utf-8-sig"


@pytest.mark.parametrize("line_ending", ["\r\n", "\r"])
def test_crlf_and_cr_line_endings_become_newlines(line_ending):
    lines = ["Titulli i artikullit", "", PLAIN_ALBANIAN, "Paragrafi i dytë është këtu."]
    decoded = decode_bytes(line_ending.join(lines).encode("utf-8"))
    assert decoded.text == "\n".join(lines)
    assert "\r" not in decoded.text


def test_albanian_letters_are_the_same_bytes_in_every_legacy_page():
    # The documented reason why ë/ç alone can never decide between the legacy code pages.
    for letter in "ëçËÇ":
        encoded = {letter.encode(encoding) for encoding in ("cp1250", "cp1252", "iso8859-2", "iso8859-1")}
        assert len(encoded) == 1


def test_cp1250_albanian_with_balkan_names_and_typographic_quotes():
    decoded = decode_bytes(ALBANIAN_WITH_BALKAN_NAMES.encode("cp1250"))
    assert decoded.text == ALBANIAN_WITH_BALKAN_NAMES
    assert decoded.encoding == "cp1250"


def test_cp1252_albanian_with_western_names_and_guillemets():
    decoded = decode_bytes(ALBANIAN_WITH_WESTERN_NAMES.encode("cp1252"))
    assert decoded.text == ALBANIAN_WITH_WESTERN_NAMES
    assert decoded.encoding == "cp1252"


def test_iso8859_2_albanian_with_caron_letters():
    decoded = decode_bytes(ALBANIAN_WITH_LATIN2_NAMES.encode("iso8859-2"))
    assert decoded.text == ALBANIAN_WITH_LATIN2_NAMES
    assert decoded.encoding == "iso8859-2"


@pytest.mark.parametrize("encoding", ["cp1250", "cp1252", "iso8859-2", "iso8859-1"])
def test_albanian_text_with_only_shared_letters_round_trips_in_every_page(encoding):
    decoded = decode_bytes(PLAIN_ALBANIAN.encode(encoding))
    assert decoded.text == PLAIN_ALBANIAN
    # every legacy page gives this same text, so any of their labels is honest
    assert decoded.encoding in {"cp1250", "cp1252", "iso8859-2", "iso8859-1"}


def test_utf8_file_with_a_pasted_cp1252_fragment_keeps_both_parts():
    raw = "Shqipëria „po“ tha ai. ".encode("utf-8") + "Kafe në Tiranë, à la carte.".encode("cp1252")
    decoded = decode_bytes(raw)
    assert decoded.text == "Shqipëria „po“ tha ai. Kafe në Tiranë, à la carte."
    assert decoded.encoding == "utf-8+cp1252"


def test_mojibake_is_repaired_with_ftfy():
    original = "Pikëpamje: “Çështja” është e vështirë, tha ai në Tiranë."
    # as a browser shows it: cp1252, with the five undefined bytes kept as U+0080-U+009F
    mojibake = "".join(bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in original.encode())
    assert "Ã«" in mojibake
    decoded = decode_bytes(mojibake.encode("utf-8"))
    assert decoded.text == original
    assert decoded.encoding == "utf-8+ftfy"


def test_mojibake_repair_leaves_clean_lines_alone():
    clean_line = "„Citim“ me thonjëza shqipe dhe ç, ë, Ç, Ë të sakta."
    broken_line = "Ministri tha: Ã§ështja Ã«shtë e mbyllur."
    decoded = decode_bytes(f"{clean_line}\n{broken_line}".encode("utf-8"))
    assert decoded.text.split("\n") == [clean_line, "Ministri tha: çështja është e mbyllur."]


def test_text_with_albanian_letters_but_no_mojibake_is_not_touched():
    text = "Çështja Ëndrra «Ç» — Ç» is fine and so is Ë“ in a quote."
    decoded = decode_bytes(text.encode("utf-8"))
    assert decoded.text == text
    assert decoded.encoding == "utf-8"


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("Teksti\x00 me NUL në mes të fjalisë së gjatë.", "Teksti me NUL në mes të fjalisë së gjatë."),
        ("Teksti me \ufffd shenjë zëvendësimi në mes.", "Teksti me  shenjë zëvendësimi në mes."),
        ("Teksti me\x85 kontroll C1\x9d në mes të fjalisë.", "Teksti me kontroll C1 në mes të fjalisë."),
        ("Teksti me\x07 zile dhe\x1b escape në mes të fjalisë.", "Teksti me zile dhe escape në mes të fjalisë."),
    ],
)
def test_forbidden_characters_are_removed_and_the_loss_is_labelled(dirty, clean):
    decoded = decode_bytes(dirty.encode("utf-8"))
    assert decoded.text == clean
    assert decoded.encoding == "utf-8+cleaned"


def test_form_feed_becomes_a_line_break_without_loss_label():
    decoded = decode_bytes("Faqja e parë e raportit.\x0cFaqja e dytë e raportit.".encode("utf-8"))
    assert decoded.text == "Faqja e parë e raportit.\nFaqja e dytë e raportit."
    assert decoded.encoding == "utf-8"


def test_utf16_with_bom_is_decoded():
    decoded = decode_bytes(PLAIN_ALBANIAN.encode("utf-16"))
    assert decoded.text == PLAIN_ALBANIAN
    assert decoded.encoding == "utf-16"


def test_empty_file_is_quarantined():
    with pytest.raises(QuarantineError, match=r"^empty file \(0 bytes\)$"):
        decode_bytes(b"")


def test_whitespace_only_file_is_quarantined():
    with pytest.raises(QuarantineError, match="whitespace-only file"):
        decode_bytes(b" \n\r\n\t  \n")


def test_file_over_the_limit_is_quarantined_with_the_setting_named():
    raw = b"a" * 101
    with pytest.raises(QuarantineError) as error:
        decode_bytes(raw, max_bytes=100)
    assert str(error.value) == "file too large: 101 bytes > limit 100 (set KRONIKA_MAX_FILE_BYTES)"


def test_default_limit_accepts_a_large_text():
    raw = (PLAIN_ALBANIAN + "\n").encode("utf-8") * 10_000
    assert len(raw) < DEFAULT_MAX_BYTES
    assert decode_bytes(raw).text.count("\n") == 10_000


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        (b"%PDF-1.7\n", "PDF"),
        (b"PK\x03\x04\x14\x00", "ZIP"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        (b"\x1f\x8b\x08\x00", "gzip"),
    ],
)
def test_known_binary_formats_are_quarantined_by_magic_number(header, kind):
    with pytest.raises(QuarantineError, match=f"binary file: starts like a.*{kind}"):
        decode_bytes(header + PLAIN_ALBANIAN.encode("utf-8"))


def test_nul_bytes_mean_binary():
    raw = PLAIN_ALBANIAN.encode("utf-8") + b"\x00\x01\x00\x00" * 50
    with pytest.raises(QuarantineError, match=r"binary file: \d+% NUL bytes in the first 4 KiB"):
        decode_bytes(raw)


def test_many_control_bytes_mean_binary():
    raw = bytes(range(1, 9)) * 40 + PLAIN_ALBANIAN.encode("utf-8")
    with pytest.raises(QuarantineError, match=r"binary file: \d+% control bytes in the first 4 KiB"):
        decode_bytes(raw)


def test_text_without_letters_is_quarantined():
    with pytest.raises(QuarantineError, match="no recognisable text: fewer than 20 letters"):
        decode_bytes(b"12.5 - 300 / 44 ... 2025-10-17 20:51 ok")


def test_configured_max_bytes_reads_the_environment(monkeypatch):
    monkeypatch.setenv("KRONIKA_MAX_FILE_BYTES", "12_000_000")
    assert configured_max_bytes() == 12_000_000
    monkeypatch.setenv("KRONIKA_MAX_FILE_BYTES", "not a number")
    assert configured_max_bytes() == DEFAULT_MAX_BYTES


def test_evidence_table_favours_albanian_letters_and_rejects_czech_only_ones():
    evidence = load_character_evidence()
    assert all(evidence[letter] > 0 for letter in "ëçËÇ„“”«»")
    assert all(evidence[letter] < 0 for letter in "řůĺŕţľ")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_become_clean_text_or_quarantine(raw):
    try:
        decoded = decode_bytes(raw)
    except QuarantineError as error:
        assert str(error)
        return
    assert FORBIDDEN_OUTPUT.search(decoded.text) is None
    assert "\r" not in decoded.text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="cp1250"), min_size=1, max_size=300))
def test_arbitrary_cp1250_text_never_escapes_as_another_exception(text):
    try:
        decoded = decode_bytes(text.encode("cp1250"))
    except QuarantineError:
        return
    assert FORBIDDEN_OUTPUT.search(decoded.text) is None
