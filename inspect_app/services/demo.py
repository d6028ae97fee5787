"""The demo: Hải Phòng's plan 33/KH-UBND, its team, and visits to real wards and communes.

Idempotent: running it again adds nothing that exists already and never resets a password
someone has changed. Dates are set relative to the first run so the home pages show today's
and upcoming visits.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from inspect_app.db import Database
from inspect_app.models import Plan
from inspect_app.queries import audit, plans, units, users, visits
from inspect_app.queries import checklists as checklist_q
from inspect_app.services import demo_history, demo_self_assessment
from inspect_app.services.accounts import create_user
from inspect_app.services.checklist_store import checklist_version
from inspect_app.services.units_import import import_units, shipped_csv

PROVINCE = "31"  # Thành phố Hải Phòng
PLAN_NUMBER = "33/KH-UBND"
TEAM_NAME = "Đoàn kiểm tra số 1"
COMMUNE_CHECKLIST = "cchc-xa"
ONE_STOP_CHECKLIST = "mot-cua-dot-xuat"

STAFF = [
    ("sonoivu", "admin", "Nguyễn Thị Thu Hà", "Chuyên viên Phòng Cải cách hành chính, Sở Nội vụ"),
    ("truongdoan", "lead", "Trần Văn Minh", "Phó Giám đốc Sở Nội vụ"),
    ("kiemtravien", "inspector", "Lê Thị Hồng Nhung", "Chuyên viên Sở Nội vụ"),
]
# (unit code, days from the first run): real Hải Phòng units from QĐ 19/2025/QĐ-TTg.
VISITS = [("11560", 0), ("10525", 0), ("10507", 2), ("11755", 5), ("11824", 9), ("11914", 14)]
# A surprise one-stop inspection open today: where the team takes a dossier sample (issue 17).
SURPRISE_VISITS = [("10573", 0)]  # Phường Trần Nhân Tông
# Visits already made and signed off, and the states their remediation items are walked into.
PAST_VISITS = [
    ("10532", -20, ["accepted", "accepted_late", "returned", "open", "open"]),
    ("11086", -12, ["answered", "overdue", "open", "accepted"]),
    ("11848", -6, ["overdue", "answered", "returned"]),
]
UNIT_OFFICERS = [("Phạm Văn Hùng", "Văn phòng HĐND và UBND"), ("Vũ Thị Lan", "Công chức Văn phòng - Thống kê")]


async def seed_demo(db: Database, password: str, evidence_root: Path, today: date | None = None) -> list[str]:
    """Create what is missing of the demo; return a line per thing created."""
    today = today or date.today()
    created: list[str] = []
    if await units.count_units(db, PROVINCE) == 0:
        inserted, _ = await import_units(db, shipped_csv(), province=PROVINCE, actor="demo")
        created.append(f"{inserted} đơn vị hành chính của Hải Phòng")
    for username, role, full_name, title in STAFF:
        if await users.get_user_by_username(db, username) is None:
            await create_user(db, username=username, role=role, full_name=full_name, title=title, password=password)
            created.append(f"tài khoản {username}")

    versions = {}
    for checklist_id in (COMMUNE_CHECKLIST, ONE_STOP_CHECKLIST):
        versions[checklist_id] = await checklist_q.latest_version(db, checklist_id)
        if versions[checklist_id] is None:
            raise RuntimeError(f"Chưa nạp bộ tiêu chí {checklist_id}: hãy chạy máy chủ hoặc 'inspect-app migrate' trước.")

    plan = await _ensure_plan(db, today, created)
    team_id = await _ensure_team(db, plan, created)
    schedule = ([(code, offset, COMMUNE_CHECKLIST, "scheduled") for code, offset in VISITS]
                + [(code, offset, COMMUNE_CHECKLIST, "scheduled") for code, offset, _ in PAST_VISITS]
                + [(code, offset, ONE_STOP_CHECKLIST, "surprise") for code, offset in SURPRISE_VISITS])
    for index, (code, offset, checklist_id, kind) in enumerate(schedule):
        unit = await units.get_unit(db, code)
        if unit is None:
            raise RuntimeError(f"Đơn vị {code} không có trong danh mục: danh sách mẫu cần cập nhật.")
        if await visits.find_visit(db, plan.id, code) is None:
            async with db.transaction() as tx:
                visit_id = await visits.insert_visit(
                    tx, plan_id=plan.id, unit_code=code, team_id=team_id,
                    scheduled_on=(today + timedelta(days=offset)).isoformat(), checklist_id=checklist_id,
                    checklist_version=versions[checklist_id].version_hash, created_by=None, kind=kind,
                )
                await audit.record(tx, actor_id=None, actor="demo", action="visit.create", subject_type="visit",
                                   subject_id=visit_id, after={"unit_code": code, "plan": PLAN_NUMBER})
            created.append(f"lịch kiểm tra {unit.name}")
        username = f"dv{code}"
        if await users.get_user_by_username(db, username) is None:
            full_name, title = UNIT_OFFICERS[index % len(UNIT_OFFICERS)]
            await create_user(db, username=username, role="unit", unit_code=code, full_name=full_name,
                              title=f"{title}, {unit.name}", password=password,
                              email=f"{username}@demo.sokiemtra.invalid")
            created.append(f"tài khoản {username}")
    for index, (code, offset, states) in enumerate(PAST_VISITS):
        visit = await visits.get_visit(db, await visits.find_visit(db, plan.id, code))
        if visit.status != "planned":
            continue  # already told: the seed never rewrites history
        checklist = await checklist_version(db, visit.checklist_id, visit.checklist_version)
        lead = await users.get_user_by_username(db, "truongdoan")
        inspector = await users.get_user_by_username(db, "kiemtravien")
        admin = await users.get_user_by_username(db, "sonoivu")
        if index == 0:  # the first unit submitted its self-assessment, with evidence, before the visit
            await demo_self_assessment.make_self_assessment(
                db, visit=visit, checklist=checklist, officer=await demo_history.officer(db, code),
                evidence_root=evidence_root, seed=int(code))
        await demo_history.make_history(db, visit=visit, checklist=checklist, lead=lead, inspector=inspector,
                                        evidence_root=evidence_root, visit_day=today + timedelta(days=offset),
                                        seed=int(code), unit_answered=index == 0)
        await demo_history.make_remediation(db, visit=visit, checklist=checklist, lead=lead, admin=admin,
                                            officer=await demo_history.officer(db, code), today=today, plan=states)
        created.append(f"kết quả kiểm tra đã ký duyệt và kiến nghị khắc phục của {visit.unit_name}")
    return created


async def _ensure_plan(db: Database, today: date, created: list[str]) -> Plan:
    issued = today - timedelta(days=45)
    existing = await db_find_plan(db)
    if existing:
        return existing
    plan = Plan(
        id=0, number=PLAN_NUMBER, issued_on=issued.isoformat(), issuer="UBND thành phố Hải Phòng",
        province_code=PROVINCE,
        title=f"Kiểm tra công tác cải cách hành chính năm {today.year} trên địa bàn thành phố Hải Phòng",
        legal_basis=(f"Quyết định số 272/QĐ-UBND ngày {(issued + timedelta(days=10)).strftime('%d/%m/%Y')} của "
                     "Chủ tịch UBND thành phố về việc thành lập Đoàn kiểm tra công tác cải cách hành chính"),
        period_start=(today - timedelta(days=30)).isoformat(), period_end=(today + timedelta(days=60)).isoformat(),
    )
    async with db.transaction() as tx:
        plan_id = await plans.insert_plan(tx, plan, created_by=None)
        await audit.record(tx, actor_id=None, actor="demo", action="plan.create", subject_type="plan",
                           subject_id=plan_id, after={"number": PLAN_NUMBER})
    created.append(f"kế hoạch {PLAN_NUMBER}")
    return await plans.get_plan(db, plan_id)


async def db_find_plan(db: Database) -> Plan | None:
    """The demo plan, whatever day it was first seeded."""
    for plan in await plans.list_plans(db):
        if plan.number == PLAN_NUMBER and plan.province_code == PROVINCE:
            return plan
    return None


async def _ensure_team(db: Database, plan: Plan, created: list[str]) -> int:
    team_id = await plans.find_team(db, plan.id, TEAM_NAME)
    if team_id is None:
        decision_date = (date.fromisoformat(plan.issued_on) + timedelta(days=10)).isoformat()
        async with db.transaction() as tx:
            team_id = await plans.insert_team(tx, plan.id, TEAM_NAME, "272/QĐ-UBND", decision_date)
            for username, role in (("truongdoan", "truong_doan"), ("kiemtravien", "thanh_vien")):
                user = await users.get_user_by_username(tx, username)
                await plans.add_member(tx, team_id, user.id, role)
            await audit.record(tx, actor_id=None, actor="demo", action="team.create", subject_type="team",
                               subject_id=team_id, after={"name": TEAM_NAME, "decision": "272/QĐ-UBND"})
        created.append(TEAM_NAME)
    return team_id
