"""The append-only audit log, hash-chained so that tampering shows."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import AuditEntry
from inspect_app.queries import as_structs

GENESIS = "0" * 64


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


def entry_hash(prev_hash: str, at: str, actor: str, action: str, subject_type: str, subject_id: str,
               before: str | None, after: str | None) -> str:
    """The chain link: sha256 over the previous hash and this entry's fields."""
    payload = msgspec.json.encode([prev_hash, at, actor, action, subject_type, subject_id, before, after])
    return hashlib.sha256(payload).hexdigest()


async def record(
    tx: Tx, *, actor_id: int | None, actor: str, action: str, subject_type: str, subject_id: Any,
    before: Any = None, after: Any = None, ip: str = "",
) -> None:
    """Write one audit entry inside the caller's transaction (so it commits with the change)."""
    last = await tx.fetch_one("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
    prev = last["hash"] if last else GENESIS
    at = utc_now()
    before_json, after_json = _json(before), _json(after)
    digest = entry_hash(prev, at, actor, action, subject_type, str(subject_id), before_json, after_json)
    await tx.execute(
        "INSERT INTO audit_log (at, actor_id, actor, action, subject_type, subject_id, before_json,"
        " after_json, ip, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, actor_id, actor, action, subject_type, str(subject_id), before_json, after_json, ip, prev, digest),
    )


async def list_entries(
    db: Database, *, actor: str = "", action: str = "", subject_type: str = "", since: str = "",
    limit: int = 100, offset: int = 0,
) -> list[AuditEntry]:
    where, params = [], []
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if action:
        where.append("action LIKE ?")
        params.append(action.replace("%", "") + "%")
    if subject_type:
        where.append("subject_type = ?")
        params.append(subject_type)
    if since:
        where.append("at >= ?")
        params.append(since)
    sql = "SELECT * FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
    return as_structs(AuditEntry, await db.fetch_all(sql, [*params, limit, offset]))


async def distinct_values(db: Database) -> tuple[list[str], list[str]]:
    """Actors and subject types present in the log (for filter menus)."""
    actors = [r[0] for r in await db.fetch_all("SELECT DISTINCT actor FROM audit_log ORDER BY actor")]
    types = [r[0] for r in await db.fetch_all("SELECT DISTINCT subject_type FROM audit_log ORDER BY 1")]
    return actors, types


async def verify_chain(db: Database) -> int | None:
    """Return the id of the first entry whose hash does not match, or None if the chain holds."""
    prev = GENESIS
    for row in await db.fetch_all("SELECT * FROM audit_log ORDER BY id"):
        expected = entry_hash(prev, row["at"], row["actor"], row["action"], row["subject_type"],
                              row["subject_id"], row["before_json"], row["after_json"])
        if row["prev_hash"] != prev or row["hash"] != expected:
            return row["id"]
        prev = row["hash"]
    return None
