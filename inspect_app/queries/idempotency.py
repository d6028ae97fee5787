"""Idempotency keys of writes a flaky network may repeat (one row per user and key)."""

from __future__ import annotations

from inspect_app.db import Database, Tx, utc_now


async def get(db: Database | Tx, user_id: int, key: str):
    return await db.fetch_one(
        "SELECT request_hash, status_code, response_json FROM idempotency_keys WHERE user_id = ? AND key = ?",
        (user_id, key),
    )


async def put(tx: Tx, user_id: int, key: str, request_hash: str, status_code: int, response_json: str) -> None:
    await tx.execute(
        "INSERT INTO idempotency_keys (key, user_id, request_hash, status_code, response_json, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (key, user_id, request_hash, status_code, response_json, utc_now()),
    )
