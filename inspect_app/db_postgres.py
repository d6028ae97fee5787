"""The PostgreSQL backend: the same interface as `db.Database`, over an asyncpg connection pool.

Selected by `INSPECT_DATABASE_URL=postgresql://…` (see `db.open_database`). Everything that differs
between the two dialects lives in this module, so the queries in `queries/` stay one hand-written text:

- placeholders: the queries write `?` (or `?1` to reuse a value); `to_postgres` writes `$1, $2, …`
  (outside quoted text), and renames the one SQLite function the queries use that PostgreSQL spells
  differently (`json_group_object` → `json_object_agg`; `json(x)` is a cast in both);
- the new row's id: an `INSERT` into a table with an `id` column gets `RETURNING id` (SQLite's lastrowid);
- types: SQLite stores what it is given, PostgreSQL checks each parameter against its column. When a
  value arrives as the other type (a code "5" for an integer column, an integer for a text one), it is
  converted once by the parameter types the server reports, as SQLite's type affinity would;
  `numeric` results (sum() of integers) come back as int or float, booleans as 1/0, as in SQLite;
- migrations: `migrations/postgresql/NNNN_name.sql`, the twins of the SQLite files, numbered and
  checksummed the same way, applied under an advisory lock so two nodes starting together take turns;
- writers: every write transaction first takes one transaction-level advisory lock (`WRITE_LOCK`). The
  app's rules were written for SQLite's single writer — read the version, compare, write; read the audit
  chain's head, append — and under that lock they hold unchanged across every node and process: no lost
  update, the same 409s, one unbroken audit chain. Reads never take it. Numbers that must be unique
  (documents, idempotency keys) are also UNIQUE constraints in the schema.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, TypeVar

import asyncpg

from inspect_app.db import Database, MigrationError, Tx, utc_now

T = TypeVar("T")
Params = Sequence[Any] | dict[str, Any]

WRITE_LOCK = 0x5ECC  # pg_advisory_xact_lock key held by every write transaction
MIGRATION_LOCK = 0x5ECD  # pg_advisory_lock key held while migrating
POOL_SIZE = 20


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


_QUOTED_OR_MARK = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\?[0-9]*|\bjson_group_object\(")
_FUNCTIONS = {"json_group_object(": "json_object_agg("}
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


@functools.lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """`?` placeholders → `$1, $2, …` (`?N` → `$N`), SQLite-only function names → PostgreSQL's; quoted
    text and comments are left as they are."""
    counter = 0

    def number(match: re.Match[str]) -> str:
        nonlocal counter
        token = match.group(0)
        if token in _FUNCTIONS:
            return _FUNCTIONS[token]
        if not token.startswith("?"):
            return token
        if token != "?":
            return "$" + token[1:]
        counter += 1
        return f"${counter}"

    return _QUOTED_OR_MARK.sub(number, sql)


@functools.lru_cache(maxsize=2048)
def _insert_returning(sql: str, id_tables: frozenset[str]) -> str | None:
    """The statement with `RETURNING id` when it inserts into a table that has an id, else None."""
    match = _INSERT_INTO.match(sql)
    if not match or match.group(1).lower() not in id_tables or re.search(r"\bRETURNING\b", sql, re.IGNORECASE):
        return None
    return to_postgres(sql.rstrip().rstrip(";")) + " RETURNING id"


def _numeric(text: str) -> int | float:
    return float(text) if ("." in text or "e" in text.lower() or text in ("NaN", "Infinity", "-Infinity")) else int(text)


async def _init_connection(conn: asyncpg.Connection) -> None:
    """Codecs of every pooled connection: results read as SQLite's would, and citext (usernames, compared
    without case like SQLite's COLLATE NOCASE) carried as text, which COPY needs too."""
    await conn.set_type_codec("citext", encoder=str.encode, decoder=bytes.decode, schema="public", format="binary")
    await conn.set_type_codec("numeric", encoder=str, decoder=_numeric, schema="pg_catalog", format="text")
    await conn.set_type_codec("bool", encoder=lambda v: "t" if v else "f", decoder=lambda t: 1 if t == "t" else 0,
                              schema="pg_catalog", format="text")


_INT_TYPES = {"int2", "int4", "int8"}
_FLOAT_TYPES = {"float4", "float8", "numeric"}
_TEXT_TYPES = {"text", "varchar", "bpchar", "citext", "name", "unknown"}


def _convert(value: Any, type_name: str) -> Any:
    """One parameter as its column's type, the way SQLite's affinity reads it."""
    if value is None:
        return None
    if type_name in _INT_TYPES and isinstance(value, (str, float)):
        number = float(value)
        return int(number) if number.is_integer() else value
    if type_name in _FLOAT_TYPES and isinstance(value, (str, int)) and not isinstance(value, bool):
        return float(value)
    if type_name in _TEXT_TYPES and not isinstance(value, str):
        return value.decode() if isinstance(value, (bytes, bytearray, memoryview)) else str(value)
    if type_name == "bytea" and isinstance(value, str):
        return value.encode()
    if type_name == "bool" and not isinstance(value, bool):
        return bool(value)
    return value


_param_types: dict[str, tuple[str, ...]] = {}  # statement → its parameters' type names, once learnt


def _args(params: Params) -> tuple[Any, ...]:
    if isinstance(params, dict):
        raise TypeError("named parameters are not used with PostgreSQL; write ? placeholders")
    return tuple(params)


async def _call(conn: asyncpg.Connection, method: str, sql: str, params: Params) -> Any:
    """Run one statement; convert the parameters when one arrived as the other type (see module doc)."""
    args = _args(params)
    types = _param_types.get(sql)
    if types is not None:
        args = tuple(_convert(a, t) for a, t in zip(args, types, strict=False))
    try:
        return await getattr(conn, method)(sql, *args)
    except asyncpg.exceptions.DataError as error:
        if types is not None or "invalid input for query argument" not in str(error):
            raise
    statement = await conn.prepare(sql)
    types = tuple(t.name for t in statement.get_parameters())
    _param_types[sql] = types
    args = tuple(_convert(a, t) for a, t in zip(args, types, strict=False))
    return await getattr(conn, method)(sql, *args)


def _rowcount(status: str) -> int:
    """asyncpg's command tag ("UPDATE 3", "INSERT 0 1") → how many rows changed."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PgTx(Tx):
    """A connection inside an open write transaction; the same methods as `db.Tx` (a subclass so that
    type annotations and isinstance checks hold for both backends)."""

    def __init__(self, conn: asyncpg.Connection, id_tables: frozenset[str]) -> None:
        self._conn = conn
        self._id_tables = id_tables

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the inserted row's id (0 when the table has none)."""
        returning = _insert_returning(sql, self._id_tables)
        if returning is not None:
            return await _call(self._conn, "fetchval", returning, params) or 0
        await _call(self._conn, "execute", to_postgres(sql), params)
        return 0

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        return _rowcount(await _call(self._conn, "execute", to_postgres(sql), params))

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        statement = to_postgres(sql)
        for row in rows:  # not conn.executemany: each row may need its own type conversion
            await _call(self._conn, "execute", statement, row)

    async def fetch_one(self, sql: str, params: Params = ()) -> asyncpg.Record | None:
        return await _call(self._conn, "fetchrow", to_postgres(sql), params)

    async def lookup(self, sql: str, params: Params = ()) -> asyncpg.Record | None:
        return await self.fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        return await _call(self._conn, "fetch", to_postgres(sql), params)


class PgDatabase(Database):
    """The app's handle on PostgreSQL: the interface of `db.Database` (reads, `transaction()`, `atomic()`),
    every method overridden; a subclass so that handlers and services annotated `Database` take it."""

    dialect = "postgresql"

    def __init__(self, url: str, pool: asyncpg.Pool, id_tables: frozenset[str]) -> None:  # noqa: D107
        # Database.__init__ (SQLite's connections) is deliberately not called.
        self.url = url
        self.path = None  # no file: backups are PostgreSQL's own (docs/operations.md)
        self._pool = pool
        self._id_tables = id_tables
        # This process's writers queue here before taking a pooled connection: at most one of them holds a
        # connection while waiting for WRITE_LOCK, so the writer holding it can always get one for a read
        # (a pool full of waiting writers would starve it: a deadlock). Across nodes, WRITE_LOCK orders them.
        self._writers = asyncio.Lock()
        self._queued: list[tuple[Callable[[PgTx], Coroutine[Any, Any, Any]], asyncio.Future[Any]]] = []
        self._drainer: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str, *, pool_size: int = POOL_SIZE) -> PgDatabase:  # type: ignore[override]
        """Connect, apply pending migrations, and open the pool."""
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
            id_tables = frozenset(r["table_name"] for r in await conn.fetch(
                "SELECT table_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND column_name = 'id'"))
        finally:
            await conn.close()
        pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size, init=_init_connection)
        return cls(url, pool, id_tables)

    async def close(self) -> None:
        await self._pool.close()

    async def lookup(self, sql: str, params: Params = ()) -> asyncpg.Record | None:
        return await self.fetch_one(sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> asyncpg.Record | None:
        async with self._pool.acquire() as conn:
            return await _call(conn, "fetchrow", to_postgres(sql), params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        async with self._pool.acquire() as conn:
            return await _call(conn, "fetch", to_postgres(sql), params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgTx]:
        """One write transaction on its own connection, holding the write lock until it ends."""
        async with self._writers, self._pool.acquire() as conn, conn.transaction():
            await conn.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            yield PgTx(conn, self._id_tables)

    async def atomic(self, body: Callable[[PgTx], Coroutine[Any, Any, T]]) -> T:
        """`body(tx)` as one transaction; its result once committed. Bodies queued while this process's
        writer is busy commit together (group commit, as `db._run_group` does on SQLite): one
        transaction, one WRITE_LOCK, a savepoint per body, one COMMIT — so under load the lock and the
        WAL flush are paid once per group instead of once per save."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queued.append((body, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await asyncio.shield(future)  # a caller that goes away does not cancel the group

    async def _drain(self) -> None:
        """Run the queued bodies in groups until none is left."""
        while self._queued:
            jobs, self._queued = self._queued, []
            outcomes = await self._run_group(jobs)
            for future, result, error in outcomes:
                if future.cancelled():
                    continue
                if error is None:
                    future.set_result(result)
                else:
                    future.set_exception(error)

    async def _run_group(self, jobs: list) -> list[tuple[asyncio.Future, Any, BaseException | None]]:
        """One transaction for the group; each body inside its own savepoint (a refused body rolls back
        only its own changes, and only its caller hears of it); every caller is answered after the
        COMMIT, and if the COMMIT fails, all of them get that error."""
        outcomes: list[tuple[asyncio.Future, Any, BaseException | None]] = []
        try:
            async with self.transaction() as tx:
                if len(jobs) == 1:
                    body, future = jobs[0]
                    outcomes.append((future, await body(tx), None))
                else:
                    for body, future in jobs:
                        try:
                            async with tx._conn.transaction():  # a savepoint
                                result = await body(tx)
                        except Exception as error:
                            outcomes.append((future, None, error))
                        else:
                            outcomes.append((future, result, None))
        except BaseException as error:  # the group's transaction failed: nothing of it is stored
            return [(future, None, error) for _, future in jobs]
        return outcomes


# ---------------------------------------------------------------- migrations


def _migration_files() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("inspect_app.migrations.postgresql").iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations, each in its own transaction; an edited applied one stops start-up."""
    await conn.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " number BIGINT PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at TEXT NOT NULL)")
        applied = {r["number"]: r["sha256"] for r in await conn.fetch("SELECT number, sha256 FROM schema_migrations")}
        done: list[str] = []
        for number, name, sql in _migration_files():
            digest = hashlib.sha256(sql.encode()).hexdigest()
            if number in applied:
                if applied[number] != digest:
                    raise MigrationError(
                        f"Migration postgresql/{name} đã được áp dụng nhưng nội dung đã bị sửa; "
                        "hãy thêm một migration mới thay vì sửa migration cũ.")
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (number, name, sha256, applied_at)"
                                   " VALUES ($1, $2, $3, $4)", number, name, digest, utc_now())
            done.append(name)
        return done
    finally:
        await conn.execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")


async def migrate_url(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return await migrate(conn)
    finally:
        await conn.close()
