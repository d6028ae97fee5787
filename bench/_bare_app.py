"""The baseline for bench/finding_save.py: the least a durable JSON save can cost on this stack.

One PUT endpoint on the same path as the app's finding save. It parses the same JSON body into a
msgspec Struct (Litestar's own body parsing, as the app does) and does ONE SQLite insert + commit
with the app's durability settings: aiosqlite, WAL, synchronous=FULL, `BEGIN IMMEDIATE` under an
asyncio lock. No auth, no middleware, no reads. It answers a small JSON with `version` =
base_version + 1, so the load generator treats both servers identically.

Served by `uvicorn --app-dir bench _bare_app:app` with BARE_DB=<path to a fresh SQLite file>.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import aiosqlite
import msgspec
from litestar import Litestar, get, put
from litestar.datastructures import State
from litestar.params import Parameter


class FindingIn(msgspec.Struct, forbid_unknown_fields=True):
    answer: Any = None
    na: bool = False
    note: str = ""
    base_version: int = 0
    amend_reason: str = ""


class Saved(msgspec.Struct):
    id: int
    version: int


SCHEMA = (
    "CREATE TABLE IF NOT EXISTS saves (id INTEGER PRIMARY KEY, visit_id INTEGER NOT NULL, item_code TEXT NOT NULL,"
    " answer_json TEXT NOT NULL, note TEXT NOT NULL, version INTEGER NOT NULL, idempotency_key TEXT NOT NULL,"
    " saved_at TEXT NOT NULL)"
)


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    path = os.environ["BARE_DB"]
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode = WAL")  # a property of the file, as the app's migrate() sets it
    setup.execute(SCHEMA)
    setup.close()
    conn = await aiosqlite.connect(path, isolation_level=None)
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA busy_timeout = 10000")
    await conn.execute("PRAGMA synchronous = FULL")
    app.state.conn = conn
    app.state.lock = asyncio.Lock()
    try:
        yield
    finally:
        await conn.close()


@get("/healthz")
async def healthz() -> str:
    return "ok"


@put("/api/v1/visits/{visit_id:int}/findings/{item_code:str}")
async def save(state: State, visit_id: int, item_code: str, data: FindingIn,
               idempotency_key: Annotated[str, Parameter(header="Idempotency-Key")]) -> Saved:
    answer_json = msgspec.json.encode(data.answer).decode()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    conn: aiosqlite.Connection = state.conn
    async with state.lock:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            cur = await conn.execute(
                "INSERT INTO saves (visit_id, item_code, answer_json, note, version, idempotency_key, saved_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (visit_id, item_code, answer_json, data.note, data.base_version + 1, idempotency_key, now))
            row_id = cur.lastrowid or 0
            await cur.close()
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
    return Saved(id=row_id, version=data.base_version + 1)


app = Litestar(route_handlers=[healthz, save], lifespan=[lifespan])


if __name__ == "__main__":  # `make bench` runs every bench/*.py; this one is only a helper
    print("bench/_bare_app.py is the baseline server of bench/finding_save.py; nothing to run on its own.")
