"""Check-ins: where and when a team started a visit (append-only; the latest one counts)."""

from __future__ import annotations

import msgspec

from inspect_app.db import Database, Tx
from inspect_app.queries import as_struct


class CheckinRow(msgspec.Struct, frozen=True):
    id: int
    visit_id: int
    recorded_at: str
    recorded_by: int
    recorded_by_name: str
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    declined: bool
    reason: str


SELECT = ("SELECT c.id, c.visit_id, c.recorded_at, c.recorded_by, u.full_name AS recorded_by_name, c.lat, c.lon,"
          " c.accuracy_m, c.declined, c.reason FROM visit_checkins c JOIN users u ON u.id = c.recorded_by")


async def latest(db: Database | Tx, visit_id: int) -> CheckinRow | None:
    row = await db.fetch_one(SELECT + " WHERE c.visit_id = ? ORDER BY c.id DESC LIMIT 1", (visit_id,))
    return as_struct(CheckinRow, row) if row else None


async def insert(tx: Tx, *, visit_id: int, user_id: int, at: str, lat: float | None, lon: float | None,
                 accuracy_m: float | None, declined: bool, reason: str) -> int:
    return await tx.execute(
        "INSERT INTO visit_checkins (visit_id, recorded_at, recorded_by, lat, lon, accuracy_m, declined, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (visit_id, at, user_id, lat, lon, accuracy_m, int(declined), reason))
