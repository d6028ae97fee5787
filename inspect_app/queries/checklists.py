"""Checklist versions as stored: every version ever loaded stays, so old visits render as made."""

from __future__ import annotations

from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import ChecklistVersion
from inspect_app.queries import as_struct, as_structs

COLUMNS = "checklist_id, version_hash, version_label, title, item_count, max_points, first_loaded_at"


async def ensure_version(
    tx: Tx, *, checklist_id: str, version_hash: str, version_label: str, title: str, item_count: int,
    max_points: float, content_json: bytes, source_path: str,
) -> bool:
    """Record a version unless known; return True when it is new."""
    row = await tx.fetch_one(
        "SELECT 1 FROM checklist_versions WHERE checklist_id = ? AND version_hash = ?",
        (checklist_id, version_hash),
    )
    if row:
        return False
    await tx.execute(
        "INSERT INTO checklist_versions (checklist_id, version_hash, version_label, title, item_count,"
        " max_points, content_json, source_path, first_loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (checklist_id, version_hash, version_label, title, item_count, max_points, content_json,
         source_path, utc_now()),
    )
    return True


async def list_versions(db: Database | Tx, checklist_id: str | None = None) -> list[ChecklistVersion]:
    sql = f"SELECT {COLUMNS} FROM checklist_versions"
    params: tuple = ()
    if checklist_id:
        sql += " WHERE checklist_id = ?"
        params = (checklist_id,)
    return as_structs(ChecklistVersion, await db.fetch_all(sql + " ORDER BY checklist_id, id DESC", params))


async def latest_version(db: Database | Tx, checklist_id: str) -> ChecklistVersion | None:
    row = await db.fetch_one(
        f"SELECT {COLUMNS} FROM checklist_versions WHERE checklist_id = ? ORDER BY id DESC LIMIT 1",
        (checklist_id,),
    )
    return as_struct(ChecklistVersion, row) if row else None


async def get_content(db: Database | Tx, checklist_id: str, version_hash: str) -> bytes | None:
    row = await db.fetch_one(
        "SELECT content_json FROM checklist_versions WHERE checklist_id = ? AND version_hash = ?",
        (checklist_id, version_hash),
    )
    return bytes(row["content_json"]) if row else None


async def visits_per_version(db: Database) -> dict[tuple[str, str], int]:
    rows = await db.fetch_all(
        "SELECT checklist_id, checklist_version, count(*) AS n FROM visits GROUP BY 1, 2"
    )
    return {(r["checklist_id"], r["checklist_version"]): r["n"] for r in rows}
