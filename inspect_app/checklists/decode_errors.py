"""Translating msgspec decoder errors (TOML syntax, field types) into located Vietnamese messages."""

from __future__ import annotations

import difflib
import re
import typing

import msgspec

from .model import Area, Band, Checklist, Criterion, Evidence, Item, Level, RatingBand
from .problems import Problem

_PATH_TOKEN_RE = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")

_STRUCT_BY_KEY: dict[str, type[msgspec.Struct]] = {
    "": Checklist,
    "areas": Area,
    "criteria": Criterion,
    "items": Item,
    "evidence": Evidence,
    "levels": Level,
    "bands": Band,
    "rating_bands": RatingBand,
}
_STRUCT_NAME_VI: dict[type, str] = {
    Checklist: "phần đầu bộ tiêu chí",
    Area: "lĩnh vực",
    Criterion: "tiêu chí",
    Item: "tiêu chí thành phần",
    Evidence: "evidence (tài liệu kiểm chứng)",
    Level: "mức (levels)",
    Band: "khoảng điểm (bands)",
    RatingBand: "xếp loại (rating_bands)",
}
_TYPE_VI = {
    "float": ("một số", "2 hoặc 0.5"),
    "int": ("một số nguyên", "1"),
    "str": ("một chuỗi trong dấu ngoặc kép", '"nội dung"'),
    "bool": ("true hoặc false", "true"),
    "array": ("một danh sách [...]", '["a", "b"]'),
    "object": ("một bảng", "{ ... }"),
    "null": ("để trống", ""),
}
_TOML_ERRORS_VI = [
    ("Illegal character", "Ký tự không hợp lệ (thường do thiếu dấu ngoặc kép đóng chuỗi)"),
    ("Unterminated string", "Chuỗi chưa được đóng: thiếu dấu ngoặc kép đóng"),
    ("Unclosed array", "Danh sách chưa được đóng: thiếu dấu ]"),
    ("Unclosed inline table", "Bảng viết trên một dòng chưa được đóng: thiếu dấu }"),
    ("Cannot overwrite a value", "Khóa này đã được gán giá trị ở trên: mỗi khóa chỉ ghi một lần"),
    ("Cannot declare", "Bảng này đã được khai báo ở trên: mỗi bảng chỉ khai báo một lần"),
    ("Cannot mutate immutable namespace", "Không thể thêm vào bảng hoặc danh sách đã viết trọn ở trên"),
    ("Expected '=' after a key", "Thiếu dấu = sau tên khóa (tên khóa không có dấu cách)"),
    ("Invalid value", "Giá trị không hợp lệ: chuỗi phải trong dấu ngoặc kép, số thập phân dùng dấu chấm"),
    ("Invalid initial character for a key", "Tên khóa bắt đầu bằng ký tự không hợp lệ"),
    (
        "Expected newline or end of document",
        "Sau một giá trị phải xuống dòng (số thập phân dùng dấu chấm, không dùng dấu phẩy)",
    ),
]


def parse_error_path(path: str) -> tuple[str | int, ...]:
    """Split a msgspec error path such as `$.areas[2].type` into ("areas", 2, "type")."""
    return tuple(
        name if name else int(index) for name, index in _PATH_TOKEN_RE.findall(path.removeprefix("$"))
    )


def _literal_choices() -> dict[tuple[type, str], tuple[str, ...]]:
    """Allowed values of every Literal field of the model, e.g. (Item, "type")."""
    choices: dict[tuple[type, str], tuple[str, ...]] = {}
    for cls in _STRUCT_NAME_VI:
        hints = typing.get_type_hints(cls)
        for field in msgspec.structs.fields(cls):
            hint = hints[field.name]
            if typing.get_origin(hint) is list:
                (hint,) = typing.get_args(hint)
            if typing.get_origin(hint) is typing.Literal:
                choices[(cls, field.encode_name)] = typing.get_args(hint)
    return choices


_CHOICES = _literal_choices()


def struct_at(path: tuple[str | int, ...]) -> type[msgspec.Struct]:
    """The Struct type found at a (container) path such as ("areas", 0, "criteria", 1)."""
    names = [p for p in path if isinstance(p, str) and p in _STRUCT_BY_KEY]
    return _STRUCT_BY_KEY[names[-1] if names else ""]


def _field_names(cls: type[msgspec.Struct]) -> list[str]:
    return [f.encode_name for f in msgspec.structs.fields(cls)]


def _suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f' Có phải ý bạn là "{close[0]}"?' if close else ""


def translate_validation_error(text: str) -> tuple[tuple[str | int, ...], str]:
    """Turn a msgspec ValidationError text into (path tokens, Vietnamese message with a fix)."""
    message, _, at = text.partition(" - at `")
    path = parse_error_path(at.rstrip("`")) if at else ()
    if m := re.fullmatch(r"Object contains unknown field `(.+)`", message):
        cls = struct_at(path)
        names = _field_names(cls)
        return path + (m.group(1),), (
            f"Khóa `{m.group(1)}` không có trong {_STRUCT_NAME_VI[cls]}.{_suggest(m.group(1), names)} "
            f"Các khóa hợp lệ: {', '.join(names)}."
        )
    if m := re.fullmatch(r"Object missing required field `(.+)`", message):
        cls = struct_at(path)
        return path + (m.group(1),), (
            f"Thiếu khóa bắt buộc `{m.group(1)}` trong {_STRUCT_NAME_VI[cls]}: hãy thêm {m.group(1)} = …"
        )
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    if m := re.fullmatch(r"Invalid enum value (.+)", message):
        container = path[:-1] if path and isinstance(path[-1], int) else path
        choices = _CHOICES.get((struct_at(container[:-1]), key), ())
        value = m.group(1).strip("'\"")
        listed = ", ".join(f'"{c}"' for c in choices)
        return path, (
            f'Giá trị "{value}" của `{key}` không hợp lệ: chỉ được dùng một trong {listed}.'
            f"{_suggest(value, choices)}"
        )
    if m := re.fullmatch(r"Expected `(.+)`, got `(.+)`", message):
        expected = [t.strip() for t in m.group(1).split("|")]
        wanted = " hoặc ".join(_TYPE_VI.get(t, (t, ""))[0] for t in expected)
        got = _TYPE_VI.get(m.group(2), (m.group(2), ""))[0]
        example = _TYPE_VI.get(expected[0], ("", ""))[1]
        fix = f" (ví dụ {key} = {example})" if example and key else ""
        return path, f"Giá trị của `{key}` phải là {wanted}, nhưng đang là {got}: hãy sửa lại{fix}."
    return path, f"Giá trị không hợp lệ ở `{key}`: {message}."


def syntax_problem(text: str, filename: str, source: str) -> Problem:
    m = re.search(r"\(at line (\d+), column (\d+)\)", text)
    if m:
        line, column = int(m.group(1)), int(m.group(2))
    else:  # "(at end of document)"
        line, column = source.count("\n") + (0 if source.endswith("\n") else 1), None
    english = re.sub(r"\s*\(at [^)]*\)", "", text)
    vietnamese = next((vi for en, vi in _TOML_ERRORS_VI if english.startswith(en)), None)
    where = f" (cột {column})" if column else ""
    detail = f"{vietnamese}{where}" if vietnamese else f"{english}{where}"
    # The code of the node just above the error helps find it in a long file.
    code = _code_above(source, line)
    return Problem(
        filename,
        max(line, 1),
        code,
        f"Lỗi cú pháp TOML: {detail}. Hãy sửa dòng này (hoặc dòng ngay trên) theo cú pháp TOML.",
    )


def _code_above(source: str, line: int) -> str | None:
    lines = source.splitlines()[:line]
    for text in reversed(lines):
        m = re.match(r"\s*code\s*=\s*[\"']([^\"']+)[\"']", text)
        if m:
            return m.group(1)
    return None
