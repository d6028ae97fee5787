"""Post/redirect/get notes by token (web/flash.py)."""

from __future__ import annotations

from inspect_app.db import Database, Tx


async def get(db: Database | Tx, token: str, user_id: int, now: str) -> bytes | None:
    """The note's body, if it is the user's and has not expired."""
    row = await db.lookup(
        "SELECT body_json FROM flash_notes WHERE token = ? AND user_id = ? AND expires_at > ?",
        (token, user_id, now))
    if row is None:
        return None
    body = row[0]
    return body.encode() if isinstance(body, str) else bytes(body)


async def put(tx: Tx, token: str, user_id: int, expires_at: str, body: str, *, now: str, limit: int,
              per_user: int) -> None:
    """Add a note, first dropping the expired ones, then the oldest beyond `limit` notes in all and the
    user's oldest beyond `per_user` (this one included)."""
    await tx.execute("DELETE FROM flash_notes WHERE expires_at <= ?", (now,))
    await tx.execute(
        "DELETE FROM flash_notes WHERE user_id = ? AND token NOT IN (SELECT token FROM flash_notes"
        " WHERE user_id = ? ORDER BY expires_at DESC LIMIT ?)", (user_id, user_id, max(0, per_user - 1)))
    row = await tx.fetch_one("SELECT count(*) FROM flash_notes")
    if row[0] >= limit:
        await tx.execute(
            "DELETE FROM flash_notes WHERE token IN (SELECT token FROM flash_notes ORDER BY expires_at LIMIT ?)",
            (row[0] - limit + 1,))
    await tx.execute("INSERT INTO flash_notes (token, user_id, expires_at, body_json) VALUES (?, ?, ?, ?)",
                     (token, user_id, expires_at, body))
