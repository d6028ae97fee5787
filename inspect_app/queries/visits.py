"""Visits (cuộc kiểm tra tại đơn vị), each pinned to a checklist version."""

from __future__ import annotations

from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import Visit
from inspect_app.queries import as_struct, as_structs, where_clause

VISIT_COLUMNS = (
    "v.id, v.plan_id, p.number AS plan_number, v.unit_code, u.name AS unit_name,"
    " u.kind AS unit_kind, v.team_id, t.name AS team_name, v.scheduled_on, v.kind, v.checklist_id,"
    " v.checklist_version, c.title AS checklist_title, v.status"
)
VISIT_FROM = (
    " FROM visits v JOIN plans p ON p.id = v.plan_id JOIN units u ON u.code = v.unit_code"
    " JOIN teams t ON t.id = v.team_id"
    " JOIN checklist_versions c ON c.checklist_id = v.checklist_id AND c.version_hash = v.checklist_version"
)
VISIT_SELECT = "SELECT " + VISIT_COLUMNS + VISIT_FROM


async def list_visits(
    db: Database, *, plan_id: int | None = None, member_user_id: int | None = None,
    unit_code: str | None = None, date_from: str | None = None, status: str | None = None,
    limit: int = 500,
) -> list[Visit]:
    """Visits filtered by plan, by team membership, by unit, from a date and by status."""
    where, params = where_clause(
        ("v.plan_id = ?", plan_id) if plan_id is not None else None,
        ("v.team_id IN (SELECT team_id FROM team_members WHERE user_id = ?)", member_user_id)
        if member_user_id is not None else None,
        ("v.unit_code = ?", unit_code) if unit_code is not None else None,
        ("v.scheduled_on >= ?", date_from) if date_from is not None else None,
        ("v.status = ?", status) if status else None)
    sql = VISIT_SELECT + where
    sql += " ORDER BY v.scheduled_on, u.name LIMIT ?"
    return as_structs(Visit, await db.fetch_all(sql, [*params, limit]))


async def get_visit(db: Database | Tx, visit_id: int) -> Visit | None:
    row = await db.fetch_one(VISIT_SELECT + " WHERE v.id = ?", (visit_id,))
    return as_struct(Visit, row) if row else None


async def get_visit_for_member(db: Database | Tx, visit_id: int, user_id: int) -> tuple[Visit, bool] | None:
    """The visit and whether `user_id` is on its team, in one query."""
    row = await db.lookup(
        "SELECT " + VISIT_COLUMNS + ", EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = v.team_id"
        " AND m.user_id = ?) AS is_member" + VISIT_FROM + " WHERE v.id = ?",
        (user_id, visit_id))
    return (as_struct(Visit, row), bool(row["is_member"])) if row else None


async def find_visit(db: Database | Tx, plan_id: int, unit_code: str) -> int | None:
    row = await db.fetch_one("SELECT id FROM visits WHERE plan_id = ? AND unit_code = ?", (plan_id, unit_code))
    return row["id"] if row else None


async def insert_visit(
    tx: Tx, *, plan_id: int, unit_code: str, team_id: int, scheduled_on: str, checklist_id: str,
    checklist_version: str, created_by: int | None, kind: str = "scheduled",
) -> int:
    return await tx.execute(
        "INSERT INTO visits (plan_id, unit_code, team_id, scheduled_on, kind, checklist_id, checklist_version,"
        " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (plan_id, unit_code, team_id, scheduled_on, kind, checklist_id, checklist_version, utc_now(), created_by),
    )


async def is_team_member(db: Database | Tx, visit_id: int, user_id: int) -> bool:
    row = await db.fetch_one(
        "SELECT 1 FROM visits v JOIN team_members m ON m.team_id = v.team_id WHERE v.id = ? AND m.user_id = ?",
        (visit_id, user_id),
    )
    return row is not None


async def count_by_status(db: Database, plan_id: int | None = None) -> dict[str, int]:
    sql = "SELECT status, count(*) AS n FROM visits"
    params: tuple = ()
    if plan_id is not None:
        sql += " WHERE plan_id = ?"
        params = (plan_id,)
    return {r["status"]: r["n"] for r in await db.fetch_all(sql + " GROUP BY status", params)}


async def signed_off_at(db: Database | Tx, visit_id: int) -> str | None:
    row = await db.fetch_one("SELECT signed_off_at FROM visits WHERE id = ?", (visit_id,))
    return row[0] if row else None


# -- status changes (services/visits.py owns the rules and writes the audit rows)


async def status_of(tx: Database | Tx, visit_id: int) -> tuple[str, str]:
    """(status, pinned checklist version), read inside the writing transaction."""
    row = await tx.fetch_one("SELECT status, checklist_version FROM visits WHERE id = ?", (visit_id,))
    return row[0], row[1]


async def set_started(tx: Tx, visit_id: int, checklist_version: str) -> None:
    await tx.execute("UPDATE visits SET status = 'in_progress', started_at = ?, checklist_version = ?,"
                     " version = version + 1 WHERE id = ?", (utc_now(), checklist_version, visit_id))


async def set_submitted(tx: Tx, visit_id: int, user_id: int) -> None:
    await tx.execute("UPDATE visits SET status = 'submitted', submitted_at = ?, submitted_by = ?,"
                     " version = version + 1 WHERE id = ?", (utc_now(), user_id, visit_id))


async def set_signed_off(tx: Tx, visit_id: int, user_id: int, remarks: str, unit_representative: str) -> None:
    await tx.execute(
        "UPDATE visits SET status = 'signed_off', signed_off_at = ?, signed_off_by = ?, remarks = ?,"
        " unit_representative = ?, version = version + 1 WHERE id = ?",
        (utc_now(), user_id, remarks, unit_representative, visit_id))


async def set_amended(tx: Tx, visit_id: int) -> None:
    await tx.execute("UPDATE visits SET status = 'amended', version = version + 1 WHERE id = ?", (visit_id,))
