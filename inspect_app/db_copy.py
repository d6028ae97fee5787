"""`inspect-app db copy`: move a province from the embedded SQLite file to PostgreSQL, history and all.

The copy is one transaction on the target: every table in foreign-key order, ids kept, so every
reference, every audit entry and every evidence row still points where it did. The append-only and
lock triggers guard the app's own writes; a copy restores history as it was (findings of signed-off
visits included), so the target's user triggers are disabled inside the transaction and enabled again
before it commits — foreign keys and CHECK constraints stay enforced throughout. Afterwards the identity
sequences continue after the highest id, the planner's statistics are gathered (ANALYZE), and the
copy is checked: the same row count in every table, and
the audit log's hash chain verified on the target. Evidence files are not in the database: the target's
app nodes read them from the same folder (INSPECT_EVIDENCE_DIR).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import msgspec

from inspect_app.db import MigrationError, migrate
from inspect_app.db_postgres import _convert, _init_connection, is_postgres_url, migrate as migrate_postgres

CHUNK = 5000


class CopyError(RuntimeError):
    """The copy cannot go ahead (worded for people); nothing was written to the target."""


class CopyReport(msgspec.Struct):
    tables: dict[str, int]  # rows copied per table
    audit_entries: int


def sqlite_path(location: str) -> Path:
    """`sqlite:///abs/path`, `sqlite:rel/path` or a plain path → the file's path."""
    for prefix in ("sqlite:///", "sqlite://", "sqlite:"):
        if location.startswith(prefix):
            rest = location[len(prefix):]
            return Path("/" + rest if prefix == "sqlite:///" and not rest.startswith("/") else rest)
    return Path(location)


def _tables_in_order(conn: sqlite3.Connection) -> list[str]:
    """The app's tables, each after the tables it references (a topological order)."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name <> 'schema_migrations' ORDER BY name")]
    needs = {name: {r[2] for r in conn.execute(f'PRAGMA foreign_key_list("{name}")') if r[2] != name}
             for name in names}
    ordered: list[str] = []
    while needs:
        ready = sorted(name for name, deps in needs.items() if not deps - set(ordered))
        if not ready:
            raise CopyError("Các bảng tham chiếu vòng tròn; không xác định được thứ tự sao chép.")
        ordered += ready
        for name in ready:
            del needs[name]
    return ordered


def _chunks(conn: sqlite3.Connection, table: str) -> Iterator[tuple[list[str], list[tuple]]]:
    cursor = conn.execute(f'SELECT * FROM "{table}"')
    columns = [d[0] for d in cursor.description]
    while rows := cursor.fetchmany(CHUNK):
        yield columns, [tuple(r) for r in rows]


async def copy_sqlite_to_postgres(source: Path, target_url: str,
                                  progress: Callable[[str, int], None] = lambda table, n: None) -> CopyReport:
    """Copy everything from the SQLite file `source` into the (migrated, empty) PostgreSQL `target_url`."""
    from inspect_app.db_postgres import PgDatabase
    from inspect_app.queries.audit import verify_chain

    if not source.exists():
        raise CopyError(f"Không có tệp cơ sở dữ liệu {source}.")
    if not is_postgres_url(target_url):
        raise CopyError("Đích phải là một địa chỉ postgresql://người_dùng:mật_khẩu@máy:cổng/tên_csdl.")
    migrate(source)  # the source at this version's schema: both sides then have the same tables
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    conn = await asyncpg.connect(target_url)
    try:
        await migrate_postgres(conn)
        await _init_connection(conn)
        source_migrations = [r[0] for r in src.execute("SELECT number FROM schema_migrations ORDER BY number")]
        target_migrations = [r[0] for r in await conn.fetch("SELECT number FROM schema_migrations ORDER BY number")]
        if source_migrations != target_migrations:
            raise CopyError(f"Lược đồ hai bên khác nhau (nguồn {source_migrations}, đích {target_migrations}).")
        tables = _tables_in_order(src)
        for table in tables:
            if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                raise CopyError(f"Cơ sở dữ liệu đích đã có dữ liệu (bảng {table}); chỉ sao chép vào một cơ sở "
                                "dữ liệu mới tạo.")
        copied: dict[str, int] = {}
        async with conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = on")
            for table in tables:
                types = {r["column_name"]: r["udt_name"] for r in await conn.fetch(
                    "SELECT column_name, udt_name FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = $1", table)}
                await conn.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
                count = 0
                for columns, rows in _chunks(src, table):
                    missing = [c for c in columns if c not in types]
                    if missing:
                        raise CopyError(f"Bảng {table} ở đích thiếu cột {', '.join(missing)}.")
                    records = [tuple(_convert(v, types[c]) for v, c in zip(row, columns, strict=True))
                               for row in rows]
                    await conn.copy_records_to_table(table, records=records, columns=columns)
                    count += len(records)
                    progress(table, count)
                await conn.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
                if "id" in types and types["id"].startswith("int") and count:
                    await conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                                       f' (SELECT max(id) FROM "{table}"))')
                copied[table] = count
            for table in tables:  # still inside the transaction: a mismatch rolls everything back
                there = await conn.fetchval(f'SELECT count(*) FROM "{table}"')
                if there != copied[table]:
                    raise CopyError(f"Bảng {table}: đã chép {copied[table]} dòng nhưng đích có {there}.")
        await conn.execute("ANALYZE")  # a bulk load leaves the planner without statistics
    finally:
        await conn.close()
        src.close()
    db = await PgDatabase.open(target_url, pool_size=2)
    try:
        broken = await verify_chain(db)
    finally:
        await db.close()
    if broken is not None:
        raise CopyError(f"Chuỗi băm nhật ký sau khi sao chép bị đứt ở mục {broken}.")
    return CopyReport(tables=copied, audit_entries=copied.get("audit_log", 0))


__all__ = ["CopyError", "CopyReport", "MigrationError", "copy_sqlite_to_postgres", "sqlite_path"]
