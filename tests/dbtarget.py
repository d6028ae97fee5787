"""Which database the suite runs on: a SQLite file per test (the default) or, with
INSPECT_TEST_DATABASE_URL=postgresql://…/postgres set (`.ci/postgres start` prints it), a PostgreSQL
database per test, cloned from the seeded demo database (CREATE DATABASE … TEMPLATE).

Tests that look into the database themselves use `sql(settings, "SELECT … WHERE x = ?", value)`,
which runs on whichever backend the settings point at.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

PG_URL = os.environ.get("INSPECT_TEST_DATABASE_URL", "")
ON_POSTGRES = bool(PG_URL)
_counter = itertools.count(1)
_created: list[str] = []
SEED = ""  # the seeded demo database's name (set by conftest's seeded_db)


def _run(coro) -> Any:
    """Run a coroutine to its end from synchronous test code — on a thread of its own, since Playwright's
    sync API keeps an event loop running on the test's thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _admin(statement: str) -> None:
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(PG_URL)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    _run(go())


def url_of(name: str) -> str:
    return PG_URL.rsplit("/", 1)[0] + "/" + name


def new_database(template: str | None = None) -> str:
    """A new, empty (or copied from `template`) PostgreSQL database; its URL. Dropped at session end."""
    name = f"t{os.getpid()}_{next(_counter)}"
    _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    _created.append(name)
    return url_of(name)


def name_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def drop_created() -> None:
    while _created:
        name = _created.pop()
        try:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:  # a database still in use by a leftover server: the cluster is thrown away anyway
            pass


def sql(target: Any, query: str, *params: Any) -> list[Any]:
    """Run one statement on the test's database (Settings, a SQLite path, or a PostgreSQL URL); the rows
    (sqlite3.Row or asyncpg.Record: both read by name and by index)."""
    location = getattr(target, "database", target)
    if isinstance(location, str) and location.startswith("postgresql://"):
        import asyncpg

        from inspect_app.db_postgres import to_postgres

        async def go() -> list[Any]:
            conn = await asyncpg.connect(location)
            try:
                return list(await conn.fetch(to_postgres(query), *params))
            finally:
                await conn.close()

        return _run(go())
    conn = sqlite3.connect(Path(location), isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def sqlite_only(reason: str):
    """Mark a test that is about SQLite itself (its file, WAL, its fault cases): skipped on PostgreSQL."""
    return pytest.mark.skipif(ON_POSTGRES, reason=f"SQLite only: {reason}")
