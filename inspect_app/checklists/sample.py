"""The dossier sample (mẫu hồ sơ): the rows of a `sample` item — what a cell may hold, and the row tests
that `from_sample` counts with (checklists/derive.py). Pure functions, no database.

A stored row holds only its filled cells: {column key: value}, the value a string (text, choice, and a
date as "YYYY-MM-DD"), a bool (yesno) or a number (number). static/js/derive.js mirrors `row_passes`.
"""

from __future__ import annotations

import datetime
import math
import re

from .model import Answer, Column, Item, RowTest

Cell = str | float | bool | None
Row = dict[str, Cell]

# The longest text a cell takes (a dossier's code, a short remark), and the most rows any sample may allow.
MAX_CELL_TEXT = 500
MAX_ROWS_CEILING = 1000
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_filled(value: Cell) -> bool:
    """Whether a cell carries something (an empty string or None is an empty cell)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def date_problem(text: str) -> str | None:
    """Why a text is not a calendar date written YYYY-MM-DD (a date answer's rule too), or None."""
    if not _ISO_DATE_RE.fullmatch(text):
        return f"ngày «{text}» không đúng dạng năm-tháng-ngày (YYYY-MM-DD), ví dụ 2026-03-31"
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return f"ngày «{text}» không tồn tại trong lịch"
    return None


def columns_fit_lines(columns: list[Column]) -> bool:
    """Whether a sample's columns can be written one a line as `key | label | type | required | a, b` (the
    Excel cell and the editor's field): not when a key or label holds "|" or a line break, nor a choice a
    comma, "|" or a line break. Such columns are written as JSON instead, which both readers accept."""
    def clean(text: str, *marks: str) -> bool:
        return not any(mark in text for mark in ("|", "\n", "\r", *marks))

    return all(clean(c.key) and clean(c.label) and all(clean(choice, ",") for choice in c.choices)
               for c in columns)


def cell_problem(column: Column, value: Cell) -> str | None:
    """Why a filled cell does not fit its column (Vietnamese), or None."""
    kind = column.type
    if kind == "yesno":
        return None if isinstance(value, bool) else "phải là có (true) hoặc không (false)"
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return "phải là một số"
        return None
    if not isinstance(value, str):
        return "phải là một chuỗi ký tự"
    if len(value) > MAX_CELL_TEXT:
        return f"dài quá {MAX_CELL_TEXT} ký tự"
    if kind == "date" and (problem := date_problem(value)):
        return problem
    if kind == "choice" and value not in column.choices:
        listed = ", ".join(f"«{choice}»" for choice in column.choices)
        return f"«{value[:40]}» không phải một lựa chọn của cột; hãy chọn một trong: {listed}"
    return None


def rows_problem(item: Item, rows: list[Row]) -> str | None:
    """Why the rows do not fit the sample item (the first reason, Vietnamese), or None."""
    if len(rows) > item.max_rows:
        return (f"Mẫu có {len(rows)} dòng, vượt quá {item.max_rows} dòng tối đa của tiêu chí thành phần này; "
                "hãy bớt dòng.")
    columns = {column.key: column for column in item.columns}
    listed = ", ".join(columns)
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            return f"Dòng {number} của mẫu phải là một đối tượng {{mã cột: giá trị}}."
        for key, value in row.items():
            column = columns.get(key)
            if column is None:
                return f"Dòng {number}: không có cột «{key[:40]}» trong mẫu; các cột là: {listed}."
            if is_filled(value) and (problem := cell_problem(column, value)):
                return f"Dòng {number}, cột «{column.label}»: {problem}."
        for column in item.columns:
            if column.required and not is_filled(row.get(column.key)):
                return f"Dòng {number}: chưa nhập «{column.label}» (cột bắt buộc)."
    return None


def too_few_rows(item: Item, answer: Answer | None) -> bool:
    """A sample answered with fewer rows than its `min_rows` is not finished (sign-off waits for it)."""
    if item.type != "sample" or answer is None or answer.na:
        return False
    return len(answer.rows or []) < item.min_rows


def _ordered(row: Row, left: str, right: str) -> tuple[Cell, Cell] | None:
    """Both cells when they can be compared (both filled, both strings or both numbers), else None."""
    a, b = row.get(left), row.get(right)
    if not (is_filled(a) and is_filled(b)):
        return None
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
    return (a, b) if numbers else None


def row_passes(row: Row, test: RowTest) -> bool:
    """Whether one row passes one test (dates compare as ISO strings, which sort as dates do)."""
    value = row.get(test.column)
    if test.filled is not None:
        return is_filled(value) == test.filled
    if test.yes is not None:
        return isinstance(value, bool) and value == test.yes
    if test.equals is not None:
        return value == test.equals
    other = test.le_column if test.le_column is not None else test.gt_column
    pair = _ordered(row, test.column, other) if other is not None else None
    if pair is None:
        return False
    a, b = pair
    return a <= b if test.le_column is not None else a > b  # type: ignore[operator]


def count_rows(rows: list[Row], tests: list[RowTest]) -> int:
    """How many rows pass every test (no tests: every row)."""
    return sum(1 for row in rows if all(row_passes(row, test) for test in tests))

