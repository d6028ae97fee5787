"""Findings, their history, and the idempotency keys of repeated writes."""

from __future__ import annotations

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


async def insert_finding(tx: Tx, *, visit_id: int, item_code: str, answer_json: str, points: float | None,
                         note: str, user_id: int) -> int:
    now = utc_now()
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
                         note: str, user_id: int, reason: str = "") -> None:
    """Write the history row first: after sign-off, the trigger admits the update only if the
    history row with its amendment reason is already there."""
    now = utc_now()
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
