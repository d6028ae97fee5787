"""The answer codec: how an `Answer` is stored, read back, received and shown — the one place.

Stored: `encode` / `decode` (JSON of the Answer struct, the `answer_json` of findings, self-assessment
answers and audit rows). Received: `answer_from_api` (the API's JSON value) and `answer_from_form` (the
card's form fields). Returned: `answer_to_api`. Shown: `answer_label`.

API: yesno → true/false; levels → a level key; score, count, deduction → a number;
ratio → [numerator, denominator]; text → a string; date → "YYYY-MM-DD"; sample → a list of rows
({column key: cell}; an empty list, like null, clears); null clears.
Form: a sample's cells are the fields `row-<n>-<column key>`; a row left wholly empty is dropped.
"""

from __future__ import annotations

import math
import re
from typing import Any

import msgspec

from inspect_app.checklists import Answer, Item, is_blank
from inspect_app.checklists.model import MAX_VALUE_CEILING
from inspect_app.checklists.problems import format_number
from inspect_app.checklists.sample import is_filled
from inspect_app.services.errors import Refused
from inspect_app.text import nfc, short_date, vn_number

NUMBER_TYPES = {"score", "count", "deduction"}
ROW_FIELD_RE = re.compile(r"row-(\d{1,4})-([a-z][a-z0-9_]*)")
_decoder = msgspec.json.Decoder(Answer)
_by_code = msgspec.json.Decoder(dict[str, Answer])


def encode(answer: Answer) -> str:
    """An answer as stored (and compared: equal answers encode to equal text)."""
    return msgspec.json.encode(answer).decode()


def decode(answer_json: str | bytes, *, strict: bool = False) -> Answer:
    """A stored answer; an unreadable one (a row written by hand) reads as unanswered, never a crash —
    unless `strict`, where it raises msgspec.DecodeError (the audit page then quotes the raw text)."""
    try:
        return _decoder.decode(answer_json)
    except msgspec.DecodeError:
        if strict:
            raise
        return Answer()


def decode_all(answers_json: str) -> dict[str, Answer]:
    """{item code: answer} stored as one JSON object (queries.reports groups a visit's answers so);
    one unreadable answer leaves only that item unanswered."""
    try:
        return _by_code.decode(answers_json)
    except msgspec.DecodeError:
        raw = msgspec.json.decode(answers_json)
        return {code: decode(msgspec.json.encode(value)) for code, value in raw.items()}


def _bad(message: str) -> Refused:
    return Refused(422, "invalid_answer", message)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(f"{what} phải là một số.")
    # What no item could accept is refused before it becomes a float (a 400-digit integer would not fit);
    # each item's own limit is checked later, by validate_answer.
    if not -MAX_VALUE_CEILING <= value <= MAX_VALUE_CEILING:
        raise _bad(f"{what} quá lớn: không tiêu chí nào nhận số vượt quá {format_number(MAX_VALUE_CEILING)}.")
    return float(value)


def answer_from_api(item: Item, value: Any, na: bool) -> Answer:
    """Turn the API's `answer` value into an Answer for this item's type (422 if it does not fit)."""
    if na:
        return Answer(na=True)
    if value is None:
        return Answer()
    if item.type == "yesno":
        if not isinstance(value, bool):
            raise _bad("Câu trả lời đạt/không đạt phải là true hoặc false.")
        return Answer(choice="yes" if value else "no")
    if item.type == "levels":
        if not isinstance(value, str):
            raise _bad("Câu trả lời theo mức phải là mã của một mức.")
        return Answer(choice=value)
    if item.type in NUMBER_TYPES:
        return Answer(number=_number(value, "Câu trả lời"))
    if item.type == "ratio":
        if not isinstance(value, list) or len(value) != 2:
            raise _bad("Câu trả lời tỷ lệ phải là [tử số, mẫu số].")
        return Answer(numerator=_number(value[0], "Tử số"), denominator=_number(value[1], "Mẫu số"))
    if item.type == "sample":
        return _rows_from_api(value)
    if not isinstance(value, str):
        raise _bad("Câu trả lời phải là một chuỗi ký tự.")
    return Answer(text=nfc(value))


def require_typed(item: Item) -> None:
    """An item computed from a dossier sample (`from_sample`) takes no answer of its own: 409 `item_derived`."""
    if item.from_sample is not None:
        raise Refused(409, "item_derived", f"Tiêu chí {item.code} được tính tự động từ mẫu hồ sơ "
                      f"{item.from_sample.item}, không nhập trực tiếp: hãy sửa các dòng của mẫu.")


def _rows_from_api(value: Any) -> Answer:
    """A sample's rows as received: each a JSON object; text is NFC and trimmed, empty cells are dropped
    (the cells' types and the columns are checked by validate_answer, with the row and column named)."""
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise _bad("Câu trả lời của mẫu hồ sơ phải là danh sách các dòng, mỗi dòng một đối tượng {mã cột: giá trị}.")
    rows = [{key: cell for key, cell in ((key, _cell(cell)) for key, cell in row.items()) if is_filled(cell)}
            for row in value]
    return Answer(rows=rows) if rows else Answer()


def _cell(value: Any) -> Any:
    return nfc(value).strip() if isinstance(value, str) else value


def answer_to_api(item: Item, answer: Answer) -> Any:
    """The reverse of answer_from_api, for responses."""
    if answer.na:
        return None
    if item.type == "yesno":
        return None if answer.choice is None else answer.choice == "yes"
    if item.type == "levels":
        return answer.choice
    if item.type in NUMBER_TYPES:
        return _plain(answer.number)
    if item.type == "ratio":
        if answer.numerator is None and answer.denominator is None:
            return None
        return [_plain(answer.numerator), _plain(answer.denominator)]
    if item.type == "sample":
        return None if not answer.rows else [
            {key: _plain(cell) if isinstance(cell, float) else cell for key, cell in row.items()}
            for row in answer.rows]
    return answer.text


def _plain(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def parse_form_number(raw: str, what: str) -> float | None:
    """A number typed by a person: "1,5" or "1.5"; thousands dots are not expected here."""
    raw = raw.strip().replace(" ", "")
    if not raw:
        return None
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise _bad(f"{what} “{raw[:40]}” không phải là số.") from None
    if not math.isfinite(value):  # "inf", "nan" and 1e999 are words float() knows, not numbers a person counts
        raise _bad(f"{what} “{raw[:40]}” không phải là một số hữu hạn.")
    return value


def answer_from_form(item: Item, form: dict[str, str]) -> Answer:
    """The HTML card's fields (choice, number, numerator, denominator, text, na) into an Answer."""
    if form.get("na") in ("1", "on", "true"):
        return Answer(na=True)
    if item.type in ("yesno", "levels"):
        return Answer(choice=form.get("choice") or None)
    if item.type in NUMBER_TYPES:
        return Answer(number=parse_form_number(form.get("number", ""), "Giá trị"))
    if item.type == "ratio":
        return Answer(numerator=parse_form_number(form.get("numerator", ""), "Tử số"),
                      denominator=parse_form_number(form.get("denominator", ""), "Mẫu số"))
    if item.type == "sample":
        return _rows_from_form(item, form)
    text = nfc(form.get("text", ""))
    return Answer(text=text or None)


def _rows_from_form(item: Item, form: dict[str, str]) -> Answer:
    """The table's fields `row-<n>-<key>` into rows, in the order of n; a row left wholly empty (one just
    added) is dropped. A field of no column is kept, so validate_answer refuses it by name."""
    columns = {column.key: column for column in item.columns}
    cells: dict[int, dict[str, Any]] = {}
    for name, raw in form.items():
        if match := ROW_FIELD_RE.fullmatch(name):
            index, key = int(match[1]), match[2]
            column = columns.get(key)
            text = nfc(raw).strip()
            if column is not None and column.type == "yesno":
                value: Any = {"yes": True, "no": False}.get(text, text or None)
            elif column is not None and column.type == "number":
                value = parse_form_number(text, column.label)
            else:
                value = text or None
            if is_filled(value):
                cells.setdefault(index, {})[key] = value
    rows = [cells[index] for index in sorted(cells)]
    return Answer(rows=rows) if rows else Answer()


def answer_label(answer: Answer, item: Item) -> str:
    """An answer as a person reads it: "Đạt", "Đạt một phần", "12/15", "Không áp dụng"…"""
    if answer.na:
        return "Không áp dụng"
    if is_blank(answer):
        return "(chưa trả lời)"
    if item.type == "yesno":
        return "Đạt" if answer.choice == "yes" else "Không đạt"
    if item.type == "levels":
        return next((level.label for level in item.levels if level.key == answer.choice), answer.choice or "")
    if item.type in NUMBER_TYPES:
        return vn_number(answer.number)
    if item.type == "ratio":
        return f"{vn_number(answer.numerator)}/{vn_number(answer.denominator)}"
    if item.type == "sample":
        return f"{len(answer.rows or [])} hồ sơ"
    if item.type == "date":
        return date_label(answer.text)
    return answer.text or ""


def date_label(text: str | None) -> str:
    """A date answer (stored "YYYY-MM-DD") as people read it: "20/01/2026"; anything else as it is."""
    try:
        return short_date(text)
    except ValueError:
        return text or ""
