"""Backend-neutral looks into the test's database (SQLite file or PostgreSQL database, tests/dbtarget.py):
the errors a refused write raises, every table's rows for "nothing changed" checks, several statements
in one transaction."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import dbtarget

try:
    import asyncpg

    # A trigger's RAISE … USING ERRCODE = 'integrity_constraint_violation' (class 23) and the constraint
    # violations (unique, foreign key, check, not null) are all subclasses of this one.
    INTEGRITY_ERRORS: tuple[type[BaseException], ...] = (
        sqlite3.IntegrityError, asyncpg.exceptions.IntegrityConstraintViolationError)
except ImportError:  # pragma: no cover - asyncpg is a dev dependency of the PostgreSQL pass only
    INTEGRITY_ERRORS = (sqlite3.IntegrityError,)

# Tables no data check looks at: SQLite's own bookkeeping.
_INTERNAL = ("sqlite_sequence", "sqlite_stat1", "sqlite_stat4")


def _location(target: Any) -> Any:
    return getattr(target, "database", target)


def is_postgres(target: Any) -> bool:
    location = _location(target)
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def run_many(target: Any, statements: list[tuple[str, tuple]], *, transaction: bool = True) -> list[list[Any]]:
    """Run `statements` ([(sql, params), …], `?` placeholders) on one connection, in one transaction
    unless told otherwise; each statement's rows."""
    location = _location(target)
    if is_postgres(target):
        from inspect_app.db_postgres import to_postgres

        async def go() -> list[list[Any]]:
            conn = await asyncpg.connect(location)
            try:
                out = []
                tx = conn.transaction() if transaction else None
                if tx is not None:
                    await tx.start()
                try:
                    for query, params in statements:
                        out.append(list(await conn.fetch(to_postgres(query), *params)))
                except BaseException:
                    if tx is not None:
                        await tx.rollback()
                    raise
                if tx is not None:
                    await tx.commit()
                return out
            finally:
                await conn.close()

        return off_loop(asyncio.run, go())
    conn = sqlite3.connect(Path(location), isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        if transaction:
            conn.execute("BEGIN")
        try:
            out = [conn.execute(query, params).fetchall() for query, params in statements]
        except BaseException:
            if transaction:
                conn.execute("ROLLBACK")
            raise
        if transaction:
            conn.execute("COMMIT")
        return out
    finally:
        conn.close()


def table_names(target: Any) -> list[str]:
    """The app's tables, by name (SQLite's sqlite_master or PostgreSQL's information_schema)."""
    if is_postgres(target):
        rows = dbtarget.sql(target, "SELECT table_name FROM information_schema.tables"
                                    " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                                    " ORDER BY table_name")
    else:
        rows = dbtarget.sql(target, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [r[0] for r in rows if r[0] not in _INTERNAL]


def _order_key(row: tuple) -> tuple:
    # Every column, in order; None first and values of different types kept apart so any mix sorts.
    return tuple((v is not None, type(v).__name__, v) if v is not None else (False, "", 0) for v in row)


def dump(target: Any, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table (but `skip`), as tuples ordered by all their columns: two dumps are equal
    exactly when no row was added, removed or changed."""
    names = [t for t in table_names(target) if t not in skip]
    results = run_many(target, [(f'SELECT * FROM "{t}"', ()) for t in names], transaction=True)
    return {t: sorted((tuple(r) for r in rows), key=_order_key) for t, rows in zip(names, results, strict=True)}


def integrity_ok(target: Any) -> bool:
    """SQLite's PRAGMA integrity_check says ok; on PostgreSQL, the database answers a query on every table
    (the engine checks its own pages; there is no file of ours to damage)."""
    if is_postgres(target):
        run_many(target, [(f'SELECT count(*) FROM "{t}"', ()) for t in table_names(target)])
        return True
    return dbtarget.sql(target, "PRAGMA integrity_check")[0][0] == "ok"


def env_for(settings: Any) -> dict[str, str]:
    """The environment that points the command line (`inspect-app …`) at the test's data: its data folder
    and, on PostgreSQL, its database."""
    env = {"INSPECT_DATA_DIR": str(settings.data_dir)}
    if getattr(settings, "database_url", ""):
        env["INSPECT_DATABASE_URL"] = settings.database_url
    return env


def point_cli_at(monkeypatch: Any, settings: Any) -> None:
    """`cli([...])` in this process reads the test's data folder and database (monkeypatched environment)."""
    monkeypatch.delenv("INSPECT_DATABASE_URL", raising=False)
    for name, value in env_for(settings).items():
        monkeypatch.setenv(name, value)


def off_loop(function: Any, *args: Any, **kwargs: Any) -> Any:
    """`function(*args, **kwargs)`, on a thread of its own when this thread runs an event loop (an async
    hook the app calls, or Playwright's sync API, which keeps one running): the PostgreSQL helpers use
    `asyncio.run`, which refuses to start inside a running loop. Waited for, as the synchronous sqlite3
    call it stands for blocks."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    import threading

    out: list[Any] = []
    error: list[BaseException] = []

    def work() -> None:
        try:
            out.append(function(*args, **kwargs))
        except BaseException as exc:  # handed to the caller
            error.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return out[0]


class CommitWatch:
    """A number that moves when another connection may have committed a write: SQLite's
    `PRAGMA data_version`; on PostgreSQL the next transaction id not yet handed out
    (`pg_snapshot_xmax(pg_current_snapshot())`), which moves whenever any transaction starts to write —
    a superset of commits (and cluster-wide), which only means a comparison more, never one less."""

    def __init__(self, target: Any) -> None:
        self._location = _location(target)
        self._pg = is_postgres(target)
        if self._pg:
            self._loop = asyncio.new_event_loop()
            self._conn = self._loop.run_until_complete(asyncpg.connect(self._location))
        else:
            self._conn = sqlite3.connect(Path(self._location))

    def version(self) -> int:
        if self._pg:
            return int(self._loop.run_until_complete(
                self._conn.fetchval("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")))
        return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        if self._pg:
            self._loop.run_until_complete(self._conn.close())
            self._loop.close()
        else:
            self._conn.close()


class _Cursor:
    def __init__(self, rows: list[tuple]) -> None:
        self._rows = rows

    def fetchone(self) -> tuple | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple]:
        return list(self._rows)

    def __iter__(self):
        return iter(self._rows)


class PgSyncConnection:
    """A little of sqlite3.Connection's face over one asyncpg connection (`execute(sql, params)` with `?`
    placeholders, `fetchone`/`fetchall`, autocommit), so checks written against sqlite3 (bench/faults.py,
    bench/load_soak.py) read the PostgreSQL database unchanged. `PRAGMA integrity_check` answers "ok"
    when every table can be read (`integrity_ok`)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._loop = asyncio.new_event_loop()
        self._conn = self._loop.run_until_complete(asyncpg.connect(url))

    def execute(self, query: str, params: tuple | list = ()) -> _Cursor:
        if query.strip().lower() == "pragma integrity_check":
            return _Cursor([("ok",)] if integrity_ok(self._url) else [("not ok",)])
        from inspect_app.db_postgres import to_postgres

        rows = self._loop.run_until_complete(self._conn.fetch(to_postgres(query), *params))
        return _Cursor([tuple(r) for r in rows])

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._conn.close())
            self._loop.close()

    def __enter__(self) -> PgSyncConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sqlite3_standing_in_for(url: str) -> Any:
    """A stand-in for the `sqlite3` module whose `connect(...)` opens the PostgreSQL database at `url`
    (whatever file path it is given): monkeypatch it into a bench module on the PostgreSQL pass."""
    import types

    return types.SimpleNamespace(connect=lambda *args, **kwargs: PgSyncConnection(url),
                                 sqlite_version=sqlite3.sqlite_version, IntegrityError=sqlite3.IntegrityError,
                                 OperationalError=sqlite3.OperationalError)

