"""Checklist validation: TOML syntax, field types and the format's rules, as located Vietnamese problems."""

from __future__ import annotations

import bisect
import difflib
import math
import re
import typing
from collections.abc import Callable, Iterator

import msgspec

from .model import (
    SCORED_TYPES,
    Area,
    Band,
    Checklist,
    Criterion,
    Evidence,
    Item,
    Level,
    RatingBand,
)

# Sums of points written by people (0.25 + 0.5 …) are compared with this tolerance.
TOLERANCE = 1e-6

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
LEVEL_KEY_RE = re.compile(r"[a-z0-9_]+")
AREA_CODE_RE = re.compile(r"\d+")
CRITERION_CODE_RE = re.compile(r"(\d+)\.[1-9]\d*")
ITEM_CODE_RE = re.compile(r"(\d+\.[1-9]\d*)\.[1-9]\d*")

# A node of the tree: () the checklist, (a,) an area, (a, c) a criterion, (a, c, i) an item.
Node = tuple[int, ...]
# Keys below a node, as in a msgspec error path: ("levels", 1, "points").
Keys = tuple[str | int, ...]
# Where a finding points to: (file label, line or Excel row).
Locate = Callable[[Node, Keys], tuple[str, int | None]]


class Problem(msgspec.Struct, frozen=True):
    """One thing wrong with a checklist, located as precisely as the source allows."""

    file: str
    line: int | None
    code: str | None  # the area, criterion or item code concerned, if any
    message: str  # Vietnamese: what is wrong and how to fix it

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        code = f" [{self.code}]" if self.code else ""
        return f"{where}:{code} {self.message}"


class ChecklistError(Exception):
    """Raised when one or more checklist files are invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Finding(msgspec.Struct, frozen=True):
    """A rule violation before it is located in a file: a node, keys below it, a message."""

    node: Node
    keys: Keys
    message: str


def format_number(value: float) -> str:
    """Format a number for a Vietnamese reader: no trailing zeros, decimal comma."""
    if not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".").replace(".", ",")


_n = format_number


# ---------------------------------------------------------------------------------------------
# Semantic rules: pure functions over a decoded Checklist.
# ---------------------------------------------------------------------------------------------


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


def _band_name(bands: list[Band], i: int, unit: str) -> str:
    band = bands[i]
    upper = "…" if band.to is None else _n(band.to)
    return f"khoảng {i + 1} ({_n(band.from_)}–{upper}{unit})"


def _band_findings(item: Item, *, is_ratio: bool) -> Iterator[tuple[Keys, str]]:
    """Rules shared by ratio (step mode, over percents) and count (over counts) bands."""
    bands = item.bands
    unit = "%" if is_ratio else ""
    what = "tỷ lệ" if is_ratio else "số đếm"
    if not bands:
        yield (
            ("bands",),
            "Chưa khai báo các khoảng điểm (bands): hãy ghi các khoảng liền nhau bắt đầu từ 0, "
            "ví dụ bands = [{from = 0, to = 50, points = 0}, {from = 50, points = 1}].",
        )
        return
    for i in range(1, len(bands)):
        if bands[i].from_ < bands[i - 1].from_:
            yield (
                ("bands", i, "from"),
                f"Các khoảng (bands) phải xếp theo `from` tăng dần: {_band_name(bands, i, unit)} "
                f"đứng sau {_band_name(bands, i - 1, unit)}; hãy sắp xếp lại.",
            )
            return  # gaps and overlaps are meaningless until the order is fixed
    if bands[0].from_ != 0:
        yield (
            ("bands", 0, "from"),
            f"Khoảng đầu tiên phải bắt đầu từ 0 (from = 0), hiện bắt đầu từ {_n(bands[0].from_)}: "
            f"{what} dưới mức đó sẽ không được chấm.",
        )
    last = len(bands) - 1
    for i, band in enumerate(bands):
        if band.to is None:
            if i < last:
                yield (
                    ("bands", i, "to"),
                    f"{_band_name(bands, i, unit).capitalize()} thiếu `to`: chỉ khoảng cuối cùng mới "
                    "được bỏ trống `to`; hãy ghi `to` bằng `from` của khoảng sau.",
                )
            continue
        if band.to <= band.from_:
            yield (
                ("bands", i, "to"),
                f"{_band_name(bands, i, unit).capitalize()} có `to` không lớn hơn `from`: hãy sửa để "
                "to > from.",
            )
        if i < last:
            nxt = bands[i + 1]
            if nxt.from_ > band.to:
                yield (
                    ("bands", i + 1, "from"),
                    f"Có khoảng trống giữa {_band_name(bands, i, unit)} và "
                    f"{_band_name(bands, i + 1, unit)}: {what} từ {_n(band.to)} đến "
                    f"{_n(nxt.from_)} không thuộc khoảng nào; hãy đặt `to` của khoảng trước bằng "
                    "`from` của khoảng sau.",
                )
            elif nxt.from_ < band.to:
                yield (
                    ("bands", i + 1, "from"),
                    f"{_band_name(bands, i, unit).capitalize()} chồng lên "
                    f"{_band_name(bands, i + 1, unit)}: hãy đặt `to` của khoảng trước bằng `from` "
                    "của khoảng sau.",
                )
    if is_ratio:
        if bands[last].to is not None and bands[last].to != 100:
            yield (
                ("bands", last, "to"),
                f"Khoảng cuối phải kết thúc ở 100% (to = 100 hoặc bỏ trống `to`), hiện là "
                f"{_n(bands[last].to)}%.",
            )
    elif bands[last].to is not None:
        yield (
            ("bands", last, "to"),
            f"Khoảng cuối của loại count không được có `to` (hiện to = {_n(bands[last].to)}): nó gồm "
            "mọi số từ `from` trở lên; hãy xóa `to` của khoảng cuối.",
        )
    yield from _band_points_findings(item, unit)


def _band_points_findings(item: Item, unit: str) -> Iterator[tuple[Keys, str]]:
    bands = item.bands
    out_of_range = False
    for i, band in enumerate(bands):
        if band.points < 0 or band.points > item.max_points + TOLERANCE:
            out_of_range = True
            yield (
                ("bands", i, "points"),
                f"{_band_name(bands, i, unit).capitalize()} được {_n(band.points)} điểm, ngoài phạm vi "
                f"từ 0 đến điểm tối đa {_n(item.max_points)}.",
            )
    for i in range(1, len(bands)):
        if bands[i].points < bands[i - 1].points - TOLERANCE:
            yield (
                ("bands", i, "points"),
                f"Điểm không được giảm khi giá trị tăng: {_band_name(bands, i, unit)} được "
                f"{_n(bands[i].points)} điểm, ít hơn {_band_name(bands, i - 1, unit)} "
                f"({_n(bands[i - 1].points)} điểm).",
            )
    top = bands[-1].points
    if not out_of_range and abs(top - item.max_points) > TOLERANCE:
        yield (
            ("bands", len(bands) - 1, "points"),
            f"Khoảng cao nhất được {_n(top)} điểm nhưng điểm tối đa (max_points) là "
            f"{_n(item.max_points)}: khoảng cuối phải được đủ điểm tối đa.",
        )


def _levels_findings(item: Item) -> Iterator[tuple[Keys, str]]:
    levels = item.levels
    if len(levels) < 2:
        yield (
            ("levels",),
            f"Loại levels cần ít nhất 2 mức (levels), hiện có {len(levels)}: hãy khai báo các mức, "
            'ví dụ {key = "dat", label = "Đạt", points = 1} và '
            '{key = "khong_dat", label = "Không đạt", points = 0}.',
        )
    seen: dict[str, int] = {}
    above = False
    for i, level in enumerate(levels):
        if not LEVEL_KEY_RE.fullmatch(level.key):
            yield (
                ("levels", i, "key"),
                f'Khóa mức "{level.key}" không hợp lệ: chỉ dùng chữ thường không dấu, chữ số và dấu '
                'gạch dưới (ví dụ "dat_mot_phan").',
            )
        if level.key in seen:
            yield (
                ("levels", i, "key"),
                f'Khóa mức "{level.key}" bị trùng (mức thứ {seen[level.key] + 1} và mức thứ {i + 1}): '
                "mỗi mức cần một khóa riêng.",
            )
        seen.setdefault(level.key, i)
        if not level.label.strip():
            yield (("levels", i, "label"), f'Mức "{level.key}" chưa có nhãn (label): hãy ghi nhãn hiển thị.')
        if level.points < 0:
            yield (
                ("levels", i, "points"),
                f'Mức "{level.key}" có điểm âm ({_n(level.points)}): điểm của một mức phải từ 0 đến '
                f"{_n(item.max_points)}.",
            )
        elif level.points > item.max_points + TOLERANCE:
            above = True
            yield (
                ("levels", i, "points"),
                f'Mức "{level.key}" được {_n(level.points)} điểm, vượt điểm tối đa '
                f"{_n(item.max_points)} (max_points): hãy hạ điểm của mức hoặc tăng max_points.",
            )
    if levels and not above:
        best = max(level.points for level in levels)
        if abs(best - item.max_points) > TOLERANCE:
            yield (
                ("levels",),
                f"Mức cao nhất chỉ được {_n(best)} điểm nhưng điểm tối đa (max_points) là "
                f"{_n(item.max_points)}: mức tốt nhất phải bằng điểm tối đa.",
            )


def is_multiple(value: float, step: float) -> bool:
    """Whether value is a whole multiple of step, allowing for binary rounding."""
    ratio = value / step
    return abs(ratio - round(ratio)) <= TOLERANCE * max(1.0, abs(ratio))


def item_findings(item: Item) -> Iterator[tuple[Keys, str]]:
    """Every rule broken by one item, as (keys below the item, Vietnamese message)."""
    kind = item.type
    if not item.text.strip():
        yield (("text",), "Nội dung tiêu chí thành phần (text) đang để trống: hãy ghi nội dung cần kiểm tra.")
    if item.levels and kind != "levels":
        yield (
            ("levels",),
            f'Loại {kind} không dùng danh sách mức (levels): hãy xóa levels hoặc đổi type = "levels".',
        )
    if item.bands and kind not in ("ratio", "count"):
        yield (
            ("bands",),
            f"Loại {kind} không dùng khoảng điểm (bands): hãy xóa bands hoặc đổi type thành "
            '"ratio" hoặc "count".',
        )
    max_ok = True
    if kind in SCORED_TYPES and not item.max_points > 0:
        max_ok = False
        yield (
            ("max_points",),
            f"Loại {kind} được chấm điểm nên điểm tối đa (max_points) phải lớn hơn 0, hiện là "
            f"{_n(item.max_points)}.",
        )
    if kind in ("text", "date") and item.max_points != 0:
        yield (
            ("max_points",),
            f"Loại {kind} chỉ ghi nhận thông tin, không chấm điểm: hãy xóa max_points hoặc đặt bằng 0 "
            f"(hiện là {_n(item.max_points)}).",
        )
    if kind == "levels" and max_ok:
        yield from _levels_findings(item)
    elif kind == "score":
        if not item.step > 0:
            yield (("step",), f"Bước điểm (step) phải lớn hơn 0, hiện là {_n(item.step)}.")
        elif max_ok and not is_multiple(item.max_points, item.step):
            yield (
                ("max_points",),
                f"Điểm tối đa {_n(item.max_points)} không phải bội số của bước điểm {_n(item.step)} "
                "(step): hãy sửa max_points hoặc step (ví dụ step = 0.25 với max_points = 1.5).",
            )
    elif kind == "ratio" and item.mode == "linear":
        if item.bands:
            yield (
                ("bands",),
                'Cách tính tuyến tính (mode = "linear") không dùng khoảng (bands): hãy xóa bands '
                'hoặc đặt mode = "step".',
            )
        if not 0 <= item.zero_at < item.full_at <= 100:
            yield (
                ("zero_at",),
                f"Cần 0 ≤ zero_at < full_at ≤ 100, hiện zero_at = {_n(item.zero_at)} và full_at = "
                f"{_n(item.full_at)}: điểm tăng đều từ 0 tại zero_at% đến tối đa tại full_at%; hãy sửa "
                "hai giá trị này.",
            )
    elif kind == "ratio" and max_ok:
        yield from _band_findings(item, is_ratio=True)
    elif kind == "count":
        if item.mode != "step":
            yield (
                ("mode",),
                'Loại count chỉ tính theo khoảng: hãy xóa mode hoặc đặt mode = "step".',
            )
        if max_ok:
            yield from _band_findings(item, is_ratio=False)
    elif kind == "deduction" and not item.per_violation > 0:
        yield (
            ("per_violation",),
            f"Điểm trừ cho mỗi vi phạm (per_violation) phải lớn hơn 0, hiện là {_n(item.per_violation)}.",
        )
    yield from _evidence_findings(item.evidence)


def _evidence_findings(evidence: Evidence) -> Iterator[tuple[Keys, str]]:
    if evidence.min_count < 0:
        yield (
            ("evidence", "min_count"),
            f"Số tài liệu kiểm chứng tối thiểu (evidence.min_count) không được âm, hiện là "
            f"{evidence.min_count}.",
        )
    elif evidence.kind == "none" and evidence.min_count > 0:
        yield (
            ("evidence", "min_count"),
            f'evidence.kind = "none" (không cần tài liệu) nhưng min_count = {evidence.min_count}: '
            'hãy chọn kind = "photo", "document" hoặc "any", hoặc đặt min_count = 0.',
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
    findings += _rating_findings(checklist)
    return findings


def node_code(checklist: Checklist, node: Node) -> str | None:
    """The code of the area, criterion or item a node designates (None for the checklist)."""
    try:
        if len(node) == 1:
            return checklist.areas[node[0]].code
        if len(node) == 2:
            return checklist.areas[node[0]].criteria[node[1]].code
        if len(node) == 3:
            return checklist.areas[node[0]].criteria[node[1]].items[node[2]].code
    except IndexError:
        pass
    return None


_NODE_KIND = {1: "lĩnh vực", 2: "tiêu chí", 3: "tiêu chí thành phần"}


def validate_checklist(
    checklist: Checklist, filename: str = "<bộ tiêu chí>", locate: Locate | None = None
) -> list[Problem]:
    """Check a decoded checklist against every rule of the format; an empty list means valid.

    `locate` maps a node and keys to (file label, line); without it problems carry no line.
    """
    where: Locate = locate or (lambda node, keys: (filename, None))

    def describe(node: Node) -> str:
        _, line = where(node, ())
        text = f'{_NODE_KIND.get(len(node), "mục")} "{node_code(checklist, node)}"'
        return f"{text} ở dòng {line}" if line is not None else text

    problems = []
    for finding in checklist_findings(checklist, describe):
        file, line = where(finding.node, finding.keys)
        problems.append(Problem(file, line, node_code(checklist, finding.node), finding.message))
    return problems


# ---------------------------------------------------------------------------------------------
# Locating nodes and keys in TOML source text.
# ---------------------------------------------------------------------------------------------

_PATH_TOKEN_RE = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
_LEVEL_NAMES = ("areas", "criteria", "items")


def parse_error_path(path: str) -> tuple[str | int, ...]:
    """Split a msgspec error path such as `$.areas[2].type` into ("areas", 2, "type")."""
    return tuple(
        name if name else int(index) for name, index in _PATH_TOKEN_RE.findall(path.removeprefix("$"))
    )


def split_path(path: tuple[str | int, ...]) -> tuple[Node, Keys]:
    """Split a full path into the deepest area/criterion/item node and the keys below it."""
    node: list[int] = []
    rest = list(path)
    for name in _LEVEL_NAMES:
        if len(rest) >= 2 and rest[0] == name and isinstance(rest[1], int):
            node.append(rest[1])
            rest = rest[2:]
        else:
            break
    return tuple(node), tuple(rest)


def _raw_nodes(raw: object) -> list[tuple[Node, str | None]]:
    """Areas, criteria and items of an undecoded TOML document, in document (pre-)order."""
    out: list[tuple[Node, str | None]] = []

    def children(value: object, key: str) -> list:
        items = value.get(key) if isinstance(value, dict) else None
        return items if isinstance(items, list) else []

    def code(value: object) -> str | None:
        got = value.get("code") if isinstance(value, dict) else None
        return got if isinstance(got, str) else None

    for a, area in enumerate(children(raw, "areas")):
        out.append(((a,), code(area)))
        for c, crit in enumerate(children(area, "criteria")):
            out.append(((a, c), code(crit)))
            for i, item in enumerate(children(crit, "items")):
                out.append(((a, c, i), code(item)))
    return out


class SourceMap:
    """Finds the line of an area, criterion or item, and of a key inside it, in TOML text.

    This is a locator over text already parsed by tomllib, not a parser: it looks for each
    node's `code = "…"` assignment (the n-th one for a duplicated code), falling back to
    counting `[[areas.criteria.items]]`-style headers, and then for a key inside the node's span.
    """

    def __init__(self, source: str, raw: object):
        self.text = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.nodes = _raw_nodes(raw)
        self.codes = {node: code for node, code in self.nodes}
        self.starts: dict[Node, int] = {}
        self.code_offsets: dict[Node, int] = {}
        self._locate_nodes()
        headers = [m.start() for m in re.finditer(r"(?m)^[ \t]*\[", source)]
        self.first_header = headers[0] if headers else len(source)

    def _locate_nodes(self) -> None:
        occurrences: dict[str, int] = {}
        by_depth: dict[int, list[Node]] = {1: [], 2: [], 3: []}
        for node, _ in self.nodes:
            by_depth[len(node)].append(node)
        header_offsets = {
            depth: [
                m.start()
                for m in re.finditer(
                    r"(?m)^[ \t]*\[\[[ \t]*" + r"[ \t]*\.[ \t]*".join(_LEVEL_NAMES[:depth]) + r"[ \t]*\]\]",
                    self.text,
                )
            ]
            for depth in (1, 2, 3)
        }
        for node, code in self.nodes:
            offset = None
            if code is not None:
                nth = occurrences.get(code, 0)
                occurrences[code] = nth + 1
                pattern = r"(?<![\w.\-])code[ \t]*=[ \t]*(?:\"|')" + re.escape(code) + r"(?:\"|')"
                matches = [m.start() for m in re.finditer(pattern, self.text)]
                if nth < len(matches):
                    offset = matches[nth]
            if offset is None:
                peers, headers = by_depth[len(node)], header_offsets[len(node)]
                if len(peers) == len(headers):
                    offset = headers[peers.index(node)]
            if offset is None:
                continue
            self.code_offsets[node] = offset
            line_start = self.line_starts[self.line_of(offset) - 1]
            if "{" in self.text[line_start:offset]:
                self.starts[node] = offset  # written as an inline table
            else:
                headers_before = [m.start() for m in re.finditer(r"(?m)^[ \t]*\[", self.text[:offset])]
                self.starts[node] = headers_before[-1] if headers_before else offset

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return bisect.bisect_right(self.line_starts, offset)

    def _span(self, node: Node) -> tuple[int, int] | None:
        if node not in self.starts:
            return None
        start = self.starts[node]
        later = [s for s in self.starts.values() if s > start]
        return start, min(later) if later else len(self.text)

    def node_line(self, node: Node) -> int | None:
        """Line of a node's `code = …`, or of its nearest located ancestor."""
        while node:
            if node in self.code_offsets:
                return self.line_of(self.code_offsets[node])
            node = node[:-1]
        return None

    def locate(self, node: Node, keys: Keys) -> int | None:
        """Line of keys below a node, as precisely as can be found; else the node's line."""
        if not keys or not isinstance(keys[0], str):
            return self.node_line(node)
        if node:
            span = self._span(node)
            if span is None:
                return self.node_line(node)
            found = self._find_key(keys, *span, header_prefix=r"(?:[\w\-]+[ \t]*\.[ \t]*)*")
        else:
            found = self._find_key(keys, 0, self.first_header, header_prefix="")
            if found is None:  # a top-level array of tables such as [[rating_bands]]
                found = self._find_key(
                    keys, self.first_header, len(self.text), header_prefix="", headers_only=True
                )
        return self.line_of(found) if found is not None else self.node_line(node)

    def _find_key(
        self, keys: Keys, start: int, end: int, *, header_prefix: str, headers_only: bool = False
    ) -> int | None:
        key = re.escape(str(keys[0]))
        assign = re.compile(r"(?m)(?:^|[{,])[ \t]*" + key + r"[ \t]*[=.]")
        header = re.compile(r"(?m)^[ \t]*\[\[?[ \t]*" + header_prefix + key + r"[ \t]*\]\]?")
        header_hits = [m.start() for m in header.finditer(self.text, start, end)]
        assign_hits = [] if headers_only else [m.start() for m in assign.finditer(self.text, start, end)]
        if header_hits and (not assign_hits or header_hits[0] < assign_hits[0]):
            return self._descend_headers(keys, header_hits, end)
        if not assign_hits:
            return None
        return self._descend_inline(keys, assign_hits[0], end)

    def _descend_headers(self, keys: Keys, hits: list[int], end: int) -> int:
        offset = hits[0]
        rest = keys[1:]
        if rest and isinstance(rest[0], int):
            if rest[0] >= len(hits):
                return offset
            offset = hits[rest[0]]
            rest = rest[1:]
        if rest and isinstance(rest[0], str):
            nxt = re.compile(r"(?m)^[ \t]*\[").search(self.text, offset + 1, end)
            leaf = re.compile(r"(?m)(?:^|[{,])[ \t]*" + re.escape(rest[0]) + r"[ \t]*=")
            hit = leaf.search(self.text, offset, nxt.start() if nxt else end)
            if hit:
                return hit.start()
        return offset

    def _descend_inline(self, keys: Keys, offset: int, end: int) -> int:
        rest = keys[1:]
        if rest and isinstance(rest[0], int):
            # Each element of a list of inline tables opens one `{`; the i-th marks element i.
            braces = [m.start() for m in re.finditer(r"\{", self.text[offset:end])]
            if rest[0] >= len(braces):
                return offset
            offset += braces[rest[0]]
            rest = rest[1:]
            close = self.text.find("}", offset, end)
            end = close if close != -1 else end
        if rest and isinstance(rest[0], str):
            leaf = re.compile(r"(?:^|[{,.\s])" + re.escape(rest[0]) + r"[ \t]*=")
            hit = leaf.search(self.text, offset, end)
            if hit:
                return hit.start() + (1 if hit.group(0)[0] in "{,.\n \t" else 0)
        return offset


# ---------------------------------------------------------------------------------------------
# Translating decoder errors into Vietnamese.
# ---------------------------------------------------------------------------------------------

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


def _syntax_problem(text: str, filename: str, source: str) -> Problem:
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


def validate_source(source: str, filename: str) -> tuple[Checklist | None, list[Problem]]:
    """Decode and check one checklist's TOML text.

    Returns (checklist, []) when valid, and (None, problems) otherwise: syntax errors, type
    errors and every broken rule, each with the file, the line and the code it concerns.
    """
    try:
        checklist = msgspec.toml.decode(source, type=Checklist)
    except msgspec.ValidationError as exc:
        smap = SourceMap(source, msgspec.toml.decode(source))
        path, message = translate_validation_error(str(exc))
        node, keys = split_path(path)
        return None, [Problem(filename, smap.locate(node, keys), smap.codes.get(node), message)]
    except msgspec.DecodeError as exc:
        return None, [_syntax_problem(str(exc), filename, source)]
    smaps: list[SourceMap] = []

    def locate(node: Node, keys: Keys) -> tuple[str, int | None]:
        if not smaps:  # built only when a rule is broken: valid files skip the text search
            smaps.append(SourceMap(source, msgspec.toml.decode(source)))
        return filename, smaps[0].locate(node, keys)

    problems = validate_checklist(checklist, filename, locate)
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    return (None if problems else checklist), problems
