"""The PostgreSQL backend's own rules (inspect_app/db_postgres.py): the SQL translation, the type affinity,
group commit with a savepoint per body, and one writer at a time across processes (no lost update).

The translation tests run everywhere; the rest need a cluster (INSPECT_TEST_DATABASE_URL).
"""

from __future__ import annotations

import asyncio

import dbtarget
import pytest

from inspect_app.db_postgres import PgDatabase, to_postgres

needs_postgres = pytest.mark.skipif(not dbtarget.ON_POSTGRES, reason="needs a PostgreSQL cluster")


def test_placeholders_are_numbered_outside_quoted_text():
    assert to_postgres("SELECT * FROM t WHERE a = ? AND b LIKE 'x?%' AND c = ?") == (
        "SELECT * FROM t WHERE a = $1 AND b LIKE 'x?%' AND c = $2")
    assert to_postgres("SELECT 1 WHERE a = ?1 OR b = ?2 AND c = ?1") == "SELECT 1 WHERE a = $1 OR b = $2 AND c = $1"
    assert to_postgres('SELECT "we?ird" FROM t -- a comment?\nWHERE x = ?') == (
        'SELECT "we?ird" FROM t -- a comment?\nWHERE x = $1')
    assert to_postgres("SELECT json_group_object(k, json(v)) FROM t WHERE n = 'json_group_object('") == (
        "SELECT json_object_agg(k, json(v)) FROM t WHERE n = 'json_group_object('")


async def _open() -> PgDatabase:
    return await PgDatabase.open(dbtarget.new_database())


@needs_postgres
def test_group_commit_rolls_back_only_the_body_that_fails():
    async def go():
        db = await _open()
        try:
            def body(n: int):
                async def run(tx):
                    await tx.execute("INSERT INTO provinces (code, name) VALUES (?, ?)", (f"{n:02d}", f"Tỉnh {n}"))
                    if n == 7:
                        raise ValueError("refused")
                    return n
                return run

            results = await asyncio.gather(*(db.atomic(body(n)) for n in range(20)), return_exceptions=True)
            stored = {r["code"] for r in await db.fetch_all("SELECT code FROM provinces")}
            return results, stored
        finally:
            await db.close()

    results, stored = dbtarget._run(go())
    assert [r for r in results if isinstance(r, Exception)] == [results[7]]
    assert isinstance(results[7], ValueError)
    assert [r for r in results if not isinstance(r, Exception)] == [n for n in range(20) if n != 7]
    assert stored == {f"{n:02d}" for n in range(20) if n != 7}


@needs_postgres
def test_values_of_the_other_type_are_read_as_sqlite_would():
    async def go():
        db = await _open()
        try:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO provinces (code, name) VALUES (?, ?)", (31, "Hải Phòng"))  # int → text
            row = await db.fetch_one("SELECT code, length(name) AS n, sum(1) AS s, 1 = 1 AS yes FROM provinces"
                                     " WHERE code = ? GROUP BY code, name", ("31",))
            return dict(row)
        finally:
            await db.close()

    assert dbtarget._run(go()) == {"code": "31", "n": 9, "s": 1, "yes": 1}


@needs_postgres
def test_two_processes_read_compare_write_without_losing_an_update():
    """Two app nodes (two pools) each add 1 to the same counter 40 times, reading it first: the write lock
    makes every read-then-write see the last committed value, so nothing is lost."""

    async def go():
        url = dbtarget.new_database()
        first = await PgDatabase.open(url)
        second = await PgDatabase.open(url)
        try:
            async with first.transaction() as tx:
                await tx.execute("INSERT INTO provinces (code, name) VALUES ('01', '0')")

            async def bump(db: PgDatabase):
                for _ in range(40):
                    async with db.transaction() as tx:
                        value = int((await tx.fetch_one("SELECT name FROM provinces WHERE code = '01'"))["name"])
                        await asyncio.sleep(0)  # give the other node every chance to interleave
                        await tx.execute("UPDATE provinces SET name = ? WHERE code = '01'", (str(value + 1),))

            await asyncio.gather(bump(first), bump(second), bump(first), bump(second))
            return (await first.fetch_one("SELECT name FROM provinces WHERE code = '01'"))["name"]
        finally:
            await first.close()
            await second.close()

    assert dbtarget._run(go()) == "160"
