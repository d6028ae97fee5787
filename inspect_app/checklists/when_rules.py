"""Semantic rules for skip logic (`when` on items and criteria), as unlocated Findings.

A `when` must point backwards (at an item earlier in the file), never at itself, at a known item of a
type it can read, with a value that item can take; and a chain of conditions must stay short enough for
a person to follow. Backward references alone make loops impossible, but a loop is worth its own words:
a forward reference that leads back to where it started is reported as the loop it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from .conditions import CHOICE_TYPES, NUMBER_TYPES
from .model import Checklist, Item, When
from .problems import Finding, Node
from .problems import format_number as _n

# The longest chain of conditions (A depends on B depends on C …) a file may hold: beyond it nobody
# reading the checklist, nor an inspector on the tablet, can tell why an item disappeared.
MAX_CHAIN = 4

_EXAMPLE = 'ví dụ when = { item = "1.1.1", equals = "yes" }'


@dataclasses.dataclass(frozen=True)
class _Holder:
    """An item or criterion carrying a `when`: its node, the position of its (first) item in document
    order, the item codes it covers, and how a message names it."""

    node: Node
    when: When
    position: int
    own: set[str]
    label: str


def _holders(checklist: Checklist) -> tuple[list[_Holder], dict[str, tuple[int, Item]]]:
    holders: list[_Holder] = []
    items: dict[str, tuple[int, Item]] = {}
    position = 0
    for a, area in enumerate(checklist.areas):
        for c, crit in enumerate(area.criteria):
            if crit.when is not None:
                own = {item.code for item in crit.items}
                holders.append(_Holder((a, c), crit.when, position, own, f"tiêu chí {crit.code}"))
            for i, item in enumerate(crit.items):
                items.setdefault(item.code, (position, item))
                if item.when is not None:
                    holders.append(_Holder((a, c, i), item.when, position, {item.code},
                                           f"tiêu chí thành phần {item.code}"))
                position += 1
    return holders, items


def _controllers(checklist: Checklist) -> dict[str, list[str]]:
    """For each item, the codes its applicability depends on directly (its own and its criterion's when)."""
    out: dict[str, list[str]] = {}
    for area in checklist.areas:
        for crit in area.criteria:
            for item in crit.items:
                out[item.code] = [w.item for w in (crit.when, item.when) if w is not None]
    return out


def _leads_back(start: str, target: set[str], controllers: dict[str, list[str]]) -> bool:
    """Whether following conditions from `start` reaches one of `target` (a loop)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        code = todo.pop()
        if code in target:
            return True
        if code in seen:
            continue
        seen.add(code)
        todo.extend(controllers.get(code, []))
    return False


def _depth(code: str, controllers: dict[str, list[str]], memo: dict[str, int], visiting: set[str]) -> int:
    """How many conditions stand in a row above an item (0: none); a loop counts as no further depth."""
    if code in memo:
        return memo[code]
    if code in visiting:
        return 0
    visiting.add(code)
    depth = max((1 + _depth(up, controllers, memo, visiting) for up in controllers.get(code, [])), default=0)
    visiting.discard(code)
    memo[code] = depth
    return depth


def _value_findings(holder: _Holder, controller: Item) -> Iterator[Finding]:
    when, node = holder.when, holder.node
    kind = controller.type
    target = f"tiêu chí thành phần {controller.code} (loại {kind})"
    if kind in CHOICE_TYPES and when.min is not None:
        yield Finding(node, ("when", "min"),
                      f"Điều kiện (when) của {holder.label} dùng `min` với {target}: `min` chỉ dùng cho loại "
                      'có số (score, count, deduction, ratio); với loại này hãy dùng equals hoặc in.')
        return
    if kind in NUMBER_TYPES and (when.equals is not None or when.in_ is not None):
        key = "equals" if when.equals is not None else "in"
        yield Finding(node, ("when", key),
                      f"Điều kiện (when) của {holder.label} dùng `{key}` với {target}: loại có số chỉ so "
                      "được bằng `min` (một số ≥ min; với ratio là tỷ lệ phần trăm), ví dụ "
                      f'when = {{ item = "{controller.code}", min = 1 }}.')
        return
    if kind == "yesno" and when.in_ is not None:
        yield Finding(node, ("when", "in"),
                      f'Điều kiện (when) của {holder.label} dùng `in` với {target}: hãy dùng equals = "yes" '
                      'hoặc equals = "no".')
        return
    allowed = ["yes", "no"] if kind == "yesno" else [level.key for level in controller.levels]
    wanted = [when.equals] if when.equals is not None else (when.in_ or [])
    quoted = ", ".join(f'"{key}"' for key in allowed)
    if kind in CHOICE_TYPES:
        if when.in_ is not None and not when.in_:
            yield Finding(node, ("when", "in"),
                          f"Điều kiện (when) của {holder.label} có danh sách `in` rỗng: hãy ghi ít nhất một "
                          "khóa mức.")
        for value in wanted:
            if value not in allowed:
                yield Finding(node, ("when", "equals" if when.equals is not None else "in"),
                              f'Điều kiện (when) của {holder.label} so với giá trị "{value}" mà {target} '
                              f"không có: hãy dùng một trong {quoted}.")
                return
    elif when.min is not None:
        top = 100.0 if kind == "ratio" else None
        if when.min < 0 or (top is not None and when.min > top):
            upper = " đến 100 (phần trăm)" if top is not None else " trở lên"
            yield Finding(node, ("when", "min"),
                          f"Điều kiện (when) của {holder.label} có min = {_n(when.min)}, ngoài phạm vi mà "
                          f"{target} có thể đạt: hãy ghi một số từ 0{upper}.")


def when_findings(checklist: Checklist) -> Iterator[Finding]:
    """Every rule a `when` breaks, one finding per `when` (the first that matters)."""
    holders, items = _holders(checklist)
    if not holders:
        return
    controllers = _controllers(checklist)
    memo: dict[str, int] = {}
    for holder in holders:
        when, node = holder.when, holder.node
        given = [key for key, value in (("equals", when.equals), ("in", when.in_), ("min", when.min))
                 if value is not None]
        if len(given) != 1:
            what = "không có" if not given else f"có cả {' và '.join(given)}"
            yield Finding(node, ("when",),
                          f"Điều kiện (when) của {holder.label} {what}: cần đúng một trong equals, in hoặc min, "
                          f"{_EXAMPLE}.")
            continue
        code = when.item
        if code in holder.own:
            whose = "chính nó" if len(node) == 3 else "một tiêu chí thành phần của chính tiêu chí này"
            yield Finding(node, ("when", "item"),
                          f'Điều kiện (when) của {holder.label} trỏ vào {whose} ("{code}"): một mục không thể '
                          "phụ thuộc vào câu trả lời của chính nó; hãy trỏ vào một tiêu chí thành phần đứng trước.")
            continue
        if code not in items:
            yield Finding(node, ("when", "item"),
                          f'Điều kiện (when) của {holder.label} trỏ vào mã "{code}" không có trong bộ tiêu chí: '
                          "hãy ghi mã của một tiêu chí thành phần đứng trước.")
            continue
        position, controller = items[code]
        if position >= holder.position:
            if _leads_back(code, holder.own, controllers):
                yield Finding(node, ("when", "item"),
                              f'Điều kiện (when) của {holder.label} trỏ vào "{code}", mà "{code}" lại phụ thuộc '
                              f"(trực tiếp hay qua điều kiện khác) vào {holder.label}: các điều kiện tạo thành "
                              "vòng lặp, không mục nào xác định được; hãy bỏ một điều kiện trong vòng.")
            else:
                yield Finding(node, ("when", "item"),
                              f'Điều kiện (when) của {holder.label} trỏ vào "{code}" đứng sau nó: điều kiện chỉ '
                              "được dựa vào tiêu chí thành phần đứng trước (người kiểm tra trả lời theo thứ tự); "
                              "hãy chuyển mục này xuống dưới hoặc trỏ vào mục khác.")
            continue
        if controller.type not in CHOICE_TYPES | NUMBER_TYPES:
            yield Finding(node, ("when", "item"),
                          f"Điều kiện (when) của {holder.label} trỏ vào tiêu chí thành phần {code} loại "
                          f"{controller.type}, loại không so sánh được: hãy trỏ vào một mục loại yesno, levels "
                          "(equals/in) hoặc score, count, deduction, ratio (min).")
            continue
        problems = list(_value_findings(holder, controller))
        if problems:
            yield problems[0]
            continue
        chain = 1 + _depth(code, controllers, memo, set())
        if chain > MAX_CHAIN:
            yield Finding(node, ("when", "item"),
                          f"Điều kiện (when) của {holder.label} nằm cuối một chuỗi {chain} điều kiện nối nhau "
                          f"(qua {code}); bộ tiêu chí chỉ giải được chuỗi tối đa {MAX_CHAIN} điều kiện: "
                          "hãy cho mục này phụ thuộc trực tiếp vào mục gốc.")
