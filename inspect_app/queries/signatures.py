"""Signatures of a visit's minutes drawn on the tablet (append-only; a party's latest one counts)."""

from __future__ import annotations

import msgspec

from inspect_app.db import Database, Tx
from inspect_app.queries import as_structs


class SignatureRow(msgspec.Struct, frozen=True):
    id: int
    visit_id: int
    party: str
    name: str
    position: str
    signed_at: str
    signed_by: int
    content_sha256: str
    png_sha256: str
    png_path: str
    reason: str


COLUMNS = ("id, visit_id, party, name, position, signed_at, signed_by, content_sha256, png_sha256, png_path,"
           " reason")


async def latest_per_party(db: Database | Tx, visit_id: int) -> list[SignatureRow]:
    """Each party's latest signature of the visit, lead first."""
    rows = await db.fetch_all(
        f"SELECT {COLUMNS} FROM visit_signatures s WHERE visit_id = ? AND id = (SELECT MAX(id)"
        " FROM visit_signatures t WHERE t.visit_id = s.visit_id AND t.party = s.party) ORDER BY party",
        (visit_id,))
    return as_structs(SignatureRow, rows)


async def has_signed(tx: Tx, visit_id: int, party: str) -> bool:
    return await tx.fetch_one("SELECT 1 FROM visit_signatures WHERE visit_id = ? AND party = ? LIMIT 1",
                              (visit_id, party)) is not None


async def insert(tx: Tx, *, visit_id: int, party: str, name: str, position: str, at: str, user_id: int,
                 content_sha256: str, png_sha256: str, png_path: str, reason: str) -> int:
    return await tx.execute(
        "INSERT INTO visit_signatures (visit_id, party, name, position, signed_at, signed_by, content_sha256,"
        " png_sha256, png_path, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (visit_id, party, name, position, at, user_id, content_sha256, png_sha256, png_path, reason))
