"""Excel round-trip: export a checklist to a workbook people can edit, and read it back."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

import msgspec
import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from inspect_app.text import printable
from inspect_app.workbook_limits import WorkbookRefused, check_workbook

from .model import Area, Band, Checklist, Column, Criterion, Item, Level, When
from .sample import columns_fit_lines
from .validate import (
    Keys,
    Node,
    Problem,
    translate_validation_error,
    validate_checklist,
)

INFO_SHEET = "Thông tin"
ITEMS_SHEET = "Tiêu chí"

# (key, header, width). Keys name Item fields, "evidence.x" its evidence, "area.x" and
# "criterion.x" the parents repeated on every row. Headers carry the TOML key so that a
# validation message naming `max_points` points at the right column.
ITEM_COLUMNS: list[tuple[str, str, int]] = [
    ("area.code", "Mã lĩnh vực (areas.code)", 10),
    ("area.title", "Tên lĩnh vực (areas.title)", 28),
    ("area.max_points", "Điểm tối đa lĩnh vực (areas.max_points)", 12),
    ("criterion.code", "Mã tiêu chí (criteria.code)", 10),
    ("criterion.title", "Tên tiêu chí (criteria.title)", 32),
    ("criterion.max_points", "Điểm tối đa tiêu chí, có thể để trống (criteria.max_points)", 14),
    ("code", "Mã tiêu chí thành phần (code)", 12),
    ("text", "Nội dung tiêu chí thành phần (text)", 48),
    ("type", "Loại (type)", 11),
    ("max_points", "Điểm tối đa (max_points)", 10),
    ("guidance", "Hướng dẫn chấm (guidance)", 40),
    ("na_allowed", "Cho phép «Không áp dụng» (na_allowed): Có/Không", 12),
    ("evidence.kind", "Loại tài liệu kiểm chứng (evidence.kind)", 13),
    ("evidence.min_count", "Số tài liệu tối thiểu (evidence.min_count)", 11),
    ("evidence.hint", "Gợi ý tài liệu kiểm chứng (evidence.hint)", 30),
    ("levels", "Các mức (levels): khóa|nhãn|điểm; …", 40),
    ("step", "Bước điểm (step)", 9),
    ("mode", "Cách tính (mode): step/linear", 10),
    ("bands", "Các khoảng (bands): từ-đến:điểm; …", 30),
    ("zero_at", "0 điểm tại % (zero_at)", 9),
    ("full_at", "Đủ điểm tại % (full_at)", 9),
    ("if_empty", "Khi mẫu số bằng 0 (if_empty): max/zero/na", 12),
    ("numerator_label", "Nhãn tử số (numerator_label)", 20),
    ("denominator_label", "Nhãn mẫu số (denominator_label)", 20),
    ("count_label", "Nhãn số đếm (count_label)", 18),
    ("per_violation", "Điểm trừ mỗi vi phạm (per_violation)", 10),
    ("violation_label", "Nhãn vi phạm (violation_label)", 18),
    ("max_value", "Số lớn nhất được nhập, để trống = 1.000.000 (max_value)", 12),
    ("columns", "Cột của mẫu hồ sơ (columns): khóa|nhãn|loại|bắt buộc|lựa chọn, mỗi cột một dòng", 40),
    ("min_rows", "Số dòng tối thiểu của mẫu (min_rows)", 9),
    ("max_rows", "Số dòng tối đa của mẫu (max_rows)", 9),
    ("from_sample", "Tính từ mẫu hồ sơ (from_sample), dạng JSON", 40),
    ("when", "Điều kiện áp dụng (when): mã = giá trị / mã in a, b / mã >= số", 22),
    ("criterion.when", "Điều kiện áp dụng tiêu chí (criteria.when): mã = giá trị / mã in a, b / mã >= số", 22),
]
INFO_ROWS: list[tuple[str, str, str]] = [
    (
        "id",
        "Mã bộ tiêu chí (id)",
        "Chữ thường không dấu, số và dấu gạch ngang; giữ nguyên qua các phiên bản.",
    ),
    ("title", "Tên bộ tiêu chí (title)", ""),
    ("version", "Phiên bản (version)", "Nhãn phiên bản, ví dụ 2026.1."),
    ("description", "Mô tả (description)", ""),
    (
        "unit_kinds",
        "Loại đơn vị áp dụng (unit_kinds)",
        "Một hoặc nhiều trong: xa, phuong, dac_khu, so_nganh; cách nhau bằng dấu phẩy.",
    ),
    (
        "max_points",
        "Tổng điểm tối đa (max_points)",
        "Có thể để trống; nếu ghi thì phải bằng tổng điểm các lĩnh vực.",
    ),
    ("legal_basis", "Căn cứ pháp lý (legal_basis)", "Mỗi văn bản một dòng; thêm dòng mới với cùng tên mục."),
    (
        "rating_bands",
        "Xếp loại từ % điểm (rating_bands)",
        "Cột B: % tối thiểu; cột C: nhãn xếp loại; mỗi xếp loại một dòng, cần một dòng 0%.",
    ),
]
_INFO_HEADERS = ("Mục", "Giá trị", "Nhãn xếp loại", "Ghi chú")
_CHOICE_LISTS = {
    "type": "yesno,levels,score,ratio,count,deduction,text,date,sample",
    "na_allowed": "Có,Không",
    "evidence.kind": "none,photo,document,any",
    "mode": "step,linear",
    "if_empty": "max,zero,na",
}
_TRUE = {"có", "co", "x", "yes", "true", "1", "đúng"}
_FALSE = {"không", "khong", "no", "false", "0", "sai"}
_NUMBER = r"-?\d+(?:[.,]\d+)?"
_BAND_RE = re.compile(rf"\s*({_NUMBER})\s*[-–—]\s*({_NUMBER})?\s*:\s*({_NUMBER})\s*")

_NUMBER_KEYS = {
    "area.max_points",
    "criterion.max_points",
    "max_points",
    "step",
    "zero_at",
    "full_at",
    "per_violation",
}
_INT_KEYS = {"evidence.min_count", "max_value", "min_rows", "max_rows"}
_ALWAYS_SHOWN = {
    "sample": ("min_rows", "max_rows"),
    "score": ("step",),
    "ratio": ("mode", "if_empty"),
}


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _text_num(value: float) -> str:
    return str(_num(value))


def format_levels(levels: list[Level]) -> str:
    """Levels as `key|label|points; …` (one per line when a label contains `;`)."""
    parts = [f"{level.key}|{level.label}|{_text_num(level.points)}" for level in levels]
    return ("\n" if any(";" in level.label for level in levels) else "; ").join(parts)


def format_columns(columns: list[Column]) -> str:
    """A sample's columns, one a line: `key|label|type|bắt buộc|choice, choice` (trailing parts may go);
    as JSON when a label holds "|" or a choice a comma (sample.columns_fit_lines)."""
    if not columns_fit_lines(columns):
        return msgspec.json.encode(columns).decode()
    lines = []
    for column in columns:
        parts = [column.key, column.label, column.type, "bắt buộc" if column.required else "",
                 ", ".join(column.choices)]
        while parts[-1] == "":
            parts.pop()
        lines.append("|".join(parts))
    return "\n".join(lines)


def parse_columns(text: str) -> list[dict[str, object]]:
    """Read the lines `key|label|type|bắt buộc|choices`, or a JSON list, into column tables (the validator
    checks them)."""
    if text.lstrip().startswith("["):
        try:
            return msgspec.json.decode(text)
        except msgspec.DecodeError:
            raise CellError('không phải JSON hợp lệ; ví dụ [{"key": "ma_ho_so", "label": "Mã hồ sơ", '
                            '"type": "text", "required": true}].') from None
    columns = []
    for entry in [line.strip() for line in text.splitlines() if line.strip()]:
        parts = [part.strip() for part in entry.split("|")]
        if len(parts) < 2 or len(parts) > 5:
            raise CellError(f"Cột «{entry}» không đúng dạng khóa|nhãn|loại|bắt buộc|lựa chọn (ví dụ "
                            "ngay_hen_tra|Ngày hẹn trả|date|bắt buộc); mỗi cột một dòng.")
        parts += [""] * (5 - len(parts))
        required = _norm(parts[3])
        if required not in ("", "bắt buộc", *_TRUE, *_FALSE):
            raise CellError(f"Phần thứ tư của cột «{entry}» phải là «bắt buộc» hoặc để trống.")
        columns.append({"key": parts[0], "label": parts[1], "type": parts[2].lower() or "text",
                        "required": required in ("bắt buộc", *_TRUE),
                        "choices": [c.strip() for c in parts[4].split(",") if c.strip()]})
    return columns


def parse_from_sample(text: str) -> object:
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError:
        raise CellError('không phải JSON hợp lệ; ví dụ {"item": "2.1.4", "numerator": [{"column": "ngay_tra", '
                        '"le_column": "ngay_hen_tra"}]}.') from None
    return value


def format_bands(bands: list[Band]) -> str:
    """Bands as `from-to:points; …`; the open last band of a count item is `from-:points`."""
    return "; ".join(
        f"{_text_num(b.from_)}-{'' if b.to is None else _text_num(b.to)}:{_text_num(b.points)}" for b in bands
    )


_WHEN_RE = re.compile(rf"\s*([\d.]+)\s*(?:(=)\s*(\S+)|(in)\s+(.+)|(>=|≥)\s*({_NUMBER}))\s*", re.I)


def format_when(when: When | None) -> str | None:
    """A condition as one cell: `1.1.1 = yes`, `3.1.2 in dat, dat_mot_phan` or `3.2.3 >= 1`."""
    if when is None:
        return None
    if when.equals is not None:
        return f"{when.item} = {when.equals}"
    if when.in_ is not None:
        return f"{when.item} in {', '.join(when.in_)}"
    return f"{when.item} >= {_text_num(when.min or 0)}"


def parse_when(text: str) -> dict[str, object]:
    """Read a condition cell written as `format_when` writes it; raises CellError otherwise."""
    match = _WHEN_RE.fullmatch(text)
    if match is None:
        raise CellError(
            f"Điều kiện «{text}» không đúng dạng: hãy ghi «mã = giá trị» (ví dụ 1.1.1 = yes), "
            "«mã in khóa, khóa» (ví dụ 3.1.2 in dat, dat_mot_phan) hoặc «mã >= số» (ví dụ 3.2.3 >= 1)."
        )
    code, _, equals, _, listed, _, low = match.groups()
    if equals is not None:
        return {"item": code, "equals": equals}
    if listed is not None:
        return {"item": code, "in": [part.strip() for part in listed.split(",") if part.strip()]}
    return {"item": code, "min": _as_number(low)}


def _item_cells(area: Area, crit: Criterion, item: Item) -> dict[str, object]:
    shown = msgspec.to_builtins(item)  # only fields that differ from their defaults
    cells: dict[str, object] = {
        "area.code": area.code,
        "area.title": area.title,
        "area.max_points": _num(area.max_points),
        "criterion.code": crit.code,
        "criterion.title": crit.title,
        "criterion.max_points": None if crit.max_points is None else _num(crit.max_points),
        "criterion.when": format_when(crit.when),
        "when": format_when(item.when),
        "code": item.code,
        "text": item.text,
        "type": item.type,
        "max_points": _num(item.max_points) if "max_points" in shown else None,
        "na_allowed": "Có" if item.na_allowed else "Không",
        "levels": format_levels(item.levels) if item.levels else None,
        "bands": format_bands(item.bands) if item.bands else None,
        "max_value": item.max_value,
        "columns": format_columns(item.columns) if item.columns else None,
        "from_sample": msgspec.json.encode(item.from_sample).decode() if item.from_sample else None,
    }
    for key in ("min_rows", "max_rows"):
        if key in shown or key in _ALWAYS_SHOWN.get(item.type, ()):
            cells[key] = getattr(item, key)
    for key in (
        "guidance",
        "numerator_label",
        "denominator_label",
        "count_label",
        "violation_label",
        "mode",
        "if_empty",
    ):
        if key in shown or key in _ALWAYS_SHOWN.get(item.type, ()):
            cells[key] = getattr(item, key)
    for key in ("step", "zero_at", "full_at", "per_violation"):
        if (
            key in shown
            or key in _ALWAYS_SHOWN.get(item.type, ())
            or (item.mode == "linear" and key in ("zero_at", "full_at"))
        ):
            cells[key] = _num(getattr(item, key))
    evidence = item.evidence
    if evidence.kind != "none" or evidence.min_count or evidence.hint:
        cells["evidence.kind"] = evidence.kind
        cells["evidence.min_count"] = evidence.min_count
        cells["evidence.hint"] = evidence.hint or None
    return cells


def _safe(value: object) -> object:
    """A cell value openpyxl can write: a TOML string may carry control characters as escapes."""
    return printable(value) if isinstance(value, str) else value


def _style_header(ws: Worksheet, ncols: int) -> None:
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col in range(1, ncols + 1):
        cell = ws.cell(row=1, column=col)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "A2"


def _write_items(ws: Worksheet, checklist: Checklist) -> None:
    ws.append([header for _, header, _ in ITEM_COLUMNS])
    keys = [key for key, _, _ in ITEM_COLUMNS]
    for area in checklist.areas:
        for crit in area.criteria:
            for item in crit.items:
                cells = _item_cells(area, crit, item)
                ws.append([_safe(cells.get(key)) for key in keys])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
            if keys[cell.column - 1].endswith("code"):
                cell.number_format = "@"  # codes such as 1.10 must stay text, not become 1.1
    for index, (key, _, width) in enumerate(ITEM_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
        if key in _CHOICE_LISTS:
            letter = get_column_letter(index)
            check = DataValidation(type="list", formula1=f'"{_CHOICE_LISTS[key]}"', allow_blank=True)
            check.add(f"{letter}2:{letter}2000")
            ws.add_data_validation(check)
    _style_header(ws, len(ITEM_COLUMNS))
    ws.row_dimensions[1].height = 60
    ws.auto_filter.ref = f"A1:{get_column_letter(len(ITEM_COLUMNS))}{max(ws.max_row, 2)}"


def _write_info(ws: Worksheet, checklist: Checklist) -> None:
    ws.append(list(_INFO_HEADERS))
    label = {key: text for key, text, _ in INFO_ROWS}
    note = {key: text for key, _, text in INFO_ROWS}
    values = {
        "id": checklist.id,
        "title": checklist.title,
        "version": checklist.version,
        "description": checklist.description or None,
        "unit_kinds": ", ".join(checklist.unit_kinds),
        "max_points": None if checklist.max_points is None else _num(checklist.max_points),
    }
    for key in ("id", "title", "version", "description", "unit_kinds", "max_points"):
        ws.append([label[key], _safe(values[key]), None, note[key]])
        if key == "version":
            ws.cell(row=ws.max_row, column=2).number_format = "@"  # "2026.10" must not become 2026.1
    for i, line in enumerate(checklist.legal_basis or [""]):
        ws.append([label["legal_basis"], _safe(line) or None, None, note["legal_basis"] if i == 0 else None])
    bands = checklist.rating_bands
    if bands:
        for i, band in enumerate(bands):
            ws.append(
                [
                    label["rating_bands"],
                    _num(band.min_percent),
                    _safe(band.label),
                    note["rating_bands"] if i == 0 else None,
                ]
            )
    else:
        ws.append([label["rating_bands"], None, None, note["rating_bands"]])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    for letter, width in zip("ABCD", (34, 60, 20, 50), strict=True):
        ws.column_dimensions[letter].width = width
    _style_header(ws, len(_INFO_HEADERS))


def export_xlsx(checklist: Checklist, path: str | Path) -> None:
    """Write a workbook with a «Thông tin» sheet and a «Tiêu chí» sheet, one row per item."""
    workbook = openpyxl.Workbook()
    info = workbook.active
    info.title = INFO_SHEET
    _write_info(info, checklist)
    _write_items(workbook.create_sheet(ITEMS_SHEET), checklist)
    workbook.save(path)


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell whose content cannot be read; the message is Vietnamese."""


def _norm(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().casefold()


def _header_aliases(key: str, header: str) -> set[str]:
    # A column is recognised by its full header, its Vietnamese part or its TOML key.
    return {_norm(header), _norm(header.split(" (")[0]), _norm(key)}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _text_num(value)
    # Excel on macOS may store decomposed (NFD) Vietnamese; the checklist files are NFC.
    return unicodedata.normalize("NFC", str(value)).strip()


def _as_number(value: object) -> float:
    if isinstance(value, bool):
        raise CellError(f"«{value}» không phải là số.")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise CellError(f"«{value}» không phải là số: hãy ghi một số, ví dụ 2 hoặc 0,5.") from None


def _as_int(value: object) -> int:
    number = _as_number(value)
    if not number.is_integer():
        raise CellError(f"«{value}» phải là số nguyên.")
    return int(number)


def _as_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _norm(_as_text(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"«{value}» không hợp lệ: hãy ghi «Có» hoặc «Không».")


def _split_entries(text: str) -> list[str]:
    separator = "\n" if "\n" in text else ";"
    return [part.strip() for part in text.split(separator) if part.strip()]


def parse_levels(text: str) -> list[dict[str, object]]:
    """Read `key|label|points; …` into level tables; raises CellError on a malformed entry."""
    levels = []
    for entry in _split_entries(text):
        parts = [part.strip() for part in entry.split("|")]
        if len(parts) < 3:
            raise CellError(
                f"Mức «{entry}» không đúng dạng khóa|nhãn|điểm (ví dụ dat|Đạt|2); "
                "các mức cách nhau bằng dấu «;»."
            )
        try:
            points = _as_number(parts[-1])
        except CellError:
            raise CellError(f"Điểm «{parts[-1]}» của mức «{entry}» không phải là số.") from None
        levels.append({"key": parts[0], "label": "|".join(parts[1:-1]), "points": points})
    return levels


def parse_bands(text: str) -> list[dict[str, object]]:
    """Read `from-to:points; …` into band tables (`from-:points` has no upper bound)."""
    bands = []
    for entry in _split_entries(text):
        match = _BAND_RE.fullmatch(entry)
        if match is None:
            raise CellError(
                f"Khoảng «{entry}» không đúng dạng từ-đến:điểm (ví dụ 80-95:3, hoặc 5-:2 cho khoảng "
                "cuối không giới hạn); các khoảng cách nhau bằng dấu «;»."
            )
        low, high, points = match.groups()
        band: dict[str, object] = {"from": _as_number(low), "points": _as_number(points)}
        if high is not None:
            band["to"] = _as_number(high)
        bands.append(band)
    return bands


def _read_cell(key: str, value: object) -> object:
    if key in _NUMBER_KEYS:
        return _as_number(value)
    if key in _INT_KEYS:
        return _as_int(value)
    if key == "na_allowed":
        return _as_bool(value)
    if key == "levels":
        return parse_levels(_as_text(value))
    if key == "bands":
        return parse_bands(_as_text(value))
    if key == "columns":
        return parse_columns(_cell_text(value))
    if key == "from_sample":
        return parse_from_sample(_cell_text(value))
    if key in ("when", "criterion.when"):
        return parse_when(_as_text(value))
    if key in ("type", "mode", "if_empty", "evidence.kind"):
        return _as_text(value).lower()  # "Yesno" typed by hand still means yesno
    return _as_text(value) if key.endswith("code") else _cell_text(value)


def _cell_text(value: object) -> str:
    # Long text keeps its inner line breaks; only the ends are trimmed.
    return _as_text(value) if not isinstance(value, str) else unicodedata.normalize("NFC", value).strip()


class _Reader:
    """Collects problems while reading one workbook."""

    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[Problem] = []

    def sheet_label(self, sheet: str) -> str:
        return f"{self.filename} › {sheet}"

    def add(self, sheet: str, row: int | None, code: str | None, message: str) -> None:
        self.problems.append(Problem(self.sheet_label(sheet), row, code, message))


@dataclasses.dataclass
class _CriterionRows:
    """A criterion as read so far: the row it first appears on, its title and maximum, its items."""

    row: int
    title: str | None = None
    max_points: float | None = None
    when: dict[str, object] | None = None
    items: list[tuple[int, Item]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _AreaRows:
    """An area as read so far, with its criteria by code in order of appearance."""

    row: int
    title: str | None = None
    max_points: float | None = None
    criteria: dict[str, _CriterionRows] = dataclasses.field(default_factory=dict)


def _column_map(ws: Worksheet, reader: _Reader) -> dict[int, str] | None:
    aliases = {alias: key for key, header, _ in ITEM_COLUMNS for alias in _header_aliases(key, header)}
    columns: dict[int, str] = {}
    for cell in ws[1]:
        if _blank(cell.value):
            continue
        key = aliases.get(_norm(cell.value))
        if key is None:
            reader.add(
                ITEMS_SHEET,
                1,
                None,
                f"Cột {cell.column_letter}: tiêu đề «{cell.value}» không thuộc mẫu; hãy sửa đúng tên cột "
                "như khi xuất ra, hoặc xóa cột này.",
            )
        elif key in columns.values():
            reader.add(
                ITEMS_SHEET,
                1,
                None,
                f"Cột {cell.column_letter}: cột «{cell.value}» bị lặp lại; hãy xóa một cột.",
            )
        else:
            columns[cell.column] = key
    required = (
        "area.code",
        "area.title",
        "area.max_points",
        "criterion.code",
        "criterion.title",
        "code",
        "text",
        "type",
    )
    header = {key: text for key, text, _ in ITEM_COLUMNS}
    missing = [header[key] for key in required if key not in columns.values()]
    if missing:
        reader.add(ITEMS_SHEET, 1, None, "Thiếu cột bắt buộc: " + "; ".join(f"«{m}»" for m in missing) + ".")
        return None
    return columns


def _merge(
    reader: _Reader, row: int, code: str, group: _AreaRows | _CriterionRows, values: dict, what: str
) -> None:
    """Copy a parent's title and maximum from a row, reporting rows that disagree."""
    header = {key: text for key, text, _ in ITEM_COLUMNS}
    for field in ("title", "max_points", "when") if what == "criterion" else ("title", "max_points"):
        value = values.get(f"{what}.{field}")
        if value is None:
            continue
        current = getattr(group, field)
        if current is None:
            setattr(group, field, value)
        elif current != value:
            reader.add(
                ITEMS_SHEET,
                row,
                code,
                f"Cột «{header[f'{what}.{field}']}» ghi «{value}», khác với «{current}» ở dòng {group.row} "
                f"của cùng mã {code}: hãy ghi giống nhau (hoặc để trống ở các dòng sau).",
            )


def _read_items(ws: Worksheet, reader: _Reader) -> dict[str, _AreaRows]:
    """Group the rows of the «Tiêu chí» sheet into areas and criteria, in order of appearance."""
    areas: dict[str, _AreaRows] = {}
    columns = _column_map(ws, reader)
    if columns is None:
        return areas
    header = {key: text for key, text, _ in ITEM_COLUMNS}
    for cells in ws.iter_rows(min_row=2):
        raw = {columns[c.column]: c.value for c in cells if c.column in columns and not _blank(c.value)}
        if not raw:
            continue
        row = cells[0].row
        code = _as_text(raw["code"]) if "code" in raw else None
        values: dict[str, object] = {}
        for key, value in raw.items():
            try:
                values[key] = _read_cell(key, value)
            except CellError as exc:
                reader.add(ITEMS_SHEET, row, code, f"Cột «{header[key]}»: {exc}")
        missing = [key for key in ("area.code", "criterion.code", "code", "text", "type") if key not in raw]
        for key in missing:
            reader.add(ITEMS_SHEET, row, code, f"Ô «{header[key]}» đang trống: dòng nào cũng cần ô này.")
        if missing or len(values) < len(raw):
            continue
        item = _convert_item(values, reader, row, code)
        area_code, crit_code = str(values["area.code"]), str(values["criterion.code"])
        area = areas.setdefault(area_code, _AreaRows(row))
        _merge(reader, row, area_code, area, values, "area")
        crit = area.criteria.setdefault(crit_code, _CriterionRows(row))
        _merge(reader, row, crit_code, crit, values, "criterion")
        if item is not None:
            crit.items.append((row, item))
    return areas


def _convert_item(values: dict[str, object], reader: _Reader, row: int, code: str | None) -> Item | None:
    data: dict[str, object] = {}
    evidence: dict[str, object] = {}
    for key, value in values.items():
        if key.startswith(("area.", "criterion.")):
            continue
        if key.startswith("evidence."):
            evidence[key.removeprefix("evidence.")] = value
        else:
            data[key] = value
    if evidence:
        data["evidence"] = evidence
    try:
        return msgspec.convert(data, type=Item)
    except msgspec.ValidationError as exc:
        path, message = translate_validation_error(str(exc))
        names = [p for p in path if isinstance(p, str)]
        key = ".".join(names[:2]) if names[:1] == ["evidence"] else (names[0] if names else "")
        header = {k: text for k, text, _ in ITEM_COLUMNS}
        prefix = f"Cột «{header[key]}»: " if key in header else ""
        reader.add(ITEMS_SHEET, row, code, prefix + message)
        return None


def _read_info(ws: Worksheet, reader: _Reader) -> tuple[dict[str, object], dict[Keys, int]]:
    """Read the «Thông tin» sheet into checklist fields, with the row of each field."""
    aliases = {alias: key for key, label, _ in INFO_ROWS for alias in _header_aliases(key, label)}
    data: dict[str, object] = {"legal_basis": [], "rating_bands": []}
    rows: dict[Keys, int] = {}
    for cells in ws.iter_rows(min_row=2, max_col=3):
        label, value, extra = (cell.value for cell in cells)
        row = cells[0].row
        if _blank(label):
            if not (_blank(value) and _blank(extra)):
                reader.add(INFO_SHEET, row, None, "Cột A (Mục) đang trống: hãy ghi tên mục như khi xuất ra.")
            continue
        key = aliases.get(_norm(label))
        if key is None:
            reader.add(
                INFO_SHEET, row, None, f"Không nhận ra mục «{label}»: hãy dùng đúng tên mục như khi xuất ra."
            )
            continue
        try:
            if key == "legal_basis":
                if not _blank(value):
                    rows[("legal_basis", len(data["legal_basis"]))] = row
                    data["legal_basis"].append(_cell_text(value))
                rows.setdefault(("legal_basis",), row)
            elif key == "rating_bands":
                rows.setdefault(("rating_bands",), row)
                if _blank(value) and _blank(extra):
                    continue
                band = {
                    "min_percent": _as_number(value) if not _blank(value) else None,
                    "label": _cell_text(extra or ""),
                }
                if band["min_percent"] is None:
                    raise CellError("Thiếu % tối thiểu ở cột B.")
                rows[("rating_bands", len(data["rating_bands"]))] = row
                data["rating_bands"].append(band)
            elif key in data and key not in ("legal_basis", "rating_bands"):
                reader.add(INFO_SHEET, row, None, f"Mục «{label}» bị ghi hai lần: hãy giữ một dòng.")
            elif _blank(value):
                rows[(key,)] = row
            elif key == "unit_kinds":
                rows[(key,)] = row
                data[key] = [part.strip() for part in re.split(r"[,;\n]", _as_text(value)) if part.strip()]
            elif key == "max_points":
                rows[(key,)] = row
                data[key] = _as_number(value)
            else:
                rows[(key,)] = row
                data[key] = _cell_text(value)
        except CellError as exc:
            reader.add(INFO_SHEET, row, None, f"Mục «{label}»: {exc}")
    return data, rows


def import_xlsx(path: str | Path) -> tuple[Checklist | None, list[Problem]]:
    """Read a workbook written by `export_xlsx` (and edited by a person) back into a checklist.

    Returns (checklist, []) when valid, else (None, problems) naming the sheet and row;
    the same rules as for TOML files apply once the cells are read.
    """
    path = Path(path)
    reader = _Reader(path.name)
    try:
        check_workbook(path)
    except WorkbookRefused as exc:
        return None, [Problem(path.name, None, None, exc.message)]
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        return None, [
            Problem(
                path.name,
                None,
                None,
                f"Không mở được tệp Excel ({type(exc).__name__}): hãy lưu tệp ở dạng .xlsx.",
            )
        ]
    for sheet in (INFO_SHEET, ITEMS_SHEET):
        if sheet not in workbook.sheetnames:
            reader.add(
                sheet,
                None,
                None,
                f"Không tìm thấy trang «{sheet}»: hãy giữ nguyên tên các trang như khi xuất ra.",
            )
    if reader.problems:
        return None, reader.problems
    info, info_rows = _read_info(workbook[INFO_SHEET], reader)
    areas_rows = _read_items(workbook[ITEMS_SHEET], reader)
    if reader.problems:
        return None, reader.problems
    header_checklist = _convert_info(info, info_rows, reader)
    areas, nodes = _assemble(areas_rows, reader)
    if reader.problems or header_checklist is None:
        return None, reader.problems
    checklist = msgspec.structs.replace(header_checklist, areas=areas)

    def locate(node: Node, keys: Keys) -> tuple[str, int | None]:
        if not node:
            row = info_rows.get(keys[:2]) or info_rows.get(keys[:1])
            return reader.sheet_label(INFO_SHEET), row
        return reader.sheet_label(ITEMS_SHEET), nodes.get(node)

    problems = validate_checklist(checklist, reader.filename, locate)
    return (None if problems else checklist), problems


def _convert_info(info: dict[str, object], rows: dict[Keys, int], reader: _Reader) -> Checklist | None:
    labels = {key: label for key, label, _ in INFO_ROWS}
    for key in ("id", "title", "version", "unit_kinds"):
        if key not in info:
            reader.add(
                INFO_SHEET,
                rows.get((key,)),
                None,
                f"Thiếu mục bắt buộc «{labels[key]}»: hãy ghi giá trị ở cột B.",
            )
    if reader.problems:
        return None
    try:
        return msgspec.convert({**info, "areas": []}, type=Checklist)
    except msgspec.ValidationError as exc:
        path, message = translate_validation_error(str(exc))
        reader.add(INFO_SHEET, rows.get(tuple(path[:2])) or rows.get(tuple(path[:1])), None, message)
        return None


def _assemble(areas_rows: dict[str, _AreaRows], reader: _Reader) -> tuple[list[Area], dict[Node, int]]:
    """Build the areas from grouped rows, with the row where each node starts."""
    header = {key: text for key, text, _ in ITEM_COLUMNS}
    areas: list[Area] = []
    nodes: dict[Node, int] = {}
    for a, (area_code, group) in enumerate(areas_rows.items()):
        nodes[(a,)] = group.row
        if group.max_points is None:
            reader.add(
                ITEMS_SHEET,
                group.row,
                area_code,
                f"Ô «{header['area.max_points']}» đang trống: hãy ghi điểm tối đa của lĩnh vực.",
            )
            continue
        criteria = []
        for c, (crit_code, crit_rows) in enumerate(group.criteria.items()):
            nodes[(a, c)] = crit_rows.row
            for i, (row, _) in enumerate(crit_rows.items):
                nodes[(a, c, i)] = row
            criteria.append(
                Criterion(
                    code=crit_code,
                    title=crit_rows.title or "",
                    items=[item for _, item in crit_rows.items],
                    max_points=crit_rows.max_points,
                    when=None if crit_rows.when is None else msgspec.convert(crit_rows.when, When),
                )
            )
        areas.append(
            Area(code=area_code, title=group.title or "", max_points=group.max_points, criteria=criteria)
        )
    return areas, nodes
