"""Self-assessments (tự đánh giá): one per visit, its answers, and their evidence."""

from __future__ import annotations

import msgspec

from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import ItemAnswer
from inspect_app.queries import as_struct, as_structs


class Assessment(msgspec.Struct, frozen=True):
    id: int
    visit_id: int
    deadline: str | None
    status: str
    created_at: str
    submitted_at: str | None


class SelfAnswer(ItemAnswer, frozen=True, kw_only=True):
    """A unit's current answer to one item of its self-assessment."""

    assessment_id: int


COLUMNS = "id, visit_id, deadline, status, created_at, submitted_at"
ANSWER_SELECT = ("SELECT a.id, a.assessment_id, a.item_code, a.answer_json, a.points, a.note, a.version, a.updated_at,"
                 " u.full_name AS updated_by_name FROM self_answers a JOIN users u ON u.id = a.updated_by")


async def get_for_visit(db: Database | Tx, visit_id: int) -> Assessment | None:
    row = await db.fetch_one(f"SELECT {COLUMNS} FROM self_assessments WHERE visit_id = ?", (visit_id,))
    return as_struct(Assessment, row) if row else None


async def list_for_plan(db: Database, plan_id: int) -> list:
    """(visit id, unit name, unit code, visit status, assessment or None) for every visit of the plan."""
    return await db.fetch_all(
        "SELECT v.id AS visit_id, u.name AS unit_name, u.code AS unit_code, v.status AS visit_status,"
        " v.checklist_id, v.checklist_version,"
        " s.id AS assessment_id, s.status, s.deadline, s.submitted_at FROM visits v JOIN units u ON u.code = v.unit_code"
        " LEFT JOIN self_assessments s ON s.visit_id = v.id WHERE v.plan_id = ? ORDER BY u.name", (plan_id,))


async def pending_with_deadline(db: Database) -> list:
    """Open (draft) self-assessments that have a deadline: what reminders chase."""
    return await db.fetch_all(
        "SELECT s.id, s.visit_id AS visit_id, s.deadline, v.unit_code, u.name AS unit_name FROM self_assessments s"
        " JOIN visits v ON v.id = s.visit_id JOIN units u ON u.code = v.unit_code"
        " WHERE s.status = 'draft' AND s.deadline IS NOT NULL ORDER BY s.deadline")


async def insert(tx: Tx, visit_id: int, deadline: str | None, user_id: int) -> int:
    return await tx.execute(
        "INSERT INTO self_assessments (visit_id, deadline, opened_by, created_at) VALUES (?, ?, ?, ?)",
        (visit_id, deadline, user_id, utc_now()))


async def set_deadline(tx: Tx, assessment_id: int, deadline: str) -> None:
    await tx.execute("UPDATE self_assessments SET deadline = ? WHERE id = ?", (deadline, assessment_id))


async def submit(tx: Tx, assessment_id: int, user_id: int) -> None:
    await tx.execute("UPDATE self_assessments SET status = 'submitted', submitted_at = ?, submitted_by = ?"
                     " WHERE id = ? AND status = 'draft'", (utc_now(), user_id, assessment_id))


async def answers(db: Database | Tx, assessment_id: int) -> list[SelfAnswer]:
    return as_structs(SelfAnswer, await db.fetch_all(
        ANSWER_SELECT + " WHERE a.assessment_id = ? ORDER BY a.id", (assessment_id,)))


async def get_answer(db: Database | Tx, assessment_id: int, item_code: str) -> SelfAnswer | None:
    row = await db.fetch_one(ANSWER_SELECT + " WHERE a.assessment_id = ? AND a.item_code = ?",
                             (assessment_id, item_code))
    return as_struct(SelfAnswer, row) if row else None


async def insert_answer(tx: Tx, assessment_id: int, item_code: str, answer_json: str, points: float | None,
                        note: str, user_id: int) -> int:
    return await tx.execute(
        "INSERT INTO self_answers (assessment_id, item_code, answer_json, points, note, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)", (assessment_id, item_code, answer_json, points, note, utc_now(), user_id))


async def update_answer(tx: Tx, answer_id: int, version: int, answer_json: str, points: float | None, note: str,
                        user_id: int) -> None:
    await tx.execute(
        "UPDATE self_answers SET answer_json = ?, points = ?, note = ?, version = ?, updated_at = ?, updated_by = ?"
        " WHERE id = ?", (answer_json, points, note, version, utc_now(), user_id, answer_id))


async def evidence_counts(db: Database | Tx, assessment_id: int) -> dict[str, int]:
    """{item code: number of the unit's evidence files} for one self-assessment."""
    rows = await db.fetch_all(
        "SELECT a.item_code, count(e.id) AS n FROM self_answers a JOIN evidence_files e ON e.self_answer_id = a.id"
        " AND e.deleted_at IS NULL WHERE a.assessment_id = ? GROUP BY a.item_code", (assessment_id,))
    return {r["item_code"]: r["n"] for r in rows}


async def evidence_counts_for_plan(db: Database, plan_id: int) -> dict[int, dict[str, int]]:
    """{visit id: {item code: number of the unit's evidence files}} for every self-assessment of a plan."""
    rows = await db.fetch_all(
        "SELECT s.visit_id, a.item_code, count(e.id) AS n FROM self_assessments s JOIN visits v ON v.id = s.visit_id"
        " JOIN self_answers a ON a.assessment_id = s.id JOIN evidence_files e ON e.self_answer_id = a.id"
        " AND e.deleted_at IS NULL WHERE v.plan_id = ? GROUP BY s.visit_id, a.item_code", (plan_id,))
    counts: dict[int, dict[str, int]] = {}
    for r in rows:
        counts.setdefault(r["visit_id"], {})[r["item_code"]] = r["n"]
    return counts
