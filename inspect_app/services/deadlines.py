"""Deadline arithmetic for remediation items, in Vietnam's time zone (UTC+7, no daylight saving).

Rules (plain functions, unit-tested):
- overdue: not accepted and today (in Vietnam) is after the deadline;
- due soon: not accepted, not overdue, and the deadline is within `window` days;
- closed on time / late: accepted, judged by the Vietnamese day it was closed (accepted) against
  the deadline. Reports and the remediation pages use these same functions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
DUE_SOON_DAYS = 7


def today_in_vietnam(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(VIETNAM).date()


def vietnam_date(moment_utc: str) -> date:
    """The Vietnamese calendar day of a stored UTC time ("2026-11-23T17:30:00Z" → 24/11/2026)."""
    moment = datetime.fromisoformat(moment_utc.replace("Z", "+00:00"))
    if moment.tzinfo is None:  # stored times are UTC even when written without the Z
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).date()


def days_left(deadline: str, today: date) -> int:
    """Days until the deadline (0 on the day itself, negative once past)."""
    return (date.fromisoformat(deadline) - today).days


def is_overdue(status: str, deadline: str, today: date) -> bool:
    return status != "accepted" and days_left(deadline, today) < 0


def is_due_soon(status: str, deadline: str, today: date, window: int = DUE_SOON_DAYS) -> bool:
    return status != "accepted" and 0 <= days_left(deadline, today) <= window


def closed_on_time(deadline: str, closed_at: str | None) -> bool:
    """An accepted item is on time when it was closed on or before the deadline (Vietnamese day).
    An accepted item without a closing time cannot be shown late."""
    return closed_at is None or vietnam_date(closed_at) <= date.fromisoformat(deadline)


def default_deadline(signed_off_at: str, days: int) -> str:
    """The plan's default: `days` calendar days after the sign-off day in Vietnam."""
    return (vietnam_date(signed_off_at) + timedelta(days=days)).isoformat()


def deadline_label(status: str, deadline: str, today: date) -> str:
    """What a person reads next to an item: "còn 3 ngày", "hôm nay hết hạn", "quá hạn 2 ngày"."""
    if status == "accepted":
        return "đã hoàn thành"
    left = days_left(deadline, today)
    if left > 0:
        return f"còn {left} ngày"
    if left == 0:
        return "hết hạn hôm nay"
    return f"quá hạn {-left} ngày"
