"""Editing a checklist as the browser editor does: field specs, form values → Structs, tree operations,
and the validator's findings placed beside the field they concern. Pure functions, no database.

A node of the tree is named by a short id: "c" the checklist, "0" its first area, "0.1" that area's second
criterion, "0.1.2" that criterion's third item. Every field a form shows comes from a table of FieldSpec:
a key added to `model.Item` (or Criterion, Area, Checklist) without a spec still shows, as a JSON field
(see `specs_for`), and gets a friendlier input by adding one FieldSpec line here.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping

import msgspec

from .checklist_rules import checklist_findings
from .decode_errors import translate_validation_error
from .model import Area, Checklist, Criterion, Item, ItemType
from .problems import Node
from .sample import columns_fit_lines
from .xlsx import format_when, parse_when

ROOT = "c"
ITEM_TYPES: tuple[str, ...] = typing.get_args(ItemType)
UNIT_KIND_HINT = "xa, phuong, dac_khu, so_nganh"
Kind = typing.Literal["text", "textarea", "number", "optional_number", "int", "bool", "choice", "lines",
                      "levels", "bands", "rating_bands", "columns", "when", "json"]
WHEN_HINT = ("áp dụng khi câu trả lời của một tiêu chí thành phần đứng trước: 1.1.1 = yes (Đạt; no: Không đạt), "
             "3.1.2 in dat, dat_mot_phan (một trong các mức) hoặc 3.2.3 >= 1 (số từ 1 trở lên); để trống: luôn áp dụng")
REQUIRED_MARKS = {"x", "có", "co", "1", "true", "bắt buộc", "bat buoc"}


class FieldSpec(msgspec.Struct, frozen=True):
    """One field of a node's form: its key in the format (dotted for a nested table: "evidence.kind")."""

    key: str
    label: str
    kind: Kind = "text"
    types: tuple[str, ...] = ()  # item types that use it (empty: every type)
    choices: tuple[str, ...] = ()
    hint: str = ""


ITEM_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("code", "Mã", hint="mã tiêu chí + số thứ tự, ví dụ 1.2.3"),
    FieldSpec("text", "Nội dung", "textarea"),
    FieldSpec("type", "Cách chấm", "choice", choices=ITEM_TYPES),
    FieldSpec("max_points", "Điểm tối đa", "number"),
    FieldSpec("guidance", "Hướng dẫn kiểm tra", "textarea"),
    FieldSpec("na_allowed", "Cho phép “không áp dụng”", "bool"),
    FieldSpec("levels", "Các mức", "levels", ("levels",), hint="mỗi dòng: khóa | tên mức | điểm"),
    FieldSpec("step", "Bước điểm", "number", ("score",)),
    FieldSpec("mode", "Cách tính", "choice", ("ratio", "count"), ("step", "linear")),
    FieldSpec("bands", "Khoảng điểm", "bands", ("ratio", "count"), hint="mỗi dòng: từ | đến | điểm (đến để trống ở khoảng cuối của số lượng)"),
    FieldSpec("zero_at", "0 điểm tại (%)", "number", ("ratio",)),
    FieldSpec("full_at", "Điểm tối đa tại (%)", "number", ("ratio",)),
    FieldSpec("if_empty", "Khi mẫu số bằng 0", "choice", ("ratio",), ("max", "zero", "na")),
    FieldSpec("numerator_label", "Tên tử số", "text", ("ratio",)),
    FieldSpec("denominator_label", "Tên mẫu số", "text", ("ratio",)),
    FieldSpec("count_label", "Tên số lượng", "text", ("count",)),
    FieldSpec("per_violation", "Điểm trừ mỗi vi phạm", "number", ("deduction",)),
    FieldSpec("violation_label", "Tên vi phạm", "text", ("deduction",)),
    FieldSpec("max_value", "Số lớn nhất được nhập", "int", ("ratio", "count", "deduction"), hint="để trống: 1.000.000"),
    # Keys of issue 17's skip logic and dossier sample: shown once the model has them (see specs_for).
    FieldSpec("when", "Điều kiện áp dụng", "when", hint=WHEN_HINT),
    FieldSpec("columns", "Các cột của mẫu hồ sơ", "columns", ("sample",),
              hint="mỗi dòng: khóa | tên cột | kiểu (text, date, yesno, number, choice) | x nếu bắt buộc | các lựa chọn, cách nhau bởi dấu phẩy; "
                   "dạng JSON khi tên cột có dấu | hoặc lựa chọn có dấu phẩy"),
    FieldSpec("min_rows", "Số hồ sơ tối thiểu", "int", ("sample",)),
    FieldSpec("max_rows", "Số hồ sơ tối đa", "int", ("sample",)),
    FieldSpec("from_sample", "Tính từ mẫu hồ sơ", "json", ("ratio", "count"), hint="JSON, ví dụ {\"item\": \"4.1.1\"}"),
    FieldSpec("evidence.kind", "Minh chứng", "choice", choices=("none", "photo", "document", "any")),
    FieldSpec("evidence.min_count", "Số minh chứng tối thiểu", "int"),
    FieldSpec("evidence.hint", "Gợi ý minh chứng", "text"),
)
CRITERION_FIELDS = (FieldSpec("code", "Mã"), FieldSpec("title", "Tên tiêu chí", "textarea"),
                    FieldSpec("max_points", "Điểm tối đa", "optional_number", hint="để trống: tổng điểm các tiêu chí thành phần"),
                    FieldSpec("when", "Điều kiện áp dụng cho cả tiêu chí", "when", hint=WHEN_HINT))
AREA_FIELDS = (FieldSpec("code", "Mã"), FieldSpec("title", "Tên lĩnh vực", "textarea"),
               FieldSpec("max_points", "Điểm tối đa", "number"))
CHECKLIST_FIELDS = (
    FieldSpec("title", "Tên bộ tiêu chí", "textarea"),
    FieldSpec("version", "Nhãn phiên bản", hint="ví dụ 2027.1; mỗi lần công bố cần nhãn mới"),
    FieldSpec("description", "Mô tả", "textarea"),
    FieldSpec("unit_kinds", "Áp dụng cho loại đơn vị", "lines", hint=f"mỗi dòng một loại: {UNIT_KIND_HINT}"),
    FieldSpec("legal_basis", "Căn cứ pháp lý", "lines", hint="mỗi dòng một văn bản"),
    FieldSpec("max_points", "Tổng điểm", "optional_number", hint="để trống: tổng điểm các lĩnh vực"),
    FieldSpec("rating_bands", "Xếp loại", "rating_bands", hint="mỗi dòng: từ (%) | xếp loại"),
)
_SPECS: dict[type, tuple[FieldSpec, ...]] = {Item: ITEM_FIELDS, Criterion: CRITERION_FIELDS, Area: AREA_FIELDS,
                                             Checklist: CHECKLIST_FIELDS}
# Keys a form never edits: the id is the checklist's identity; children are edited as nodes of their own.
_NOT_FIELDS = {Checklist: {"id", "areas"}, Area: {"criteria"}, Criterion: {"items"}, Item: set()}


class EditError(Exception):
    """A form that cannot become the node: messages by field key (Vietnamese)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# -- nodes

def parse_node(node_id: str) -> Node:
    if node_id == ROOT:
        return ()
    try:
        node = tuple(int(part) for part in node_id.split("."))
    except ValueError:
        raise KeyError(node_id) from None
    if not 1 <= len(node) <= 3 or any(n < 0 for n in node):
        raise KeyError(node_id)
    return node


def node_id(node: Node) -> str:
    return ".".join(str(n) for n in node) if node else ROOT


def node_at(checklist: Checklist, node: Node) -> Checklist | Area | Criterion | Item:
    """The struct a node designates; KeyError when there is none."""
    value: typing.Any = checklist
    try:
        for index in node:
            value = _children(value)[index]
    except IndexError:
        raise KeyError(node_id(node)) from None
    return value


def _children(value: typing.Any) -> list:
    for name in ("areas", "criteria", "items"):
        if hasattr(value, name):
            return getattr(value, name)
    raise KeyError("item")


def _copy(checklist: Checklist) -> Checklist:
    return msgspec.json.decode(msgspec.json.encode(checklist), type=Checklist)


# -- fields

def specs_for(value: msgspec.Struct) -> list[FieldSpec]:
    """The fields a node's form shows: the spec table's (for an item, those of its type), then any key of
    the Struct the table does not know yet, as JSON."""
    kind = type(value)
    present = {f.encode_name for f in msgspec.structs.fields(kind)}
    specs = [s for s in _SPECS[kind] if s.key.split(".")[0] in present
             and (not s.types or getattr(value, "type", None) in s.types)]
    known = {s.key.split(".")[0] for s in _SPECS[kind]} | _NOT_FIELDS[kind]
    extra = [FieldSpec(f.encode_name, f.encode_name, "json", hint="JSON")
             for f in msgspec.structs.fields(kind) if f.encode_name not in known]
    return specs + extra


def _num(value: float | None) -> str:
    if value is None:
        return ""
    text = str(int(value)) if float(value).is_integer() else repr(float(value))
    return text.replace(".", ",")


def field_text(value: msgspec.Struct, spec: FieldSpec) -> str:
    """The text a form field shows for the node's current value."""
    current: typing.Any = value
    for part in spec.key.split("."):
        current = getattr(current, _attr(type(current), part))
    if spec.kind in ("number", "optional_number"):
        return _num(current)
    if spec.kind == "int":
        return "" if current is None else str(current)
    if spec.kind == "bool":
        return "1" if current else ""
    if spec.kind == "lines":
        return "\n".join(current)
    if spec.kind == "levels":
        return "\n".join(f"{lv.key} | {lv.label} | {_num(lv.points)}" for lv in current)
    if spec.kind == "bands":
        return "\n".join(f"{_num(b.from_)} | {_num(b.to)} | {_num(b.points)}" for b in current)
    if spec.kind == "rating_bands":
        return "\n".join(f"{_num(b.min_percent)} | {b.label}" for b in current)
    if spec.kind == "when":
        return format_when(current) or ""
    if spec.kind == "columns" and not columns_fit_lines(current):
        return msgspec.json.encode(current).decode()
    if spec.kind == "columns":
        return "\n".join(" | ".join([col.key, col.label, col.type, "x" if col.required else "", ", ".join(col.choices)])
                         .rstrip(" |") for col in current)
    if spec.kind == "json":
        built = msgspec.to_builtins(current)
        return "" if built in (None, [], {}) else msgspec.json.encode(built).decode()
    return "" if current is None else str(current)


def _attr(kind: type, encode_name: str) -> str:
    for f in msgspec.structs.fields(kind):
        if f.encode_name == encode_name:
            return f.name
    return encode_name


def _number(text: str) -> float:
    value = float(text.strip().replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _cells(text: str, count: int, label: str) -> list[list[str]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("|")]
        if len(cells) != count:
            raise ValueError(f"Dòng {number}: cần {count} phần ngăn bởi dấu | ({label}).")
        rows.append(cells)
    return rows


_NUMBER_MESSAGE = "Nhập một số (ví dụ 2 hoặc 0,5)."


def _parse(spec: FieldSpec, text: str) -> typing.Any:
    """The builtin value of one field as typed; ValueError with a Vietnamese message."""
    text = text.replace("\r\n", "\n")
    kind = spec.kind
    try:
        if kind == "number":
            return _number(text)
        if kind == "optional_number":
            return _number(text) if text.strip() else None
        if kind == "int":
            return int(text.strip()) if text.strip() else None
    except ValueError:
        raise ValueError(_NUMBER_MESSAGE if kind != "int" else "Nhập một số nguyên.") from None
    if kind == "choice" and text not in spec.choices:
        raise ValueError("Chọn một trong: " + ", ".join(spec.choices) + ".")
    if kind == "bool":
        return bool(text)
    if kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    try:
        if kind == "levels":
            return [{"key": k, "label": lb, "points": _number(p)} for k, lb, p in _cells(text, 3, "khóa | tên | điểm")]
        if kind == "bands":
            return [{"from": _number(f), "points": _number(p), **({"to": _number(t)} if t else {})}
                    for f, t, p in _cells(text, 3, "từ | đến | điểm")]
        if kind == "rating_bands":
            return [{"min_percent": _number(m), "label": lb} for m, lb in _cells(text, 2, "phần trăm | xếp loại")]
    except ValueError as exc:
        raise ValueError(str(exc) if "Dòng" in str(exc) else _NUMBER_MESSAGE) from None
    if kind == "when" and text.strip() and not text.lstrip().startswith("{"):  # JSON is read as well
        return parse_when(text)  # the Excel cell's form; its CellError is a ValueError with the message
    if kind == "when":
        kind = "json"
    if kind == "columns" and text.lstrip().startswith("["):  # what field_text writes for columns_fit_lines
        kind = "json"
    elif kind == "columns":
        return [_column(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if kind == "json":
        if not text.strip():
            return None
        try:
            return msgspec.json.decode(text)
        except msgspec.DecodeError:
            raise ValueError("Không đọc được: hãy viết theo dạng JSON, ví dụ {\"item\": \"1.1.1\"}.") from None
    return text.strip() if kind == "text" else text


def _column(number: int, line: str) -> dict[str, typing.Any]:
    cells = [c.strip() for c in line.split("|")] + ["", ""]
    if len(cells) - 2 < 3 or len(cells) - 2 > 5:
        raise ValueError(f"Dòng {number}: cần từ 3 đến 5 phần ngăn bởi dấu | (khóa | tên cột | kiểu | bắt buộc | lựa chọn).")
    key, label, kind, required, choices = cells[:5]
    column: dict[str, typing.Any] = {"key": key, "label": label, "type": kind,
                                     "required": required.lower() in REQUIRED_MARKS}
    if choices:
        column["choices"] = [c.strip() for c in choices.split(",") if c.strip()]
    return column


def apply_fields(checklist: Checklist, node: Node, form: Mapping[str, str]) -> Checklist:
    """A copy of the checklist with the node's fields set from a form; only the keys the form names in its
    `fields` list change (an unticked checkbox sends nothing). Raises EditError, KeyError."""
    target = node_at(checklist, node)
    shown = [k for k in str(form.get("fields", "")).split(",") if k]
    specs = {s.key: s for s in specs_for(target)}
    data = msgspec.to_builtins(target)
    errors: dict[str, str] = {}
    for key in shown:
        spec = specs.get(key) or next((s for s in _SPECS[type(target)] if s.key == key), None)
        if spec is None:
            continue
        try:
            value = _parse(spec, str(form.get(key, "")))
        except ValueError as exc:
            errors[key] = str(exc)
            continue
        holder, last = data, key
        if "." in key:
            head, last = key.split(".", 1)
            holder = data.setdefault(head, {})
        if value is None:
            holder.pop(last, None)
        else:
            holder[last] = value
    if errors:
        raise EditError(errors)
    try:
        changed = msgspec.convert(data, type(target))
    except msgspec.ValidationError as exc:
        path, message = translate_validation_error(str(exc))
        key = str(path[0]) if path else ""
        if key == "evidence" and len(path) > 1:
            key = f"evidence.{path[1]}"
        raise EditError({key if key in specs else next(iter(shown), "code"): message}) from None
    return replace_node(checklist, node, changed)


def replace_node(checklist: Checklist, node: Node, value: typing.Any) -> Checklist:
    if not node:
        return msgspec.structs.replace(value, id=checklist.id, areas=checklist.areas)
    copy = _copy(checklist)
    parent = node_at(copy, node[:-1])
    siblings = _children(parent)
    old = siblings[node[-1]]
    for name in ("criteria", "items"):  # a node's children are edited on their own
        if hasattr(old, name):
            value = msgspec.structs.replace(value, **{name: getattr(old, name)})
    siblings[node[-1]] = value
    return copy


# -- the tree

def add_child(checklist: Checklist, node: Node) -> tuple[Checklist, Node]:
    """A copy with a new last child under the node (an area, a criterion or an item), numbered after its
    siblings; returns the new child's node."""
    copy = _copy(checklist)
    parent = node_at(copy, node)
    children = _children(parent)
    number = len(children) + 1
    if not node:
        codes = [int(a.code) for a in children if a.code.isdigit()]
        children.append(Area(code=str(max(codes, default=0) + 1), title="Lĩnh vực mới", max_points=0))
    elif len(node) == 1:
        children.append(Criterion(code=f"{parent.code}.{number}", title="Tiêu chí mới"))
    elif len(node) == 2:
        children.append(Item(code=f"{parent.code}.{number}", text="Tiêu chí thành phần mới", type="yesno"))
    else:
        raise KeyError(node_id(node))
    return copy, (*node, len(children) - 1)


def remove_node(checklist: Checklist, node: Node) -> Checklist:
    if not node:
        raise KeyError(ROOT)
    copy = _copy(checklist)
    siblings = _children(node_at(copy, node[:-1]))
    if not 0 <= node[-1] < len(siblings):
        raise KeyError(node_id(node))
    del siblings[node[-1]]
    return copy


def move_node(checklist: Checklist, node: Node, step: int) -> tuple[Checklist, Node]:
    """A copy with the node moved `step` places among its siblings (clamped to the ends)."""
    if not node:
        raise KeyError(ROOT)
    copy = _copy(checklist)
    siblings = _children(node_at(copy, node[:-1]))
    index = node[-1]
    if not 0 <= index < len(siblings):
        raise KeyError(node_id(node))
    target = min(max(index + step, 0), len(siblings) - 1)
    siblings.insert(target, siblings.pop(index))
    return copy, (*node[:-1], target)


# -- the validator, beside the fields

def field_problems(checklist: Checklist) -> dict[str, dict[str, list[str]]]:
    """The validator's messages by node id, then by field key ("" when about the node as a whole)."""
    out: dict[str, dict[str, list[str]]] = {}

    def describe(node: Node) -> str:
        try:
            value = node_at(checklist, node)
        except KeyError:
            return "mục"
        kind = {1: "lĩnh vực", 2: "tiêu chí", 3: "tiêu chí thành phần"}.get(len(node), "mục")
        return f'{kind} "{getattr(value, "code", "")}"'

    for finding in checklist_findings(checklist, describe):
        keys = finding.keys
        key = ""
        if keys and isinstance(keys[0], str):
            key = keys[0]
            if key == "evidence" and len(keys) > 1 and isinstance(keys[1], str):
                key = f"evidence.{keys[1]}"
        out.setdefault(node_id(finding.node), {}).setdefault(key, []).append(finding.message)
    return out


def problem_count(problems: dict[str, dict[str, list[str]]]) -> int:
    return sum(len(messages) for fields in problems.values() for messages in fields.values())
