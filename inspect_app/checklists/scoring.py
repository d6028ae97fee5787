"""Scoring engine: pure functions that check answers and turn them into points."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping

import msgspec

from .conditions import skipped_codes
from .model import SCORED_TYPES, Answer, Band, Checklist, Item
from .validate import format_number as _n
from .validate import is_multiple

_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class AnswerError(ValueError):
    """An answer that does not fit its item; the message is Vietnamese and says why."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


class ItemScore(msgspec.Struct, frozen=True):
    """What one item earns.

    `points` is None when the item is unanswered, N/A or not scored (text, date).
    `max_points` is what the item adds to the maximum: 0 when N/A or not scored.
    `skipped`: "không áp dụng theo điều kiện" (its `when` is false): no points, no maximum, not counted.
    """

    code: str
    points: float | None
    max_points: float
    na: bool = False
    answered: bool = False
    skipped: bool = False


class CriterionScore(msgspec.Struct, frozen=True):
    """Points and maximum of one criterion (tiêu chí)."""

    code: str
    points: float
    max_points: float
    answered: int
    total: int


class AreaScore(msgspec.Struct, frozen=True):
    """Points and maximum of one area (lĩnh vực), with its criteria."""

    code: str
    points: float
    max_points: float
    answered: int
    total: int
    criteria: list[CriterionScore]


class ChecklistScore(msgspec.Struct, frozen=True):
    """The result of a whole checklist.

    `percent` is None when the maximum is 0 (every scored item N/A); `rating` is the label
    of the highest rating band reached, None without rating bands. `total` leaves out the items
    skipped by their condition; `skipped` lists them in document order.
    """

    points: float
    max_points: float
    percent: float | None
    rating: str | None
    answered: int
    total: int
    areas: list[AreaScore]
    items: dict[str, ItemScore]
    skipped: list[str] = []


def _round(value: float) -> float:
    # `+ 0.0` turns -0.0 into 0.0 so that no score prints as "-0".
    return round(value, 2) + 0.0


def is_blank(answer: Answer | None) -> bool:
    """Whether an answer carries nothing: no N/A mark and no value (an unanswered item)."""
    if answer is None:
        return True
    values = (answer.choice, answer.number, answer.numerator, answer.denominator)
    has_text = bool((answer.text or "").strip())
    return not answer.na and not has_text and all(value is None for value in values)


def _number_problem(value: float | None, what: str, *, integer: bool, limit: float | None = None) -> str | None:
    if value is None:
        return f"Chưa nhập {what}."
    if not math.isfinite(value):
        return f"{what.capitalize()} phải là một số hữu hạn."
    if value < 0:
        return f"{what.capitalize()} không được âm."
    if limit is not None and value > limit:
        return (f"Số đã nhập cho {what} ({_n(value)}) vượt quá giới hạn {_n(limit)} của tiêu chí thành phần "
                "này; hãy kiểm tra lại.")
    if integer and not float(value).is_integer():
        return f"{what.capitalize()} phải là số nguyên (đang là {_n(value)})."
    return None


def validate_answer(item: Item, answer: Answer, *, limits: bool = True) -> str | None:
    """Check an answer against its item: None when acceptable, else a Vietnamese message.

    A blank answer (see `is_blank`) is acceptable: it means the item is not answered yet.
    `limits` adds the input rules for counted numbers (whole, ≤ the item's `value_limit`); scoring
    leaves them out so that an answer stored before a limit was set or lowered still scores.
    """
    limit = item.value_limit() if limits else None
    if answer.na:
        if not item.na_allowed:
            return "Tiêu chí thành phần này không cho phép chọn «Không áp dụng»."
        return None
    if is_blank(answer):
        return None
    kind = item.type
    if kind in ("yesno", "levels") and answer.choice is None:
        return "Chưa chọn câu trả lời."
    if kind == "yesno":
        if answer.choice not in ("yes", "no"):
            return f"Câu trả lời phải là «Có» (yes) hoặc «Không» (no), không phải «{answer.choice}»."
    elif kind == "levels":
        keys = [level.key for level in item.levels]
        if answer.choice not in keys:
            listed = ", ".join(f"«{level.label}» ({level.key})" for level in item.levels)
            return f"Mức «{answer.choice}» không có trong tiêu chí này; hãy chọn một trong: {listed}."
    elif kind == "score":
        if problem := _number_problem(answer.number, "điểm chấm", integer=False):
            return problem
        assert answer.number is not None
        if answer.number > item.max_points:
            return (
                f"Điểm chấm {_n(answer.number)} vượt điểm tối đa {_n(item.max_points)} của tiêu chí "
                "thành phần."
            )
        if item.step > 0 and not is_multiple(answer.number, item.step):
            return f"Điểm chấm phải là bội số của {_n(item.step)} (đang là {_n(answer.number)})."
    elif kind == "ratio":
        if answer.numerator is None or answer.denominator is None:
            return "Cần nhập cả tử số và mẫu số."
        for value, what in ((answer.numerator, "tử số"), (answer.denominator, "mẫu số")):
            if problem := _number_problem(value, what, integer=limits, limit=limit):
                return problem
        if answer.numerator > answer.denominator:
            return "Tử số không được lớn hơn mẫu số."
    elif kind == "count":
        return _number_problem(answer.number, item.count_label or "số đếm", integer=True, limit=limit)
    elif kind == "deduction":
        return _number_problem(answer.number, item.violation_label or "số vi phạm", integer=True, limit=limit)
    elif kind == "date":
        text = (answer.text or "").strip()
        if not _ISO_DATE_RE.fullmatch(text):
            return f"Ngày «{text}» không đúng dạng năm-tháng-ngày (YYYY-MM-DD), ví dụ 2026-03-31."
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            return f"Ngày «{text}» không tồn tại trong lịch."
    return None


def _band_points(bands: list[Band], value: float, *, top: float | None) -> float:
    """Points of the band containing value; `top` is an upper bound the last band includes."""
    for index, band in enumerate(bands):
        last = index == len(bands) - 1
        upper = band.to
        if value < band.from_:
            continue
        if upper is None or value < upper or (last and top is not None and value <= top):
            return band.points
    # Valid bands cover every value ≥ 0; this only serves files that skipped validation.
    return bands[-1].points if bands and value >= bands[-1].from_ else 0.0


def _raw_points(item: Item, answer: Answer) -> float | None:
    """Points before rounding; None when the answer makes the item N/A (empty denominator)."""
    kind = item.type
    if kind == "yesno":
        return item.max_points if answer.choice == "yes" else 0.0
    if kind == "levels":
        return next(level.points for level in item.levels if level.key == answer.choice)
    if kind in ("score",):
        assert answer.number is not None
        return answer.number
    if kind == "ratio":
        assert answer.numerator is not None and answer.denominator is not None
        if answer.denominator == 0:
            return {"max": item.max_points, "zero": 0.0, "na": None}[item.if_empty]
        # Rounded to 9 places so 0.29 / 1 · 100 lands in the band starting at 29, not below it.
        pct = round(answer.numerator / answer.denominator * 100, 9)
        if item.mode == "linear":
            span = item.full_at - item.zero_at
            fraction = (pct - item.zero_at) / span if span > 0 else float(pct >= item.full_at)
            return item.max_points * min(1.0, max(0.0, fraction))
        return _band_points(item.bands, pct, top=100.0)
    if kind == "count":
        assert answer.number is not None
        return _band_points(item.bands, answer.number, top=None)
    if kind == "deduction":
        assert answer.number is not None
        return max(0.0, item.max_points - item.per_violation * answer.number)
    return None


def score_item(item: Item, answer: Answer | None) -> ItemScore:
    """Score one item; raises AnswerError (a ValueError) when the answer does not fit it."""
    scored = item.type in SCORED_TYPES
    full = item.max_points if scored else 0.0
    if is_blank(answer):
        return ItemScore(item.code, None, full)
    assert answer is not None
    if problem := validate_answer(item, answer, limits=False):
        raise AnswerError(item.code, problem)
    if answer.na:
        return ItemScore(item.code, None, 0.0, na=True, answered=True)
    if not scored:
        return ItemScore(item.code, None, 0.0, answered=True)
    points = _raw_points(item, answer)
    if points is None:  # ratio with an empty denominator and if_empty = "na"
        return ItemScore(item.code, None, 0.0, na=True, answered=True)
    return ItemScore(item.code, _round(min(max(points, 0.0), item.max_points)), full, answered=True)


def rating_for(checklist: Checklist, percent: float | None) -> str | None:
    """The label of the highest rating band whose min_percent the percent reaches."""
    if percent is None:
        return None
    reached = [band for band in checklist.rating_bands if percent >= band.min_percent]
    return max(reached, key=lambda band: band.min_percent).label if reached else None


def score_checklist(checklist: Checklist, answers: Mapping[str, Answer]) -> ChecklistScore:
    """Score every item and add up criteria, areas and the total.

    `answers` maps item codes to answers; missing codes are unanswered. Item points are
    rounded to 2 decimals, and each sum is rounded again so that a total always equals the
    sum of the parts a person sees. Raises AnswerError for an answer that does not fit.
    An item whose condition (`when`) is false is left out of points, maximum and total, even when an
    answer to it was stored earlier (it counts again once the condition holds).
    """
    skipped = skipped_codes(checklist, answers)
    items: dict[str, ItemScore] = {}
    areas: list[AreaScore] = []
    for area in checklist.areas:
        criteria: list[CriterionScore] = []
        for crit in area.criteria:
            scores = [ItemScore(item.code, None, 0.0, skipped=True) if item.code in skipped
                      else score_item(item, answers.get(item.code)) for item in crit.items]
            items.update((score.code, score) for score in scores)
            criteria.append(
                CriterionScore(
                    code=crit.code,
                    points=_round(sum(s.points or 0.0 for s in scores)),
                    max_points=_round(sum(s.max_points for s in scores)),
                    answered=sum(s.answered for s in scores),
                    total=sum(not s.skipped for s in scores),
                )
            )
        areas.append(
            AreaScore(
                code=area.code,
                points=_round(sum(c.points for c in criteria)),
                max_points=_round(sum(c.max_points for c in criteria)),
                answered=sum(c.answered for c in criteria),
                total=sum(c.total for c in criteria),
                criteria=criteria,
            )
        )
    points = _round(sum(a.points for a in areas))
    maximum = _round(sum(a.max_points for a in areas))
    percent = _round(points / maximum * 100) if maximum > 0 else None
    return ChecklistScore(
        points=points,
        max_points=maximum,
        percent=percent,
        rating=rating_for(checklist, percent),
        answered=sum(a.answered for a in areas),
        total=sum(a.total for a in areas),
        areas=areas,
        items=items,
        skipped=[code for code in items if code in skipped],
    )
