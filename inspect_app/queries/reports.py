"""Read-only queries behind the documents, exports and the dashboard.

One query per need: a plan's report reads its visits, their findings and the remediation items in
a handful of statements whatever the number of units (no query per row), so it scales to the
3,321 communes of the whole country. Bulk rows are built positionally into Structs: converting
200,000 findings through dicts would cost more than scoring them.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from inspect_app.db import Database
from inspect_app.models import Plan
from inspect_app.queries import as_struct, as_structs, where_clause

SIGNED = ("signed_off", "amended")
_SIGNED_SQL = "('signed_off', 'amended')"


class PlanRecord(Plan, frozen=True):
    """A plan with the name of its province, as the documents print it."""

    province_name: str | None = None


class VisitRecord(msgspec.Struct, frozen=True):
    """Everything the minutes and the conclusion notice print about one visit."""

    id: int
    plan_id: int
    unit_code: str
    unit_name: str
    unit_kind: str
    province_name: str
    team_id: int
    team_name: str
    team_decision_number: str
    team_decision_date: str | None
    scheduled_on: str
    kind: str
    checklist_id: str
    checklist_version: str
    status: str
    started_at: str | None
    signed_off_at: str | None
    signed_off_by_name: str | None
    remarks: str
    unit_representative: str


class MemberRecord(msgspec.Struct, frozen=True):
    full_name: str
    title: str
    role: str


class VisitFact(msgspec.Struct, frozen=True, array_like=True):
    """One visit of a plan, as the consolidated report and the dashboard need it."""

    id: int
    plan_id: int
    unit_code: str
    unit_name: str
    unit_kind: str
    province_code: str
    province_name: str
    status: str
    scheduled_on: str
    checklist_id: str
    checklist_version: str
    signed_off_at: str | None
    plan_number: str = ""


class FindingFact(msgspec.Struct, frozen=True, array_like=True):
    visit_id: int
    item_code: str
    answer_json: str
    note: str


class VisitAnswers(msgspec.Struct, frozen=True, array_like=True):
    visit_id: int
    answers_json: str  # {item code: answer}


class RemediationFact(msgspec.Struct, frozen=True, array_like=True):
    id: int
    visit_id: int
    unit_code: str
    unit_name: str
    item_code: str
    text: str
    deadline: str
    status: str
    closed_at: str | None


class PlanProgressRow(msgspec.Struct, frozen=True, array_like=True):
    plan_id: int
    number: str
    title: str
    issued_on: str
    status: str
    n: int


PLAN_SELECT = (
    "SELECT p.id, p.number, p.issued_on, p.issuer, p.title, p.legal_basis, p.period_start, p.period_end,"
    " p.province_code, pr.name AS province_name FROM plans p LEFT JOIN provinces pr ON pr.code = p.province_code"
)
VISIT_FACT_SELECT = (
    "SELECT v.id, v.plan_id, v.unit_code, u.name, u.kind, u.province_code, pr.name, v.status, v.scheduled_on,"
    " v.checklist_id, v.checklist_version, v.signed_off_at, p.number"
    " FROM visits v JOIN units u ON u.code = v.unit_code JOIN provinces pr ON pr.code = u.province_code"
    " JOIN plans p ON p.id = v.plan_id"
)


def _facts(kind: type, rows: Iterable) -> list:
    return [kind(*row) for row in rows]


def _unit_filters(province: str, kind: str) -> tuple[str, list]:
    return where_clause(("u.province_code = ?", province) if province else None,
                        ("u.kind = ?", kind) if kind else None, prefix=" AND ")


async def plan_record(db: Database, plan_id: int) -> PlanRecord | None:
    row = await db.fetch_one(PLAN_SELECT + " WHERE p.id = ?", (plan_id,))
    return as_struct(PlanRecord, row) if row else None


async def plans_overlapping(db: Database, start: str, end: str) -> list[PlanRecord]:
    """Plans whose inspection period meets [start, end] (the periodic report's plans)."""
    return as_structs(PlanRecord, await db.fetch_all(
        PLAN_SELECT + " WHERE p.period_start <= ? AND p.period_end >= ? ORDER BY p.issued_on, p.id", (end, start)))


async def visit_record(db: Database, visit_id: int) -> VisitRecord | None:
    row = await db.fetch_one(
        "SELECT v.id, v.plan_id, v.unit_code, u.name AS unit_name, u.kind AS unit_kind, pr.name AS province_name,"
        " v.team_id, t.name AS team_name, t.decision_number AS team_decision_number,"
        " t.decision_date AS team_decision_date, v.scheduled_on, v.kind, v.checklist_id, v.checklist_version,"
        " v.status, v.started_at, v.signed_off_at, s.full_name AS signed_off_by_name, v.remarks,"
        " v.unit_representative FROM visits v JOIN units u ON u.code = v.unit_code"
        " JOIN provinces pr ON pr.code = u.province_code JOIN teams t ON t.id = v.team_id"
        " LEFT JOIN users s ON s.id = v.signed_off_by WHERE v.id = ?", (visit_id,))
    return as_struct(VisitRecord, row) if row else None


async def team_members(db: Database, team_id: int) -> list[MemberRecord]:
    """The team in the order a document lists it: lead, deputy, members, secretary."""
    return as_structs(MemberRecord, await db.fetch_all(
        "SELECT u.full_name, u.title, m.role FROM team_members m JOIN users u ON u.id = m.user_id"
        " WHERE m.team_id = ? ORDER BY CASE m.role WHEN 'truong_doan' THEN 0 WHEN 'pho_doan' THEN 1"
        " WHEN 'thu_ky' THEN 3 ELSE 2 END, u.full_name", (team_id,)))


async def visit_remediation(db: Database, visit_id: int) -> list[RemediationFact]:
    return _facts(RemediationFact, await db.fetch_all(
        "SELECT r.id, r.visit_id, r.unit_code, u.name, r.item_code, r.text, r.deadline, r.status, r.closed_at"
        " FROM remediation_items r JOIN units u ON u.code = r.unit_code WHERE r.visit_id = ?"
        " ORDER BY r.deadline, r.id", (visit_id,)))


async def plan_visits(db: Database, plan_id: int, *, province: str = "", kind: str = "") -> list[VisitFact]:
    """Every visit of the plan (any status), optionally for one province or unit kind."""
    where, params = _unit_filters(province, kind)
    return _facts(VisitFact, await db.fetch_all(
        VISIT_FACT_SELECT + " WHERE v.plan_id = ?" + where + " ORDER BY u.name, v.id", [plan_id, *params]))


# Answers come grouped per visit as one JSON object {item code: answer}: 3,321 rows instead of 200,000,
# decoded one visit at a time by the scorer, so a whole-country report never holds every answer at once.
_ANSWERS = "SELECT f.visit_id, json_group_object(f.item_code, json(f.answer_json)) FROM findings f"


async def plan_answers(db: Database, plan_id: int, *, province: str = "", kind: str = "") -> list[VisitAnswers]:
    """The answers of the plan's signed-off visits: the only ones a report scores."""
    where, params = _unit_filters(province, kind)
    return _facts(VisitAnswers, await db.fetch_all(
        _ANSWERS + " JOIN visits v ON v.id = f.visit_id JOIN units u ON u.code = v.unit_code"
        f" WHERE v.plan_id = ? AND v.status IN {_SIGNED_SQL}" + where + " GROUP BY f.visit_id", [plan_id, *params]))


async def plan_self_answers(db: Database, plan_id: int) -> list[VisitAnswers]:
    """The units' submitted self-assessments of the plan's signed-off visits, one JSON object per visit."""
    return _facts(VisitAnswers, await db.fetch_all(
        "SELECT s.visit_id, json_group_object(a.item_code, json(a.answer_json)) FROM self_answers a"
        " JOIN self_assessments s ON s.id = a.assessment_id JOIN visits v ON v.id = s.visit_id"
        f" WHERE s.status = 'submitted' AND v.plan_id = ? AND v.status IN {_SIGNED_SQL} GROUP BY s.visit_id",
        (plan_id,)))


async def visit_self_answers(db: Database, visit_id: int) -> str | None:
    """A visit's submitted self-assessment as one JSON object, or None."""
    row = await db.fetch_one(
        "SELECT json_group_object(a.item_code, json(a.answer_json)) FROM self_answers a"
        " JOIN self_assessments s ON s.id = a.assessment_id WHERE s.visit_id = ? AND s.status = 'submitted'"
        " GROUP BY s.visit_id", (visit_id,))
    return row[0] if row else None


_EARLIER = (
    # For each unit of plan ?1, its latest signed-off visit under another plan issued before ?1.
    " FROM (SELECT v.*, row_number() OVER (PARTITION BY v.unit_code ORDER BY p.issued_on DESC,"
    " v.scheduled_on DESC, v.id DESC) AS rn FROM visits v JOIN plans p ON p.id = v.plan_id"
    f" WHERE v.status IN {_SIGNED_SQL} AND v.plan_id <> ?1"
    " AND (p.issued_on < (SELECT issued_on FROM plans WHERE id = ?1)"
    "      OR (p.issued_on = (SELECT issued_on FROM plans WHERE id = ?1) AND p.id < ?1))"
    " AND v.unit_code IN (SELECT unit_code FROM visits WHERE plan_id = ?1)) e"
)


async def earlier_visits(db: Database, plan_id: int) -> list[VisitFact]:
    """For each unit of the plan, its latest signed-off visit under an earlier plan (if any)."""
    return _facts(VisitFact, await db.fetch_all(
        "SELECT e.id, e.plan_id, e.unit_code, u.name, u.kind, u.province_code, pr.name, e.status, e.scheduled_on,"
        " e.checklist_id, e.checklist_version, e.signed_off_at, p.number" + _EARLIER +
        " JOIN units u ON u.code = e.unit_code JOIN provinces pr ON pr.code = u.province_code"
        " JOIN plans p ON p.id = e.plan_id WHERE e.rn = 1", (plan_id,)))


async def earlier_answers(db: Database, plan_id: int) -> list[VisitAnswers]:
    """The answers of the visits `earlier_visits` returns, in one statement."""
    return _facts(VisitAnswers, await db.fetch_all(
        _ANSWERS + " JOIN (SELECT e.id" + _EARLIER + " WHERE e.rn = 1) x ON x.id = f.visit_id GROUP BY f.visit_id",
        (plan_id,)))


async def plan_remediation(db: Database, plan_ids: list[int]) -> list[RemediationFact]:
    if not plan_ids:
        return []
    marks = ", ".join("?" * len(plan_ids))
    return _facts(RemediationFact, await db.fetch_all(
        "SELECT r.id, r.visit_id, r.unit_code, u.name, r.item_code, r.text, r.deadline, r.status, r.closed_at"
        " FROM remediation_items r JOIN visits v ON v.id = r.visit_id JOIN units u ON u.code = r.unit_code"
        f" WHERE v.plan_id IN ({marks}) ORDER BY u.name, r.deadline, r.id", plan_ids))


async def period_visits(db: Database, start: str, end: str) -> list[VisitFact]:
    """Visits of any plan scheduled in [start, end]."""
    return _facts(VisitFact, await db.fetch_all(
        VISIT_FACT_SELECT + " WHERE v.scheduled_on BETWEEN ? AND ? ORDER BY u.name, v.scheduled_on", (start, end)))


_HISTORY = (
    # Signed-off visits up to `end` of every unit that had a signed-off visit in [start, end]:
    # the period's own visits and the earlier ones a recurring shortcoming is looked up in.
    f" WHERE v.status IN {_SIGNED_SQL} AND v.scheduled_on <= ?2 AND v.unit_code IN"
    f" (SELECT unit_code FROM visits WHERE status IN {_SIGNED_SQL} AND scheduled_on BETWEEN ?1 AND ?2)"
)


async def history_visits(db: Database, start: str, end: str) -> list[VisitFact]:
    return _facts(VisitFact, await db.fetch_all(
        VISIT_FACT_SELECT + _HISTORY + " ORDER BY v.unit_code, v.scheduled_on, v.id", (start, end)))


async def history_answers(db: Database, start: str, end: str) -> list[VisitAnswers]:
    return _facts(VisitAnswers, await db.fetch_all(
        _ANSWERS + " JOIN visits v ON v.id = f.visit_id" + _HISTORY + " GROUP BY f.visit_id", (start, end)))


async def plan_progress(db: Database, *, province: str = "", kind: str = "") -> list[PlanProgressRow]:
    """Visits per plan and status (plans without visits included, with status '' and n 0)."""
    where, params = _unit_filters(province, kind)
    return _facts(PlanProgressRow, await db.fetch_all(
        "SELECT p.id, p.number, p.title, p.issued_on, coalesce(x.status, ''), coalesce(x.n, 0) FROM plans p"
        " LEFT JOIN (SELECT v.plan_id, v.status, count(*) AS n FROM visits v JOIN units u ON u.code = v.unit_code"
        " WHERE 1 = 1" + where + " GROUP BY v.plan_id, v.status) x ON x.plan_id = p.id"
        " ORDER BY p.issued_on DESC, p.id DESC", params))


async def noted_findings(db: Database, plan_id: int) -> list[FindingFact]:
    """Findings of a plan (any visit status) that carry a note: the search scans these."""
    return _facts(FindingFact, await db.fetch_all(
        "SELECT f.visit_id, f.item_code, f.answer_json, f.note FROM findings f JOIN visits v ON v.id = f.visit_id"
        " WHERE v.plan_id = ? AND f.note <> ''", (plan_id,)))


async def lead_plan_ids(db: Database, user_id: int) -> set[int]:
    """Plans in which the user is on a team (a lead may read those plans' reports)."""
    rows = await db.fetch_all("SELECT DISTINCT t.plan_id FROM teams t JOIN team_members m ON m.team_id = t.id"
                              " WHERE m.user_id = ?", (user_id,))
    return {r[0] for r in rows}


async def provinces_in_use(db: Database) -> list[tuple[str, str]]:
    rows = await db.fetch_all("SELECT DISTINCT pr.code, pr.name FROM visits v JOIN units u ON u.code = v.unit_code"
                              " JOIN provinces pr ON pr.code = u.province_code ORDER BY pr.code")
    return [(r[0], r[1]) for r in rows]
