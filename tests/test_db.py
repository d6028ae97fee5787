"""The data-access core: `Database.atomic` (a whole transaction in one hop) beside `transaction()`."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from inspect_app.db import Database, Tx
from inspect_app.queries import audit
from inspect_app.services.errors import Refused


async def _open(tmp_path) -> Database:
    db = await Database.open(tmp_path / "t.sqlite3")
    async with db.transaction() as tx:
        await tx.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    return db


async def _count(db: Database) -> int:
    return (await db.fetch_one("SELECT count(*) AS n FROM notes"))["n"]


def test_atomic_commits_the_body_and_returns_its_result(tmp_path) -> None:
    async def scenario() -> None:
        db = await _open(tmp_path)
        try:
            async def body(tx: Tx) -> int:
                first = await tx.execute("INSERT INTO notes (body) VALUES (?)", ("một",))
                await tx.execute("INSERT INTO notes (body) VALUES (?)", ("hai",))
                await audit.record(tx, actor_id=None, actor="test", action="note.add", subject_type="note",
                                   subject_id=first, after={"body": "một"})
                return (await tx.fetch_one("SELECT count(*) AS n FROM notes"))["n"]

            assert await db.atomic(body) == 2
            assert await _count(db) == 2  # committed: the reader connection sees it
            assert (await db.fetch_one("SELECT action FROM audit_log ORDER BY id DESC"))["action"] == "note.add"
        finally:
            await db.close()

    asyncio.run(scenario())


def test_atomic_rolls_back_everything_when_the_body_refuses(tmp_path) -> None:
    async def scenario() -> None:
        db = await _open(tmp_path)
        try:
            async def body(tx: Tx) -> None:
                await tx.execute("INSERT INTO notes (body) VALUES (?)", ("sẽ bị hủy",))
                raise Refused(409, "version_conflict", "Người khác đã lưu trước.")

            with pytest.raises(Refused):
                await db.atomic(body)
            assert await _count(db) == 0
            # and the writer is usable afterwards (no transaction left open)
            await db.atomic(lambda tx: tx.execute("INSERT INTO notes (body) VALUES ('sau')"))
            assert await _count(db) == 1
        finally:
            await db.close()

    asyncio.run(scenario())


def test_atomic_refuses_a_body_that_awaits_something_other_than_the_database(tmp_path) -> None:
    async def scenario() -> None:
        db = await _open(tmp_path)
        try:
            async def body(tx: Tx) -> None:
                await tx.execute("INSERT INTO notes (body) VALUES ('x')")
                await asyncio.sleep(0)  # would block the writer thread on the event loop

            with pytest.raises(RuntimeError, match="only await the database"):
                await db.atomic(body)
            assert await _count(db) == 0
        finally:
            await db.close()

    asyncio.run(scenario())


def test_atomic_and_transaction_writers_never_interleave(tmp_path) -> None:
    """Many concurrent writers of both kinds: every read-modify-write lands (one writer at a time)."""
    async def scenario() -> None:
        db = await _open(tmp_path)
        try:
            async with db.transaction() as tx:
                await tx.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
                await tx.execute("INSERT INTO counter (n) VALUES (0)")

            async def bump(tx: Tx) -> None:
                n = (await tx.fetch_one("SELECT n FROM counter"))["n"]
                await tx.execute("UPDATE counter SET n = ?", (n + 1,))

            async def bump_slowly() -> None:
                async with db.transaction() as tx:
                    n = (await tx.fetch_one("SELECT n FROM counter"))["n"]
                    await asyncio.sleep(0.001)  # a transaction() block may await other things
                    await tx.execute("UPDATE counter SET n = ?", (n + 1,))

            await asyncio.gather(*([db.atomic(bump) for _ in range(100)] + [bump_slowly() for _ in range(20)]))
            assert (await db.fetch_one("SELECT n FROM counter"))["n"] == 120
        finally:
            await db.close()

    asyncio.run(scenario())


def _count_commits(monkeypatch) -> list[int]:
    """Count the groups `atomic()` commits, by wrapping the group runner."""
    from inspect_app import db as db_module
    groups: list[int] = []
    real = db_module._run_group

    def counted(conn, jobs):
        groups.append(len(jobs))
        return real(conn, jobs)

    monkeypatch.setattr(db_module, "_run_group", counted)
    return groups


def test_concurrent_atomic_saves_share_a_commit_and_a_refusal_undoes_only_its_own(tmp_path, monkeypatch) -> None:
    """Group commit: saves queued together commit together (one fsync), yet each is its own unit — the
    refused one leaves nothing behind and only its caller hears of it."""
    groups = _count_commits(monkeypatch)

    async def scenario() -> None:
        db = await _open(tmp_path)
        try:
            def add(n: int):
                async def body(tx: Tx) -> int:
                    await tx.execute("INSERT INTO notes (body) VALUES (?)", (f"ghi chú {n}",))
                    if n == 7:
                        raise Refused(409, "version_conflict", "Người khác đã lưu trước.")
                    return n
                return body

            results = await asyncio.gather(*(db.atomic(add(n)) for n in range(40)), return_exceptions=True)
            assert [r for r in results if isinstance(r, Exception)] == [results[7]]
            assert isinstance(results[7], Refused) and results[7].code == "version_conflict"
            assert [r for r in results if not isinstance(r, Exception)] == [n for n in range(40) if n != 7]
            bodies = [row["body"] for row in await db.fetch_all("SELECT body FROM notes ORDER BY id")]
            assert bodies == [f"ghi chú {n}" for n in range(40) if n != 7]  # in the order they were sent
            assert sum(groups) == 40 and len(groups) < 40  # grouped: fewer commits than saves
        finally:
            await db.close()

    asyncio.run(scenario())


def test_a_failed_group_commit_acknowledges_none_of_its_saves(tmp_path, monkeypatch) -> None:
    """When the COMMIT itself fails (disk full, I/O error) every caller of the group gets the error and
    nothing of the group is stored: no save is acknowledged that is not on disk."""
    from inspect_app import db as db_module

    async def scenario() -> None:
        db = await _open(tmp_path)
        try:
            real_group = db_module._run_group

            def failing_commit(conn, jobs):
                class Conn:  # the real connection, except that COMMIT fails as a full disk would
                    in_transaction = property(lambda self: conn.in_transaction)

                    def execute(self, sql, params=()):
                        if sql == "COMMIT":
                            raise sqlite3.OperationalError("database or disk is full")
                        return conn.execute(sql, params)
                return real_group(Conn(), jobs)

            monkeypatch.setattr(db_module, "_run_group", failing_commit)

            def add(n: int):
                async def body(tx: Tx) -> int:
                    await tx.execute("INSERT INTO notes (body) VALUES (?)", (f"ghi chú {n}",))
                    return n
                return body

            results = await asyncio.gather(*(db.atomic(add(n)) for n in range(10)), return_exceptions=True)
            assert all(isinstance(r, sqlite3.OperationalError) for r in results)
            monkeypatch.setattr(db_module, "_run_group", real_group)
            assert await _count(db) == 0
            assert await db.atomic(add(99)) == 99  # the writer is usable afterwards
            assert await _count(db) == 1
        finally:
            await db.close()

    asyncio.run(scenario())


def test_a_point_read_sees_the_committed_row_even_in_a_folder_with_uri_characters(tmp_path) -> None:
    """`lookup` opens its read-only connection by URI: "?", "#" and "%" in the path must be quoted."""
    async def scenario() -> None:
        path = tmp_path / "data #1 ?50%" / "app.db"
        db = await Database.open(path)
        try:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO provinces (code, name) VALUES ('99', 'Tỉnh thử')")
            row = await db.lookup("SELECT name FROM provinces WHERE code = ?", ("99",))
            assert row is not None and row["name"] == "Tỉnh thử"
            # read on the loop's own connection, of this very file (not a stray one the URI named by mistake)
            assert db._point.execute("PRAGMA database_list").fetchone()[2] == str(path.resolve())
        finally:
            await db.close()

    asyncio.run(scenario())
