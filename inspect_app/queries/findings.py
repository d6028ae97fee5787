"""Findings and their history."""

from __future__ import annotations

import msgspec

from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import Finding
from inspect_app.queries import as_struct, as_structs

FINDING_SELECT = (
    "SELECT f.id, f.visit_id, f.item_code, f.answer_json, f.points, f.note, f.version, f.updated_at,"
    " f.updated_by, u.full_name AS updated_by_name FROM findings f JOIN users u ON u.id = f.updated_by"
)


async def list_findings(db: Database | Tx, visit_id: int) -> list[Finding]:
    return as_structs(Finding, await db.fetch_all(FINDING_SELECT + " WHERE f.visit_id = ? ORDER BY f.id", (visit_id,)))


async def get_finding(db: Database | Tx, visit_id: int, item_code: str) -> Finding | None:
    row = await db.fetch_one(FINDING_SELECT + " WHERE f.visit_id = ? AND f.item_code = ?", (visit_id, item_code))
    return as_struct(Finding, row) if row else None


async def get_finding_by_id(db: Database | Tx, finding_id: int) -> Finding | None:
    row = await db.fetch_one(FINDING_SELECT + " WHERE f.id = ?", (finding_id,))
    return as_struct(Finding, row) if row else None


class SaveState(msgspec.Struct, frozen=True):
    """What a finding save decides on, read in one statement inside its transaction."""

    status: str
    checklist_version: str
    unit_answer_json: str | None  # the unit's answer once its self-assessment is submitted
    current: Finding | None


async def save_state(tx: Database | Tx, visit_id: int, item_code: str) -> SaveState:
    row = await tx.fetch_one(
        "SELECT v.status, v.checklist_version, (SELECT a.answer_json FROM self_assessments s"
        " JOIN self_answers a ON a.assessment_id = s.id WHERE s.visit_id = v.id AND s.status = 'submitted'"
        " AND a.item_code = ?) AS unit_answer_json, f.id, f.answer_json, f.points, f.note, f.version,"
        " f.updated_at, f.updated_by, u.full_name AS updated_by_name"
        " FROM visits v LEFT JOIN findings f ON f.visit_id = v.id AND f.item_code = ?"
        " LEFT JOIN users u ON u.id = f.updated_by WHERE v.id = ?",
        (item_code, item_code, visit_id))
    current = None if row["id"] is None else Finding(
        id=row["id"], visit_id=visit_id, item_code=item_code, answer_json=row["answer_json"], points=row["points"],
        note=row["note"], version=row["version"], updated_at=row["updated_at"], updated_by=row["updated_by"],
        updated_by_name=row["updated_by_name"])
    return SaveState(row["status"], row["checklist_version"], row["unit_answer_json"], current)


async def insert_finding(tx: Tx, *, visit_id: int, item_code: str, answer_json: str, points: float | None,
                         note: str, user_id: int, now: str | None = None) -> int:
    now = now or utc_now()
    finding_id = await tx.execute(
        "INSERT INTO findings (visit_id, item_code, answer_json, points, note, version, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
        (visit_id, item_code, answer_json, points, note, now, user_id),
    )
    await tx.execute(
        "INSERT INTO finding_history (finding_id, version, answer_json, points, note, saved_at, saved_by)"
        " VALUES (?, 1, ?, ?, ?, ?, ?)",
        (finding_id, answer_json, points, note, now, user_id),
    )
    return finding_id


async def update_finding(tx: Tx, *, finding_id: int, new_version: int, answer_json: str, points: float | None,
                         note: str, user_id: int, reason: str = "", now: str | None = None) -> None:
    """Write the history row first: after sign-off, the trigger admits the update only if the
    history row with its amendment reason is already there."""
    now = now or utc_now()
    await tx.execute(
        "INSERT INTO finding_history (finding_id, version, answer_json, points, note, saved_at, saved_by, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (finding_id, new_version, answer_json, points, note, now, user_id, reason),
    )
    await tx.execute(
        "UPDATE findings SET answer_json = ?, points = ?, note = ?, version = ?, updated_at = ?, updated_by = ?"
        " WHERE id = ?",
        (answer_json, points, note, new_version, now, user_id, finding_id),
    )


async def history(db: Database, finding_id: int) -> list:
    return await db.fetch_all(
        "SELECT h.*, u.full_name AS saved_by_name FROM finding_history h JOIN users u ON u.id = h.saved_by"
        " WHERE h.finding_id = ? ORDER BY h.version DESC",
        (finding_id,),
    )
