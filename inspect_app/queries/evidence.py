"""Evidence files (tài liệu kiểm chứng): the team's for findings, the unit's for its self-assessment
and remediation answers."""

from __future__ import annotations

from typing import Any

from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import Evidence
from inspect_app.queries import as_struct, as_structs

COLUMNS = ("id, visit_id, finding_id, self_answer_id, item_code, sha256, media_type, kind, original_name, size_bytes, width,"
           " height, captured_at, metadata_json, caption, uploaded_by, uploaded_at, deleted_at")


async def list_for_visit(db: Database | Tx, visit_id: int) -> list[Evidence]:
    return as_structs(Evidence, await db.fetch_all(
        f"SELECT {COLUMNS} FROM evidence_files WHERE visit_id = ? AND finding_id IS NOT NULL AND deleted_at IS NULL"
        " ORDER BY id", (visit_id,)))


async def list_for_item(db: Database | Tx, visit_id: int, item_code: str) -> list[Evidence]:
    return as_structs(Evidence, await db.fetch_all(
        f"SELECT {COLUMNS} FROM evidence_files WHERE visit_id = ? AND item_code = ? AND finding_id IS NOT NULL"
        " AND deleted_at IS NULL ORDER BY id", (visit_id, item_code)))


async def list_for_assessment(db: Database | Tx, assessment_id: int) -> list[Evidence]:
    """The unit's evidence for every answer of a self-assessment, in one query."""
    # the item as the answer names it (the file row carries the same code)
    columns = ", ".join("a.item_code" if c.strip() == "item_code" else f"e.{c.strip()}" for c in COLUMNS.split(","))
    return as_structs(Evidence, await db.fetch_all(
        f"SELECT {columns} FROM evidence_files e JOIN self_answers a ON a.id = e.self_answer_id"
        " WHERE a.assessment_id = ? AND e.deleted_at IS NULL ORDER BY e.id", (assessment_id,)))


async def get_evidence(db: Database | Tx, evidence_id: int) -> Evidence | None:
    row = await db.fetch_one(f"SELECT {COLUMNS} FROM evidence_files WHERE id = ?", (evidence_id,))
    return as_struct(Evidence, row) if row else None


# What every stored file records, whatever it documents (services.evidence.StoredEvidence as uploaded).
FILE_COLUMNS = ("sha256", "media_type", "kind", "original_name", "size_bytes", "width", "height", "captured_at",
                "metadata_json")


async def _insert_file(tx: Tx, owner: dict[str, Any], file: dict[str, Any], user_id: int) -> int:
    """One evidence row: what it documents (`owner`), the stored file's columns, who uploaded it and when."""
    if set(file) != set(FILE_COLUMNS):  # what a signature would check: every file column, nothing else
        raise TypeError(f"evidence file columns: expected {sorted(FILE_COLUMNS)}, got {sorted(file)}")
    values = {**owner, **{column: file[column] for column in FILE_COLUMNS}, "uploaded_by": user_id,
              "uploaded_at": utc_now()}
    return await tx.execute(
        f"INSERT INTO evidence_files ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
        tuple(values.values()))


async def insert_evidence(tx: Tx, *, visit_id: int, finding_id: int, item_code: str, caption: str, user_id: int,
                          **file: Any) -> int:
    """A file documenting the team's finding on one item (`file`: the FILE_COLUMNS)."""
    return await _insert_file(
        tx, {"visit_id": visit_id, "finding_id": finding_id, "item_code": item_code, "caption": caption}, file, user_id)


async def insert_response_evidence(tx: Tx, *, visit_id: int, response_id: int, user_id: int, **file: Any) -> int:
    """A file sent with a unit's remediation answer (`file`: the FILE_COLUMNS)."""
    return await _insert_file(tx, {"visit_id": visit_id, "response_id": response_id}, file, user_id)


async def insert_self_evidence(tx: Tx, *, visit_id: int, self_answer_id: int, item_code: str, user_id: int,
                               **file: Any) -> int:
    """A file the unit attaches to its own self-assessment answer (`file`: the FILE_COLUMNS)."""
    return await _insert_file(
        tx, {"visit_id": visit_id, "self_answer_id": self_answer_id, "item_code": item_code}, file, user_id)


async def set_caption(tx: Tx, evidence_id: int, caption: str) -> None:
    await tx.execute("UPDATE evidence_files SET caption = ? WHERE id = ?", (caption, evidence_id))


async def soft_delete(tx: Tx, evidence_id: int) -> None:
    await tx.execute("UPDATE evidence_files SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                     (utc_now(), evidence_id))


async def count_by_item(db: Database | Tx, visit_id: int) -> dict[str, int]:
    rows = await db.fetch_all(
        "SELECT item_code, count(*) AS n FROM evidence_files WHERE visit_id = ? AND finding_id IS NOT NULL"
        " AND deleted_at IS NULL GROUP BY item_code", (visit_id,))
    return {r["item_code"]: r["n"] for r in rows}
