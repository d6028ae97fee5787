"""Vietnamese text at the boundary: NFC normalisation, search folding, official date wording."""

from __future__ import annotations

import re
import unicodedata
from datetime import date


# The rule for control characters in stored text (one place: `nfc` applies it to every input, and
# the document writers apply `printable` to what was stored before the rule existed):
# - every kind of line break becomes "\n": CR LF, CR, NEL, U+2028/U+2029, and the vertical tab
#   and form feed that Word puts in a paste for a manual line break and a page break;
# - tab stays (it is printable and XML allows it);
# - every other control character (NUL, ESC, C1 controls…), lone surrogates and the noncharacters
#   U+FFFE/U+FFFF are dropped: they are invisible, mean nothing to a reader, and XML (DOCX, XLSX)
#   cannot carry them, so one of them would make an official document impossible to produce.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_UNPRINTABLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """Text with line breaks normalised to "\n" and unprintable characters dropped (see above)."""
    return _UNPRINTABLE.sub("", _LINE_BREAKS.sub("\n", text))


def nfc(text: str) -> str:
    """Normalise to NFC, apply the control-character rule and trim: every text is stored and
    compared this way."""
    return unicodedata.normalize("NFC", printable(text)).strip()


def fold(text: str) -> str:
    """The search key: no diacritics, đ→d, lower case, single spaces.

    NFD and dropping every combining mark removes tones and the breve, circumflex and horn
    alike; đ has no decomposition, so it is mapped by hand. "Thuỷ Nguyên", "Thủy Nguyên" and
    "thuy nguyen" all fold to "thuy nguyen".
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return " ".join(stripped.lower().split())


def official_date(day: date, place: str = "") -> str:
    """NĐ 30/2020 date line: days below 10 and months 1–2 are zero-padded ("ngày 07 tháng 02 năm 2026")."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {text}" if place else text


def short_date(value: str | date | None) -> str:
    """dd/mm/yyyy, the customary numeric form; '' for no date."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def vn_number(value: float | None) -> str:
    """Vietnamese number style: decimal comma, at most 2 decimals, no trailing zeros ("1,5"; "12")."""
    if value is None:
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def display_filename(name: str, limit: int = 200) -> str:
    """A received file name made safe to show and to offer back in Content-Disposition: the last
    path component only, no control characters (NUL, tab, ESC…), NFC, at most `limit` characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = unicodedata.normalize("NFC", base).strip().lstrip(".")
    if len(base) > limit:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: limit - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else base[:limit]
    return base or "tep-minh-chung"


def file_size(size: int | None) -> str:
    """A size as a person reads it, decimal comma: "850 KB", "7,9 MB"."""
    if size is None:
        return ""
    if size < 1_000_000:
        return f"{max(1, round(size / 1000))} KB"
    return f"{size / 1_000_000:.1f} MB".replace(".", ",")
