"""The one protocol for writes a flaky network may repeat (../shared/reliability.md).

The client sends an `Idempotency-Key` per change. The first request with a key stores its response in
the same transaction as the change; a repeat with the same key and the same content gets that stored
response back (nothing is written again); the same key with other content is a 409. Every write that
takes a key — findings, self-assessment answers, evidence uploads — goes through `require_key`,
`replay` and `remember`.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

import msgspec

from inspect_app.db import Database, Tx
from inspect_app.queries import idempotency as q
from inspect_app.services.errors import Refused

MAX_KEY = 100
T = TypeVar("T")


def request_hash(*parts: Any) -> str:
    """sha256 of the canonical request: what a repeat must match to be 'the same request'."""
    return hashlib.sha256(msgspec.json.encode(parts, order="sorted")).hexdigest()


def require_key(key: str | None) -> str:
    if not key or len(key) > MAX_KEY:
        raise Refused(400, "idempotency_key_required",
                      f"Thiếu khóa Idempotency-Key (tối đa {MAX_KEY} ký tự) cho lần lưu này.")
    return key


async def replay(db: Database | Tx, user_id: int, key: str, payload_hash: str, type_: type[T]) -> T | None:
    """The stored response of an earlier request with this key, or None if the key is new.

    Read again inside the write's transaction: a parallel repeat may have won the race meanwhile."""
    prior = await q.get(db, user_id, key)
    if prior is None:
        return None
    if prior["request_hash"] != payload_hash:
        raise Refused(409, "idempotency_key_reused", "Khóa Idempotency-Key này đã được dùng cho một nội dung khác.")
    return msgspec.json.decode(prior["response_json"], type=type_)


async def remember(tx: Tx, user_id: int, key: str, payload_hash: str, response: Any, status_code: int = 200) -> None:
    """Store the response in the write's own transaction: the change and its key commit together."""
    await q.put(tx, user_id, key, payload_hash, status_code, msgspec.json.encode(response).decode())
