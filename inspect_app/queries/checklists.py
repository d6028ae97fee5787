"""Checklist versions as stored: every version ever loaded stays, so old visits render as made."""

from __future__ import annotations

import msgspec

from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import ChecklistVersion
from inspect_app.queries import as_struct, as_structs

COLUMNS = "checklist_id, version_hash, version_label, title, item_count, max_points, first_loaded_at"


async def ensure_version(
    tx: Tx, *, checklist_id: str, version_hash: str, version_label: str, title: str, item_count: int,
    max_points: float, content_json: bytes, source_path: str, published_by: int | None = None,
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
        " max_points, content_json, source_path, first_loaded_at, published_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (checklist_id, version_hash, version_label, title, item_count, max_points, content_json,
         source_path, utc_now(), published_by),
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


async def latest_versions(db: Database | Tx) -> list[tuple[str, str, bytes]]:
    """(checklist id, version hash, content) of the latest published version of every checklist."""
    rows = await db.fetch_all(
        "SELECT checklist_id, version_hash, content_json FROM checklist_versions v"
        " WHERE id = (SELECT max(id) FROM checklist_versions w WHERE w.checklist_id = v.checklist_id)"
        " ORDER BY checklist_id"
    )
    return [(r["checklist_id"], r["version_hash"], bytes(r["content_json"])) for r in rows]


async def generation(db: Database | Tx) -> int:
    """A number that changes whenever a version is added (any process's publish): the newest version's id."""
    row = await db.lookup("SELECT max(id) FROM checklist_versions")
    return (row[0] or 0) if row else 0


# -- drafts (migration 0006): a checklist being edited in the browser, never offered to a visit

DRAFT_COLUMNS = ("d.id, d.checklist_id, d.base_version, d.content_json, d.version, d.created_at, d.updated_at,"
                 " coalesce(u.full_name, '') AS updated_by_name")


class DraftRow(msgspec.Struct, frozen=True):
    id: int
    checklist_id: str
    base_version: str
    content_json: bytes
    version: int
    created_at: str
    updated_at: str
    updated_by_name: str


async def list_drafts(db: Database | Tx, checklist_id: str) -> list[DraftRow]:
    rows = await db.fetch_all(
        f"SELECT {DRAFT_COLUMNS} FROM checklist_drafts d LEFT JOIN users u ON u.id = d.updated_by"
        " WHERE d.checklist_id = ? ORDER BY d.id DESC", (checklist_id,))
    return [_draft(r) for r in rows]


async def get_draft(db: Database | Tx, draft_id: int) -> DraftRow | None:
    row = await db.fetch_one(
        f"SELECT {DRAFT_COLUMNS} FROM checklist_drafts d LEFT JOIN users u ON u.id = d.updated_by"
        " WHERE d.id = ?", (draft_id,))
    return _draft(row) if row else None


def _draft(row) -> DraftRow:
    data = dict(row)
    data["content_json"] = bytes(data["content_json"])
    return msgspec.convert(data, DraftRow)


async def insert_draft(tx: Tx, *, checklist_id: str, base_version: str, content_json: bytes, user_id: int) -> int:
    now = utc_now()
    return await tx.execute(
        "INSERT INTO checklist_drafts (checklist_id, base_version, content_json, version, created_at, created_by,"
        " updated_at, updated_by) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
        (checklist_id, base_version, content_json, now, user_id, now, user_id))


async def update_draft(tx: Tx, draft_id: int, base: int, content_json: bytes, user_id: int) -> bool:
    """Replace the draft's content if it is still at version `base`; False when someone saved in between."""
    changed = await tx.execute_rowcount(
        "UPDATE checklist_drafts SET content_json = ?, version = version + 1, updated_at = ?, updated_by = ?"
        " WHERE id = ? AND version = ?", (content_json, utc_now(), user_id, draft_id, base))
    return changed == 1


async def delete_draft(tx: Tx, draft_id: int) -> None:
    await tx.execute("DELETE FROM checklist_drafts WHERE id = ?", (draft_id,))
