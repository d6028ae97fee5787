"""The rule for control characters in stored text (inspect_app/text.py: `printable`, applied by `nfc`)."""

from __future__ import annotations

import pytest

from inspect_app.text import nfc, printable


@pytest.mark.parametrize("raw, stored", [
    ("dòng một\x0bdòng hai", "dòng một\ndòng hai"),  # Word's manual line break (Shift+Enter)
    ("a\r\nb\rc\x0cd", "a\nb\nc\nd"),  # Windows and old Mac line ends, Word's page break
    ("a\u2028b\u2029c\x85d", "a\nb\nc\nd"),  # Unicode line and paragraph separators, NEL
    ("a\tb", "a\tb"),  # a tab is printable
    ("số\x00 15\x1b[0m\x7f/QĐ\ufffe", "số 15[0m/QĐ"),  # NUL, ESC, DEL and a noncharacter are dropped
    ("lỗi\ud800", "lỗi"),  # a lone surrogate cannot be stored as UTF-8
])
def test_control_characters_are_line_breaks_or_dropped(raw: str, stored: str) -> None:
    assert nfc(raw) == stored
    assert printable(printable(raw)) == printable(raw)


def test_vietnamese_and_joiners_are_kept() -> None:
    text = "Nguyễn Thị Hoà – Trưởng bộ phận\u200b Một cửa"
    assert printable(text) == text
