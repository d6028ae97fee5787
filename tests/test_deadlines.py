"""Deadline arithmetic in Asia/Ho_Chi_Minh: on time, late, overdue, due soon."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from inspect_app.services import deadlines


def test_today_follows_vietnam_not_utc():
    # 23:30 UTC on 23/11 is already 06:30 on 24/11 in Hải Phòng.
    assert deadlines.today_in_vietnam(datetime(2026, 11, 23, 23, 30, tzinfo=UTC)) == date(2026, 11, 24)
    assert deadlines.today_in_vietnam(datetime(2026, 11, 23, 16, 59, tzinfo=UTC)) == date(2026, 11, 23)


@pytest.mark.parametrize("deadline, overdue, soon, label", [
    ("2026-11-22", True, False, "quá hạn 1 ngày"),
    ("2026-11-23", False, True, "hết hạn hôm nay"),
    ("2026-11-30", False, True, "còn 7 ngày"),
    ("2026-12-01", False, False, "còn 8 ngày"),
])
def test_overdue_and_due_soon(deadline, overdue, soon, label):
    today = date(2026, 11, 23)
    assert deadlines.is_overdue("open", deadline, today) is overdue
    assert deadlines.is_due_soon("returned", deadline, today) is soon
    assert deadlines.deadline_label("answered", deadline, today) == label


def test_an_accepted_item_is_never_overdue():
    assert not deadlines.is_overdue("accepted", "2020-01-01", date(2026, 11, 23))
    assert deadlines.deadline_label("accepted", "2020-01-01", date(2026, 11, 23)) == "đã hoàn thành"


def test_on_time_is_judged_by_the_vietnamese_day_it_was_closed():
    # Accepted 16:30 UTC on the deadline day = 23:30 in Vietnam, still that day: on time.
    assert deadlines.closed_on_time("2026-11-23", "2026-11-23T16:30:00Z")
    # 17:30 UTC = 00:30 the next day in Vietnam: late.
    assert not deadlines.closed_on_time("2026-11-23", "2026-11-23T17:30:00Z")


def test_default_deadline_counts_from_the_sign_off_day_in_vietnam():
    # Signed off 20:00 UTC on 01/12 = 03:00 on 02/12 in Vietnam; 30 days later is 01/01.
    assert deadlines.default_deadline("2026-12-01T20:00:00Z", 30) == "2027-01-01"
