"""The SQLite database: one writer connection, one reader connection, numbered migrations.

SQLite has a single writer. Every write goes through `Database.transaction()` or
`Database.atomic()`, which hold an asyncio lock and open `BEGIN IMMEDIATE`, so concurrent requests
never commit or roll back each other's work and a read that upgrades to a write cannot fail with
"database is locked". The writer connection lives on one thread of its own; `atomic()` runs a
whole transaction there in one hop, grouped with the other bodies queued meanwhile into one commit
(group commit: a savepoint each, one fsync for all, every caller answered after the COMMIT). Reads use a second connection (aiosqlite): in WAL mode they
see the last committed state and never wait for the writer.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import asyncpg

# A UNIQUE, CHECK or trigger refusal from either backend (a service that retries on a taken number
# catches this, never one engine's class).
IntegrityErrors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,
                                                asyncpg.exceptions.IntegrityConstraintViolationError)

T = TypeVar("T")
Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]


class MigrationError(RuntimeError):
    """An applied migration was edited, or the database is not ours."""


def utc_now() -> str:
    """The current time as ISO-8601 UTC text, the format of every `*_at` column."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _configure(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    # FULL: findings are official records; a power cut must not lose an acknowledged save.
    conn.execute("PRAGMA synchronous = FULL")


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA busy_timeout = 10000")
    await conn.execute("PRAGMA synchronous = FULL")
    return conn


class Tx:
    """The writer connection inside an open transaction; query functions take it for writes.

    Each call is one hop to the writer thread and back (a few tens of µs plus two context
    switches). Hot paths hand the whole transaction to `Database.atomic` instead: one hop.
    """

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the last inserted row id."""
        return await self._writer.call(_execute, sql, params)

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return how many rows it changed."""
        return await self._writer.call(_execute_rowcount, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._writer.call(_executemany, sql, list(rows))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return await self._writer.call(_fetch_one, sql, params)

    async def lookup(self, sql: str, params: Params = ()) -> Row | None:
        """Inside a transaction a point read is an ordinary read (it must see the transaction's writes)."""
        return await self.fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._writer.call(_fetch_all, sql, params)


class _ThreadTx(Tx):
    """The same interface, already on the writer thread: every call runs at once.

    Its coroutines never suspend, so `Database.atomic` can drive a whole transaction body to
    completion with a single `send(None)` on that thread.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return _execute(self._conn, sql, params)

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        return _execute_rowcount(self._conn, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        _executemany(self._conn, sql, rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return _fetch_one(self._conn, sql, params)

    async def lookup(self, sql: str, params: Params = ()) -> Row | None:
        return _fetch_one(self._conn, sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return _fetch_all(self._conn, sql, params)


def _execute(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    return conn.execute(sql, params).lastrowid or 0


def _execute_rowcount(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    return conn.execute(sql, params).rowcount


def _executemany(conn: sqlite3.Connection, sql: str, rows: Iterable[Params]) -> None:
    conn.executemany(sql, rows)


def _fetch_one(conn: sqlite3.Connection, sql: str, params: Params) -> Row | None:
    return conn.execute(sql, params).fetchone()


def _fetch_all(conn: sqlite3.Connection, sql: str, params: Params) -> list[Row]:
    return conn.execute(sql, params).fetchall()


def _drive(conn: sqlite3.Connection, body: Callable[[Tx], Coroutine[Any, Any, T]]) -> T:
    """Run a transaction body to completion on the writer thread (its awaits never suspend)."""
    coro = body(_ThreadTx(conn))
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()  # the body awaited something other than the database: refuse rather than block
    raise RuntimeError("an atomic transaction body may only await the database")


Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


def _run_group(conn: sqlite3.Connection, jobs: list[tuple[Callable[[Tx], Coroutine[Any, Any, Any]],
                                                           asyncio.Future[Any]]]) -> list[Outcome]:
    """Group commit: the queued bodies in ONE transaction, each inside its own savepoint, one COMMIT.

    A body that raises (a refusal, a conflict) rolls back to its savepoint: only its own changes are
    undone and only its caller sees the error. Every caller learns its outcome after the COMMIT has
    returned, so nothing is acknowledged before it is on disk; if the COMMIT (or the transaction)
    fails, every caller of the group gets that error and nothing of the group is stored. One fsync
    serves the whole group: under load the writer thread stops spending most of its time waiting on
    the disk once per save.
    """
    outcomes: list[Outcome] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        if len(jobs) == 1:  # the common case when the load is light: no savepoint needed
            body, future = jobs[0]
            outcomes.append((future, _drive(conn, body), None))
        else:
            for body, future in jobs:
                conn.execute("SAVEPOINT job")
                try:
                    result = _drive(conn, body)
                except Exception as error:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((future, None, error))
                else:
                    conn.execute("RELEASE job")
                    outcomes.append((future, result, None))
        conn.execute("COMMIT")
    except BaseException as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return [(future, None, error) for _, future in jobs]
    return outcomes


def _settle(outcomes: list[Outcome]) -> None:
    """On the event loop: hand each caller of a group its result or its error."""
    for future, result, error in outcomes:
        if future.cancelled():  # the caller went away; its save is stored all the same
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


class _Writer:
    """The one writer connection, used only from its own thread (SQLite objects stay on one thread).

    One worker thread: jobs run one at a time, in the order they were submitted. Atomic transaction
    bodies wait in a queue of their own and run in groups (see `_run_group`): while the thread is busy
    with one group, the bodies that arrive meanwhile gather for the next.
    """

    def __init__(self, path: Path) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._conn: sqlite3.Connection | None = None
        self._path = path
        self._queued: list[tuple[Callable[[Tx], Coroutine[Any, Any, Any]], asyncio.Future[Any]]] = []
        self._queue_lock = threading.Lock()  # the queue is filled on the loop thread, emptied on the writer's
        self._group_pending = False  # a group job is submitted and has not taken the queue yet

    async def open(self) -> None:
        self._conn = await asyncio.get_running_loop().run_in_executor(self._pool, connect_sync, self._path)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, self._conn, *args)

    def atomic(self, body: Callable[[Tx], Coroutine[Any, Any, T]]) -> asyncio.Future[T]:
        """Queue `body` for the next group; the future settles once its group is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._queue_lock:
            self._queued.append((body, future))
            submit, self._group_pending = not self._group_pending, True
        if submit:  # submitted now, so it runs before any job (a transaction's BEGIN) submitted later
            self._pool.submit(self._run_queued, loop)
        return future

    def _run_queued(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._queue_lock:
            jobs, self._queued, self._group_pending = self._queued, [], False
        loop.call_soon_threadsafe(_settle, _run_group(self._conn, jobs))

    async def close(self) -> None:
        if self._conn is not None:
            await self.call(sqlite3.Connection.close)
            self._conn = None
        self._pool.shutdown(wait=True)


async def open_database(location: Path | str) -> Database:
    """The database at `location`: a SQLite file's path, or a `postgresql://` URL (db_postgres.py, the
    same interface). Opening applies pending migrations."""
    from inspect_app.db_postgres import PgDatabase, is_postgres_url

    if is_postgres_url(location):
        return await PgDatabase.open(str(location))
    return await Database.open(Path(location))


class Database:
    """The app's handle on SQLite. Reads: `fetch_one`/`fetch_all`. Writes: `transaction()` or `atomic()`."""

    dialect = "sqlite"

    def __init__(self, path: Path, writer: _Writer, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        self._point: sqlite3.Connection | None = None  # the event loop's own, for `lookup`

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed), check integrity, and apply pending migrations."""
        path.parent.mkdir(parents=True, exist_ok=True)
        migrate(path)
        writer = _Writer(path)
        await writer.open()
        reader = await _connect(path)
        return cls(path, writer, reader)

    async def close(self) -> None:
        if self._point is not None:
            self._point.close()
            self._point = None
        await self._reader.close()
        await self._writer.close()

    async def lookup(self, sql: str, params: Params = ()) -> Row | None:
        """A point read — one row found by its key, such as the caller's session or the visit a save is
        about — on the event loop's own read-only connection, without the hop to a reader thread.

        Every request makes one or two of these; at a few microseconds each in SQLite, the hop cost far
        more than the read (about a fifth of a finding save's CPU). In WAL mode a reader never waits for
        the writer; should the file be busy anyway (its WAL being recovered), the read goes through the
        reader thread, which may wait. Anything that scans many rows stays on `fetch_one`/`fetch_all`."""
        if self._point is None:
            # as_uri quotes the path: a folder named "a#b" or "50%" must not open another file
            self._point = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
            self._point.row_factory = sqlite3.Row
            self._point.execute("PRAGMA busy_timeout = 0")
        try:
            rows = self._point.execute(sql, params).fetchall()  # fetchall: no statement left holding a read
        except sqlite3.OperationalError:
            return await self.fetch_one(sql, params)
        return rows[0] if rows else None

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._reader.execute_fetchall(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._reader.execute_fetchall(sql, params))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Serialise writers and wrap the block in BEGIN IMMEDIATE … COMMIT (ROLLBACK on error).

        The block may await anything (files, other services); each statement is a hop to the
        writer thread.
        """
        async with self._lock:
            await self._writer.call(_execute, "BEGIN IMMEDIATE", ())
            try:
                yield Tx(self._writer)
            except BaseException:
                await self._writer.call(_execute, "ROLLBACK", ())
                raise
            else:
                await self._writer.call(_execute, "COMMIT", ())

    async def atomic(self, body: Callable[[Tx], Coroutine[Any, Any, T]]) -> T:
        """Run `body(tx)` as one transaction in ONE hop to the writer thread; return its result.

        For hot paths (a finding save is ~10 statements). The body may await only `tx` and the
        query functions built on it — anything else raises — and it runs on the writer thread, so
        it must not touch event-loop objects. Exceptions (a `Refused`, say) roll back the body's own
        changes and propagate. Bodies queued together commit together (`_run_group`); the result comes
        back only once that commit is on disk.
        """
        if not self._lock.locked():
            # No transaction() block is open, and one that starts later queues its BEGIN behind this
            # job: the writer thread runs jobs one by one, in order. Skipping the lock here lets saves
            # queue on that thread directly instead of waiting a turn of the event loop for each
            # hand-over of the lock (which, under load, sits behind page rendering).
            return await self._writer.atomic(body)
        async with self._lock:
            return await self._writer.atomic(body)


# ---------------------------------------------------------------- migrations (synchronous)


def _migration_files() -> list[tuple[int, str, str]]:
    """(number, name, sql) for every `migrations/NNNN_name.sql`, in order."""
    found = []
    for entry in resources.files("inspect_app.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def connect_sync(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the app's settings (CLI commands and migrations)."""
    conn = sqlite3.connect(path, isolation_level=None)
    _configure(conn)
    return conn


def migrate(path: Path) -> list[str]:
    """Apply pending migrations, each in its own transaction; return the names applied.

    An applied migration is never edited: its checksum is recorded, and a changed file stops
    start-up instead of leaving the schema and the code out of step.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect_sync(path)
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise MigrationError(f"Cơ sở dữ liệu {path} bị hỏng ({result}); khôi phục từ bản sao lưu.")
        # WAL is a property of the file: set once, kept across connections.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " number INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = {row["number"]: row for row in conn.execute("SELECT * FROM schema_migrations")}
        done: list[str] = []
        for number, name, sql in _migration_files():
            digest = hashlib.sha256(sql.encode()).hexdigest()
            if number in applied:
                if applied[number]["sha256"] != digest:
                    raise MigrationError(
                        f"Migration {name} đã được áp dụng nhưng nội dung đã bị sửa; "
                        "hãy thêm một migration mới thay vì sửa migration cũ."
                    )
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split_sql(sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (number, name, sha256, applied_at) VALUES (?, ?, ?, ?)",
                    (number, name, digest, utc_now()),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            done.append(name)
        return done
    finally:
        conn.close()


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (triggers contain `;` inside BEGIN … END)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def backup(source: Path, dest: Path) -> None:
    """Copy a live database consistently with SQLite's online backup API (never a file copy)."""
    if dest.exists():
        raise FileExistsError(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(dest)
    try:
        src.execute("PRAGMA busy_timeout = 10000")
        # pages=-1 copies everything in one step under one read snapshot: consistent even
        # while the server keeps writing.
        src.backup(dst, pages=-1)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise MigrationError(f"Bản sao lưu không toàn vẹn: {check}")
    finally:
        dst.close()
        src.close()
