"""Semantic rules for a whole checklist: header, codes, point sums, rating bands, finite numbers.

Pure functions over a decoded Checklist; `checklist_findings` runs every rule, including
each item's (see item_rules), and returns unlocated Findings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator

import msgspec

from .item_rules import item_findings
from .model import Checklist
from .problems import TOLERANCE, Finding, Node, split_path
from .problems import format_number as _n
from .when_rules import when_findings

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
AREA_CODE_RE = re.compile(r"\d+")
CRITERION_CODE_RE = re.compile(r"(\d+)\.[1-9]\d*")
ITEM_CODE_RE = re.compile(r"(\d+\.[1-9]\d*)\.[1-9]\d*")


def _header_findings(checklist: Checklist) -> Iterator[Finding]:
    if not ID_RE.fullmatch(checklist.id):
        yield Finding(
            (),
            ("id",),
            f'Mã bộ tiêu chí (id) "{checklist.id}" không hợp lệ: chỉ dùng chữ thường không dấu, '
            'chữ số và dấu gạch ngang, bắt đầu bằng chữ hoặc số (ví dụ "cchc-xa").',
        )
    if not checklist.title.strip():
        yield Finding((), ("title",), "Tên bộ tiêu chí (title) đang để trống: hãy ghi tên đầy đủ.")
    if not checklist.version.strip():
        yield Finding(
            (),
            ("version",),
            'Nhãn phiên bản (version) đang để trống: hãy ghi nhãn, ví dụ version = "2026.1".',
        )
    if not checklist.unit_kinds:
        yield Finding(
            (),
            ("unit_kinds",),
            "Chưa khai báo loại đơn vị áp dụng (unit_kinds): hãy ghi ít nhất một trong "
            '"xa", "phuong", "dac_khu", "so_nganh".',
        )
    for i, kind in enumerate(checklist.unit_kinds):
        if kind in checklist.unit_kinds[:i]:
            yield Finding(
                (),
                ("unit_kinds",),
                f'Loại đơn vị "{kind}" được ghi hai lần trong unit_kinds: hãy xóa bớt một lần.',
            )
    if not checklist.areas:
        yield Finding(
            (),
            ("areas",),
            "Bộ tiêu chí chưa có lĩnh vực nào: hãy thêm ít nhất một lĩnh vực [[areas]].",
        )


def _code_findings(checklist: Checklist, describe: Callable[[Node], str]) -> Iterator[Finding]:
    seen: dict[str, Node] = {}

    def duplicate(code: str, node: Node) -> Iterator[Finding]:
        if code in seen:
            yield Finding(
                node,
                ("code",),
                f'Mã "{code}" bị trùng: {describe(seen[code])} đã dùng mã này. Mỗi lĩnh vực, tiêu chí '
                "và tiêu chí thành phần cần một mã riêng: hãy đánh số lại.",
            )
        else:
            seen[code] = node

    for a, area in enumerate(checklist.areas):
        area_ok = AREA_CODE_RE.fullmatch(area.code) is not None
        if not area_ok:
            yield Finding(
                (a,),
                ("code",),
                f'Mã lĩnh vực "{area.code}" không hợp lệ: mã lĩnh vực là một số nguyên '
                '(ví dụ "1", "2"), không có dấu chấm hay chữ.',
            )
        yield from duplicate(area.code, (a,))
        for c, crit in enumerate(area.criteria):
            crit_ok = CRITERION_CODE_RE.fullmatch(crit.code) is not None
            yield from _child_code_findings(
                (a, c), crit.code, area.code, area_ok, crit_ok, "tiêu chí", "lĩnh vực"
            )
            yield from duplicate(crit.code, (a, c))
            for i, item in enumerate(crit.items):
                item_ok = ITEM_CODE_RE.fullmatch(item.code) is not None
                yield from _child_code_findings(
                    (a, c, i), item.code, crit.code, crit_ok, item_ok, "tiêu chí thành phần", "tiêu chí"
                )
                yield from duplicate(item.code, (a, c, i))


def _child_code_findings(
    node: Node, code: str, parent: str, parent_ok: bool, shape_ok: bool, kind: str, parent_kind: str
) -> Iterator[Finding]:
    """A criterion or item code must be its parent's code, a dot and a number from 1."""
    if re.fullmatch(re.escape(parent) + r"\.[1-9]\d*", code):
        return
    if not parent_ok:
        return  # the parent's own code is reported; its children follow it once it is fixed
    example = f"{parent}.1"
    if not shape_ok:
        yield Finding(
            node,
            ("code",),
            f'Mã {kind} "{code}" không đúng dạng: mã {kind} là mã {parent_kind}, dấu chấm và số thứ '
            f'tự từ 1 (ví dụ "{example}").',
        )
    else:
        yield Finding(
            node,
            ("code",),
            f'Mã {kind} "{code}" không thuộc {parent_kind} "{parent}" chứa nó: phải có mã dạng '
            f'"{parent}.<số>" (ví dụ "{example}"); hãy sửa mã hoặc chuyển sang đúng {parent_kind}.',
        )


def _structure_findings(checklist: Checklist) -> Iterator[Finding]:
    area_sum_total = 0.0
    for a, area in enumerate(checklist.areas):
        area_sum_total += area.max_points
        if not area.title.strip():
            yield Finding((a,), ("title",), "Tên lĩnh vực (title) đang để trống: hãy ghi tên lĩnh vực.")
        if not area.criteria:
            yield Finding(
                (a,),
                ("criteria",),
                "Lĩnh vực chưa có tiêu chí nào: hãy thêm ít nhất một tiêu chí [[areas.criteria]] "
                "hoặc xóa lĩnh vực này.",
            )
            continue
        item_sum = 0.0
        for c, crit in enumerate(area.criteria):
            if not crit.title.strip():
                yield Finding((a, c), ("title",), "Tên tiêu chí (title) đang để trống: hãy ghi tên tiêu chí.")
            if not crit.items:
                yield Finding(
                    (a, c),
                    ("items",),
                    "Tiêu chí chưa có tiêu chí thành phần nào: hãy thêm ít nhất một "
                    "[[areas.criteria.items]] hoặc xóa tiêu chí này.",
                )
                continue
            crit_sum = sum(item.max_points for item in crit.items)
            item_sum += crit_sum
            if crit.max_points is not None and abs(crit.max_points - crit_sum) > TOLERANCE:
                yield Finding(
                    (a, c),
                    ("max_points",),
                    f"Điểm tối đa của tiêu chí ghi là {_n(crit.max_points)} nhưng tổng điểm tối đa "
                    f"các tiêu chí thành phần là {_n(crit_sum)}: hãy sửa max_points của tiêu chí "
                    "(hoặc bỏ nó đi) hoặc sửa điểm các tiêu chí thành phần cho khớp.",
                )
        if abs(area.max_points - item_sum) > TOLERANCE:
            yield Finding(
                (a,),
                ("max_points",),
                f"Điểm tối đa của lĩnh vực ghi là {_n(area.max_points)} nhưng tổng điểm tối đa các "
                f"tiêu chí thành phần là {_n(item_sum)}: hãy sửa max_points của lĩnh vực hoặc điểm "
                "các tiêu chí thành phần cho khớp.",
            )
    if checklist.max_points is not None and abs(checklist.max_points - area_sum_total) > TOLERANCE:
        yield Finding(
            (),
            ("max_points",),
            f"Tổng điểm tối đa của bộ tiêu chí ghi là {_n(checklist.max_points)} nhưng tổng điểm tối "
            f"đa các lĩnh vực là {_n(area_sum_total)}: hãy sửa max_points ở đầu tệp (hoặc bỏ nó đi) "
            "hoặc điểm các lĩnh vực cho khớp.",
        )


def _rating_findings(checklist: Checklist) -> Iterator[Finding]:
    bands = checklist.rating_bands
    seen: dict[float, int] = {}
    for i, band in enumerate(bands):
        if not 0 <= band.min_percent <= 100:
            yield Finding(
                (),
                ("rating_bands", i, "min_percent"),
                f'Xếp loại "{band.label}" có min_percent = {_n(band.min_percent)}, ngoài phạm vi 0 đến 100.',
            )
        if band.min_percent in seen:
            yield Finding(
                (),
                ("rating_bands", i, "min_percent"),
                f'Xếp loại "{band.label}" trùng mức {_n(band.min_percent)}% với xếp loại '
                f'"{bands[seen[band.min_percent]].label}": mỗi xếp loại cần một min_percent riêng.',
            )
        seen.setdefault(band.min_percent, i)
        if not band.label.strip():
            yield Finding(
                (),
                ("rating_bands", i, "label"),
                'Xếp loại chưa có nhãn (label): hãy ghi tên xếp loại, ví dụ "Tốt".',
            )
    if bands and 0 not in seen:
        yield Finding(
            (),
            ("rating_bands",),
            "Cần một xếp loại bắt đầu từ 0% (min_percent = 0) để kết quả nào cũng được xếp loại, "
            'ví dụ {min_percent = 0, label = "Yếu"}.',
        )


def _finite_findings(checklist: Checklist) -> Iterator[Finding]:
    """TOML allows nan and inf; no point count may be one."""

    def walk(value: object, path: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
        if isinstance(value, float) and not math.isfinite(value):
            yield path
        elif isinstance(value, dict):
            for key, sub in value.items():
                yield from walk(sub, (*path, key))
        elif isinstance(value, list):
            for index, sub in enumerate(value):
                yield from walk(sub, (*path, index))

    for path in walk(msgspec.to_builtins(checklist), ()):
        node, keys = split_path(path)
        yield Finding(
            node,
            keys,
            f"Giá trị của `{keys[-1] if keys else path[-1]}` phải là một số hữu hạn (không dùng nan "
            "hay inf).",
        )


def checklist_findings(checklist: Checklist, describe: Callable[[Node], str]) -> list[Finding]:
    """Every rule the checklist breaks, in document order of the checks."""
    findings = [*_finite_findings(checklist)]
    if findings:
        return findings  # comparisons with nan are meaningless
    findings += _header_findings(checklist)
    findings += _code_findings(checklist, describe)
    findings += _structure_findings(checklist)
    for a, area in enumerate(checklist.areas):
        for c, crit in enumerate(area.criteria):
            for i, item in enumerate(crit.items):
                findings += (Finding((a, c, i), keys, msg) for keys, msg in item_findings(item))
    findings += when_findings(checklist)
    findings += _rating_findings(checklist)
    return findings
