"""Writes only the demo seed makes: moving its story back in time (never used by the app itself)."""

from __future__ import annotations

from datetime import date

from inspect_app.db import Database


async def backdate_visit(db: Database, visit_id: int, day: date) -> None:
    """The demo's past visits happened on `day` (08:00–10:30 Vietnam time)."""
    start, end = f"{day.isoformat()}T01:00:00Z", f"{day.isoformat()}T03:30:00Z"
    async with db.transaction() as tx:
        await tx.execute("UPDATE visits SET scheduled_on = ?, started_at = ?, signed_off_at = ? WHERE id = ?",
                         (day.isoformat(), start, end, visit_id))


async def set_deadline(db: Database, item_id: int, deadline: str) -> None:
    async with db.transaction() as tx:
        await tx.execute("UPDATE remediation_items SET deadline = ? WHERE id = ?", (deadline, item_id))
