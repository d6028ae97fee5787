"""Semantic rules for one item (tiêu chí thành phần): its type, points, levels, bands, evidence.

Pure functions over a decoded Item, yielding (keys below the item, Vietnamese message).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .model import COUNTED_TYPES, MAX_VALUE_CEILING, SCORED_TYPES, Band, Evidence, Item
from .problems import TOLERANCE, Keys
from .problems import format_number as _n
from .sample_rules import sample_item_findings

LEVEL_KEY_RE = re.compile(r"[a-z0-9_]+")


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
    # A figure derived from a dossier sample may carry no points: it records a cross-check (e.g. the on-time
    # rate in the team's sample beside the rate the unit's system reports) without scoring it twice.
    cross_check = item.from_sample is not None and item.max_points == 0
    if kind in SCORED_TYPES and not item.max_points > 0 and not cross_check:
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
    yield from _max_value_findings(item)
    yield from sample_item_findings(item)
    yield from _evidence_findings(item.evidence)


def _max_value_findings(item: Item) -> Iterator[tuple[Keys, str]]:
    if item.max_value is None:
        return
    if item.type not in COUNTED_TYPES:
        yield (
            ("max_value",),
            f"Loại {item.type} không dùng giá trị lớn nhất (max_value): chỉ các loại ratio, count và "
            "deduction có số đếm; hãy xóa max_value.",
        )
    elif not 1 <= item.max_value <= MAX_VALUE_CEILING:
        yield (
            ("max_value",),
            f"Giá trị lớn nhất (max_value) phải là số nguyên từ 1 đến {_n(MAX_VALUE_CEILING)}, hiện là "
            f"{_n(item.max_value)}.",
        )


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
