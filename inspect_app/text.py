"""Vietnamese text at the boundary: NFC normalisation, search folding, official date wording."""

from __future__ import annotations

import unicodedata
from datetime import date


def nfc(text: str) -> str:
    """Normalise to NFC and trim: every text is stored and compared this way."""
    return unicodedata.normalize("NFC", text).strip()


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
