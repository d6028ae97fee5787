"""The rules reports apply, as plain functions: failed items, ranking with ties, averages and
spread, remediation figures with deadline arithmetic in Vietnam's time zone."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

import msgspec

from inspect_app.checklists import ItemScore

from inspect_app.services import deadlines
from inspect_app.services.deadlines import VIETNAM

DONE = ("submitted", "signed_off", "amended")
SIGNED = ("signed_off", "amended")


def is_failed(score: ItemScore | None) -> bool:
    """An item counts as a shortcoming when answered, applicable, scored and below its maximum."""
    return (score is not None and score.answered and not score.na and score.points is not None
            and score.points < score.max_points)


def rank(values: Sequence[float | None]) -> list[int | None]:
    """Standard competition ranking, best (highest) first: 90, 85, 85, 80 → 1, 2, 2, 4.

    Values are compared at 2 decimals, as printed, so two units shown with the same score share a
    rank; None (not scored) gets no rank.
    """
    keyed = sorted((round(v, 2) for v in values if v is not None), reverse=True)
    first_at: dict[float, int] = {}
    for position, value in enumerate(keyed, start=1):
        first_at.setdefault(value, position)
    return [None if v is None else first_at[round(v, 2)] for v in values]


class Spread(msgspec.Struct, frozen=True):
    """Average, population standard deviation and range of a set of values."""

    count: int
    mean: float | None
    stdev: float | None
    minimum: float | None
    maximum: float | None


def spread(values: Iterable[float | None]) -> Spread:
    present = [v for v in values if v is not None]
    if not present:
        return Spread(0, None, None, None, None)
    mean = math.fsum(present) / len(present)
    # Population deviation: the report describes every unit inspected, not a sample of them.
    stdev = math.sqrt(math.fsum((v - mean) ** 2 for v in present) / len(present))
    return Spread(len(present), round(mean, 2), round(stdev, 2), min(present), max(present))


def percent(points: float, maximum: float) -> float | None:
    return round(points / maximum * 100, 2) if maximum > 0 else None


# ---------------------------------------------------------------- time and deadlines


# One clock for the whole app: the remediation pages and the reports count the same way.
today_in_vietnam = deadlines.today_in_vietnam
vietnam_day = deadlines.vietnam_date


def vietnam_time(moment_utc: str | None) -> str:
    """A stored UTC time as "14 giờ 05 phút, ngày 23/11/2026" (Vietnam time)."""
    if not moment_utc:
        return ""
    moment = datetime.fromisoformat(moment_utc.replace("Z", "+00:00"))
    moment = moment.astimezone(VIETNAM) if moment.tzinfo else moment
    return f"{moment:%H} giờ {moment:%M} phút, ngày {moment:%d/%m/%Y}"


def device_time(captured_at: str | None) -> str:
    """A camera's claimed time (local, or with the offset it recorded) worded like `vietnam_time`;
    text that is not a time is shown as it is rather than failing a document."""
    try:
        return vietnam_time(captured_at)
    except ValueError:
        return captured_at or ""


class RemediationFigures(msgspec.Struct):
    total: int = 0
    closed_on_time: int = 0
    closed_late: int = 0
    overdue: int = 0
    pending: int = 0  # not accepted, deadline not passed


def classify(status: str, deadline: str, closed_at: str | None, today: date) -> str:
    """One item's standing: closed_on_time, closed_late, overdue or pending.

    Accepted items are judged by the Vietnamese day they were closed; an accepted item without a
    closing time cannot be shown late and counts as on time. Open, answered and returned items are
    overdue once today in Vietnam is after the deadline.
    """
    if status == "accepted":
        return "closed_on_time" if deadlines.closed_on_time(deadline, closed_at) else "closed_late"
    return "overdue" if deadlines.is_overdue(status, deadline, today) else "pending"


class UnitRemediation(msgspec.Struct):
    unit_code: str
    unit_name: str
    figures: RemediationFigures


class RemediationSummary(msgspec.Struct):
    figures: RemediationFigures
    by_unit: list[UnitRemediation]


def remediation_figures(rows: Iterable, today: date) -> RemediationSummary:
    """Totals and per-unit figures from rows with unit_code, unit_name, status, deadline, closed_at."""
    total = RemediationFigures()
    units: dict[str, UnitRemediation] = {}
    for row in rows:
        standing = classify(row.status, row.deadline, row.closed_at, today)
        unit = units.setdefault(row.unit_code, UnitRemediation(row.unit_code, row.unit_name, RemediationFigures()))
        for figures in (total, unit.figures):
            figures.total += 1
            setattr(figures, standing, getattr(figures, standing) + 1)
    return RemediationSummary(total, sorted(units.values(), key=lambda u: u.unit_name))


# ---------------------------------------------------------------- wording


def place_name(province_name: str | None) -> str:
    """The địa danh of a date line: "Thành phố Hải Phòng" → "Hải Phòng", "Tỉnh Nghệ An" → "Nghệ An"."""
    name = (province_name or "").strip()
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def upper_vn(text: str) -> str:
    """Capitals as NĐ 30 sets names in headers; common parent names keep their abbreviation."""
    return text.upper().replace("ỦY BAN NHÂN DÂN", "UBND")


def period_bounds(year: int, quarter: int | None) -> tuple[str, str, str]:
    """(first day, last day, label) of a year or a quarter: (…, …, "quý IV năm 2026")."""
    if quarter is None:
        return f"{year}-01-01", f"{year}-12-31", f"năm {year}"
    first_month = 3 * (quarter - 1) + 1
    start = date(year, first_month, 1)
    end = (date(year + (quarter == 4), 1 if quarter == 4 else first_month + 3, 1) - timedelta(days=1))
    return start.isoformat(), end.isoformat(), f"quý {('I', 'II', 'III', 'IV')[quarter - 1]} năm {year}"
