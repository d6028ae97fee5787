"""Teams and visit scheduling: the Sở Nội vụ plans, a lead may open a surprise visit on the spot."""

from __future__ import annotations

from datetime import date

from inspect_app.checklists import LoadedChecklist
from inspect_app.db import Database
from inspect_app.models import Plan, User
from inspect_app.queries import audit, plans, units, users, visits
from inspect_app.services.errors import Refused
from inspect_app.text import nfc

MEMBER_ROLES = ("truong_doan", "pho_doan", "thanh_vien", "thu_ky")


def _bad(message: str, field: str = "") -> Refused:
    return Refused(422, "invalid_input", message, {"field": field} if field else None)


async def create_team(db: Database, actor: User, plan: Plan, *, name: str, decision_number: str,
                      decision_date: str) -> int:
    name, decision_number = nfc(name), nfc(decision_number)
    if len(name) < 3:
        raise _bad("Nhập tên đoàn kiểm tra (ví dụ: Đoàn kiểm tra số 2).", "name")
    if decision_date:
        try:
            date.fromisoformat(decision_date)
        except ValueError:
            raise _bad("Ngày quyết định không hợp lệ.", "decision_date") from None
    if await plans.find_team(db, plan.id, name):
        raise _bad(f"Kế hoạch đã có “{name}”.", "name")
    async with db.transaction() as tx:
        team_id = await plans.insert_team(tx, plan.id, name, decision_number, decision_date or None)
        await audit.record(tx, actor_id=actor.id, actor=actor.username, action="team.create", subject_type="team",
                           subject_id=team_id, after={"plan_id": plan.id, "name": name, "decision": decision_number})
    return team_id


async def add_member(db: Database, actor: User, plan: Plan, team_id: int, username: str, role: str) -> None:
    if team_id not in {t.id for t in await plans.list_teams(db, plan.id)}:
        raise Refused(404, "unknown_team", "Không có đoàn kiểm tra này trong kế hoạch.")
    if role not in MEMBER_ROLES:
        raise _bad("Vai trò trong đoàn không hợp lệ.", "role")
    member = await users.get_user_by_username(db, nfc(username).lower())
    if member is None or member.role not in ("lead", "inspector"):
        raise _bad("Chỉ thêm được tài khoản trưởng đoàn hoặc kiểm tra viên.", "username")
    if role == "truong_doan" and member.role != "lead":
        raise _bad("Trưởng đoàn phải là tài khoản có vai trò trưởng đoàn.", "role")
    async with db.transaction() as tx:
        await plans.add_member(tx, team_id, member.id, role)
        await audit.record(tx, actor_id=actor.id, actor=actor.username, action="team.member", subject_type="team",
                           subject_id=team_id, after={"user": member.username, "role": role})


async def schedule_visits(
    db: Database, actor: User, plan: Plan, *, team_id: int, on: str, checklist: LoadedChecklist | None,
    unit_codes: list[str], kind: str = "scheduled",
) -> list[int]:
    """Create one visit per unit, all or none; each pinned to the checklist's current version."""
    if team_id not in {t.id for t in await plans.list_teams(db, plan.id)}:
        raise _bad("Chọn đoàn kiểm tra của kế hoạch này.", "team_id")
    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise _bad("Ngày kiểm tra không hợp lệ.", "date") from None
    if kind == "scheduled" and not plan.period_start <= day.isoformat() <= plan.period_end:
        raise _bad(f"Ngày kiểm tra phải trong thời gian của kế hoạch ({plan.period_start} – {plan.period_end}).",
                   "date")
    if checklist is None:
        raise _bad("Chọn bộ tiêu chí.", "checklist_id")
    codes = list(dict.fromkeys(c.strip() for c in unit_codes if c.strip()))
    if not codes:
        raise _bad("Chọn ít nhất một đơn vị.", "units")
    wrong_kind, unknown, already = [], [], []
    for code in codes:
        unit = await units.get_unit(db, code)
        if unit is None:
            unknown.append(code)
        elif unit.kind not in checklist.checklist.unit_kinds:
            wrong_kind.append(unit.name)
        elif kind == "scheduled" and await visits.find_visit(db, plan.id, code):
            already.append(unit.name)
    if unknown:
        raise _bad(f"Không có đơn vị mã: {', '.join(unknown)}.", "units")
    if wrong_kind:
        raise _bad(f"Bộ tiêu chí “{checklist.checklist.title}” không áp dụng cho: {', '.join(wrong_kind)}.", "units")
    if already:
        raise _bad(f"Đã có lịch kiểm tra trong kế hoạch này cho: {', '.join(already)}.", "units")
    created = []
    async with db.transaction() as tx:
        for code in codes:
            visit_id = await visits.insert_visit(
                tx, plan_id=plan.id, unit_code=code, team_id=team_id, scheduled_on=day.isoformat(),
                checklist_id=checklist.checklist.id, checklist_version=checklist.version_hash, created_by=actor.id,
                kind=kind)
            await audit.record(tx, actor_id=actor.id, actor=actor.username, action="visit.create",
                               subject_type="visit", subject_id=visit_id,
                               after={"plan_id": plan.id, "unit_code": code, "date": day.isoformat(), "kind": kind,
                                      "checklist": checklist.checklist.id, "version": checklist.version_hash})
            created.append(visit_id)
    return created


async def lead_team(db: Database, user: User, plan: Plan) -> int | None:
    """The team of this plan that the user leads (trưởng đoàn or phó đoàn)."""
    for team in await plans.list_teams(db, plan.id):
        if any(m.user_id == user.id and m.role in ("truong_doan", "pho_doan") for m in team.members):
            return team.id
    return None
