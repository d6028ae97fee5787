"""Remediation items (kiến nghị khắc phục) and the unit's answers."""

from __future__ import annotations

from inspect_app.db import Database


async def count_by_status(db: Database, *, unit_code: str | None = None) -> dict[str, int]:
    sql = "SELECT status, count(*) AS n FROM remediation_items"
    params: tuple = ()
    if unit_code is not None:
        sql += " WHERE unit_code = ?"
        params = (unit_code,)
    return {r["status"]: r["n"] for r in await db.fetch_all(sql + " GROUP BY status", params)}
