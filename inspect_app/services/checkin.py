"""Check-in (ghi nhận có mặt): where and when the team started a visit, stamped with the server's clock.

The tablet asks the browser for its position with a reason; the inspector may decline, and the
minutes then say "không chia sẻ vị trí". One check-in per visit: a later one is a lead's correction
and needs a reason. For a surprise visit it is the proof the team was there.
"""

from __future__ import annotations

import math
from typing import Annotated

import msgspec

from inspect_app.db import Database, utc_now
from inspect_app.permissions import can_edit_findings, can_sign_off
from inspect_app.queries import audit, checkins
from inspect_app.queries import visits as visits_q
from inspect_app.queries.checkins import CheckinRow
from inspect_app.services.deadlines import today_in_vietnam
from inspect_app.services.errors import Refused
from inspect_app.services.visits import LOCKED, MAX_REASON, VisitContext
from inspect_app.text import nfc

DECLINED_LABEL = "không chia sẻ vị trí"
MAX_ACCURACY_M = 1_000_000.0  # a position worse than 1000 km says nothing; refuse rather than print it


class CheckinIn(msgspec.Struct, forbid_unknown_fields=True):
    """The browser's geolocation (`declined`: the person chose not to share it; coordinates then null);
    `reason` is required for a check-in after the first (a lead's correction)."""

    # The bounds the service checks itself (422 with a Vietnamese message), told to the OpenAPI document.
    lat: Annotated[float | None, msgspec.Meta(extra_json_schema={"extra": {"minimum": -90, "maximum": 90}})] = None
    lon: Annotated[float | None, msgspec.Meta(extra_json_schema={"extra": {"minimum": -180, "maximum": 180}})] = None
    accuracy_m: Annotated[float | None, msgspec.Meta(extra_json_schema={"extra": {
        "minimum": 0, "maximum": MAX_ACCURACY_M}})] = None
    declined: bool = False
    reason: str = ""


class CheckinOut(msgspec.Struct):
    id: int
    visit_id: int
    recorded_at: str
    recorded_by: str
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    declined: bool
    reason: str


def checkin_out(row: CheckinRow) -> CheckinOut:
    return CheckinOut(id=row.id, visit_id=row.visit_id, recorded_at=row.recorded_at, recorded_by=row.recorded_by_name,
                      lat=row.lat, lon=row.lon, accuracy_m=row.accuracy_m, declined=row.declined, reason=row.reason)


async def latest(db: Database, visit_id: int) -> CheckinRow | None:
    """The check-in the minutes state (the latest one), or None."""
    return await checkins.latest(db, visit_id)


def can_check_in(ctx: VisitContext) -> bool:
    """The tablet offers "Ghi nhận có mặt" to the team while the visit runs or is planned for today."""
    visit = ctx.visit
    return can_edit_findings(ctx.user, ctx.is_member) and (
        visit.status in ("in_progress", "submitted")
        or (visit.status == "planned" and visit.scheduled_on == today_in_vietnam().isoformat()))


def place_label(row: CheckinRow) -> str:
    """The place as the minutes print it: coordinates with their accuracy, or that none was shared."""
    if row.declined or row.lat is None or row.lon is None:
        return DECLINED_LABEL
    accuracy = f", sai số khoảng {round(row.accuracy_m):,} m".replace(",", ".") if row.accuracy_m is not None else ""
    return f"tọa độ {row.lat:.5f}, {row.lon:.5f}{accuracy}"


def _coordinate(value: float | None, limit: float, name: str) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise Refused(422, "bad_coordinates", f"{name} phải nằm trong khoảng từ -{limit:g} đến {limit:g}.")
    return float(value)


def parse(data: CheckinIn) -> CheckinIn:
    """The check-in as it will be stored: coordinates in range (else 422), none when declined."""
    lat = _coordinate(data.lat, 90, "Vĩ độ (lat)")
    lon = _coordinate(data.lon, 180, "Kinh độ (lon)")
    accuracy = data.accuracy_m
    if accuracy is not None and (not math.isfinite(accuracy) or not 0 <= accuracy <= MAX_ACCURACY_M):
        raise Refused(422, "bad_accuracy", "Sai số vị trí (accuracy_m) phải từ 0 đến 1.000.000 mét.")
    reason = nfc(data.reason)
    if len(reason) > MAX_REASON:
        raise Refused(422, "reason_too_long", f"Lý do dài quá {MAX_REASON} ký tự.")
    if data.declined:
        return CheckinIn(declined=True, reason=reason)
    if lat is None or lon is None:
        raise Refused(422, "position_required",
                      "Thiếu vĩ độ hoặc kinh độ. Nếu không chia sẻ vị trí, hãy gửi declined = true.")
    return CheckinIn(lat=lat, lon=lon, accuracy_m=accuracy, declined=False, reason=reason)


async def record(db: Database, ctx: VisitContext, data: CheckinIn) -> CheckinOut:
    """Record a check-in with the server's time and its audit row; 409 when the visit is closed or was
    already checked in (a lead may record another, with a reason)."""
    if not can_edit_findings(ctx.user, ctx.is_member):
        raise Refused(403, "not_team_member", "Chỉ thành viên đoàn kiểm tra được ghi nhận có mặt.")
    checkin = parse(data)
    async with db.transaction() as tx:
        status, _ = await visits_q.status_of(tx, ctx.visit.id)
        if status in LOCKED:
            raise Refused(409, "visit_closed", "Cuộc kiểm tra đã ký duyệt: không ghi nhận có mặt được nữa.")
        earlier = await checkins.latest(tx, ctx.visit.id)
        if earlier is not None and not (can_sign_off(ctx.user, ctx.is_member) and checkin.reason):
            raise Refused(409, "already_checked_in",
                          "Cuộc kiểm tra này đã được ghi nhận có mặt. Chỉ trưởng đoàn được ghi nhận lại, "
                          "và phải nêu lý do.")
        at = utc_now()
        checkin_id = await checkins.insert(tx, visit_id=ctx.visit.id, user_id=ctx.user.id, at=at, lat=checkin.lat,
                                           lon=checkin.lon, accuracy_m=checkin.accuracy_m,
                                           declined=checkin.declined, reason=checkin.reason)
        after = {"lat": checkin.lat, "lon": checkin.lon, "accuracy_m": checkin.accuracy_m,
                 "declined": checkin.declined, "recorded_at": at}
        if checkin.reason:
            after["reason"] = checkin.reason
        await audit.record(tx, actor_id=ctx.user.id, actor=ctx.user.username, action="visit.check_in",
                           subject_type="visit", subject_id=ctx.visit.id,
                           before=None if earlier is None else {"checkin_id": earlier.id}, after=after)
        row = await checkins.latest(tx, ctx.visit.id)
    assert row is not None and row.id == checkin_id
    return checkin_out(row)
