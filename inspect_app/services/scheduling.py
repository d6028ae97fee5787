"""Teams and visit scheduling: the Sở Nội vụ plans, a lead may open a surprise visit on the spot."""

from __future__ import annotations

from datetime import date

from collections.abc import Iterable

from inspect_app.checklists import LoadedChecklist
from inspect_app.db import Database
from inspect_app.models import UNIT_KIND_LABELS, Plan, Team, Unit, User
from inspect_app.queries import audit, plans, units, users, visits
from inspect_app.services.errors import Refused
from inspect_app.text import fold, nfc

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
    team = next((t for t in await plans.list_teams(db, plan.id) if t.id == team_id), None)
    if team is None:
        raise Refused(404, "unknown_team", "Không có đoàn kiểm tra này trong kế hoạch.")
    if role not in MEMBER_ROLES:
        raise _bad("Vai trò trong đoàn không hợp lệ.", "role")
    member = await users.get_user_by_username(db, nfc(username).lower())
    if member is None or member.role not in ("lead", "inspector"):
        raise _bad("Chỉ thêm được tài khoản trưởng đoàn hoặc kiểm tra viên.", "username")
    if role == "truong_doan" and member.role != "lead":
        raise _bad("Trưởng đoàn phải là tài khoản có vai trò trưởng đoàn.", "role")
    if any(m.user_id == member.id for m in team.members):
        raise Refused(409, "already_member", f"{member.full_name} đã ở trong {team.name}.", {"field": "username"})
    async with db.transaction() as tx:
        await plans.add_member(tx, team_id, member.id, role)
        await audit.record(tx, actor_id=actor.id, actor=actor.username, action="team.member", subject_type="team",
                           subject_id=team_id, after={"user": member.username, "role": role})


async def schedule_visits(
    db: Database, actor: User, plan: Plan, *, team_id: int, on: str, checklist: LoadedChecklist | None,
    unit_codes: list[str], kind: str = "scheduled", alternatives: Iterable[LoadedChecklist] = (),
) -> list[int]:
    """Create one visit per unit, all or none; each pinned to the checklist's current version.

    Without a checklist, the one of `alternatives` that fits the units' kind is used; a checklist
    that does not apply to some unit is refused with a short message naming the one that fits.
    """
    if team_id not in {t.id for t in await plans.list_teams(db, plan.id)}:
        raise _bad("Chọn đoàn kiểm tra của kế hoạch này.", "team_id")
    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise _bad("Ngày kiểm tra không hợp lệ.", "date") from None
    if kind == "scheduled" and not plan.period_start <= day.isoformat() <= plan.period_end:
        raise _bad(f"Ngày kiểm tra phải trong thời gian của kế hoạch ({plan.period_start} – {plan.period_end}).",
                   "date")
    codes = list(dict.fromkeys(c.strip() for c in unit_codes if c.strip()))
    if not codes:
        raise _bad("Chọn ít nhất một đơn vị.", "units")
    chosen, unknown = [], []
    for code in codes:
        unit = await units.get_unit(db, code)
        if unit is None:
            unknown.append(code)
        else:
            chosen.append(unit)
    if unknown:
        raise _bad(f"Không có đơn vị mã: {names_list(unknown)}.", "units")
    if checklist is None:
        checklist = fitting_checklist(alternatives, chosen)
        if checklist is None:
            raise _bad("Chọn bộ tiêu chí.", "checklist_id")
    wrong_kind = [u for u in chosen if u.kind not in checklist.checklist.unit_kinds]
    if wrong_kind:
        raise _bad(kind_mismatch_message(checklist, wrong_kind, fitting_checklist(alternatives, chosen)),
                   "checklist_id")
    already = [u.name for u in chosen if kind == "scheduled" and await visits.find_visit(db, plan.id, u.code)]
    if already:
        raise _bad(f"Đã có lịch kiểm tra trong kế hoạch này cho: {names_list(already)}.", "units")
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


def names_list(names: list[str], limit: int = 5) -> str:
    """Names for a message: the first few, then how many more ("A, B, C và 97 đơn vị khác")."""
    shown = ", ".join(names[:limit])
    return f"{shown} và {len(names) - limit} đơn vị khác" if len(names) > limit else shown


def kinds_label(kinds: Iterable[str]) -> str:
    return ", ".join(UNIT_KIND_LABELS.get(k, k).lower() for k in dict.fromkeys(kinds))


def kind_mismatch_message(checklist: LoadedChecklist, wrong: list[Unit], fitting: LoadedChecklist | None) -> str:
    message = (f"Bộ tiêu chí “{checklist.checklist.title}” dùng cho {kinds_label(checklist.checklist.unit_kinds)}, "
               f"không áp dụng cho {len(wrong)} đơn vị đã chọn ({kinds_label(u.kind for u in wrong)}): "
               f"{names_list([u.name for u in wrong])}.")
    if fitting is not None:
        message += f" Hãy chọn bộ tiêu chí “{fitting.checklist.title}”."
    else:
        message += " Các đơn vị đã chọn không cùng một bộ tiêu chí: hãy lên lịch riêng từng loại đơn vị."
    return message


def fitting_checklist(checklists: Iterable[LoadedChecklist], chosen: list[Unit]) -> LoadedChecklist | None:
    """The checklist that applies to every unit given, the most specific first (fewest unit kinds:
    the commune checklist before the one-stop-shop checklist that fits every kind); None if none
    applies to all of them."""
    kinds = {u.kind for u in chosen}
    fitting = [c for c in checklists if kinds <= set(c.checklist.unit_kinds)]
    return min(fitting, key=lambda c: (len(c.checklist.unit_kinds), c.checklist.id), default=None)


def default_checklist(checklists: Iterable[LoadedChecklist], listed: list[Unit]) -> LoadedChecklist | None:
    """The checklist the scheduling form starts with: the one fitting the most of the listed units
    (most specific on a tie), so a list of communes starts on the commune checklist."""
    return min(checklists, key=lambda c: (-sum(1 for u in listed if u.kind in c.checklist.unit_kinds),
                                          len(c.checklist.unit_kinds), c.checklist.id), default=None)


def matching_units(listed: list[Unit], query: str) -> list[Unit]:
    """Units whose name or code holds every word of `query`, diacritics and case ignored
    ("thuy nguyen" finds "Phường Thủy Nguyên" and "Thuỷ Nguyên")."""
    words = fold(query).split()
    return [u for u in listed if all(w in f"{fold(u.name)} {u.code}" for w in words)]


def addable_staff(staff: list[User], team: Team) -> list[User]:
    """The lead and inspector accounts not yet on the team (who the "add member" list offers)."""
    on_team = {m.user_id for m in team.members}
    return [u for u in staff if u.id not in on_team]
