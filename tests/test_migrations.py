"""Migrations from empty, recorded, never edited; SQLite settings for official records."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from inspect_app.db import Database, MigrationError, migrate


def test_migrate_from_empty_creates_the_data_model(tmp_path):
    path = tmp_path / "new.sqlite3"
    applied = migrate(path)
    assert applied and applied[0].startswith("0001")
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in ("provinces", "units", "users", "sessions", "plans", "teams", "team_members", "visits",
                  "findings", "finding_history", "evidence_files", "remediation_items",
                  "remediation_responses", "audit_log", "checklist_versions", "idempotency_keys"):
        assert table in tables
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    recorded = [r[0] for r in conn.execute("SELECT name FROM schema_migrations")]
    assert recorded == applied
    assert migrate(path) == []  # nothing twice


def test_an_edited_migration_stops_start_up(tmp_path):
    path = tmp_path / "db.sqlite3"
    migrate(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_migrations SET sha256 = 'edited' WHERE number = 1")
    with pytest.raises(MigrationError, match="đã bị sửa"):
        migrate(path)


def test_connections_enforce_foreign_keys_and_full_sync(tmp_path):
    async def check():
        db = await Database.open(tmp_path / "db.sqlite3")
        try:
            assert (await db.fetch_one("PRAGMA foreign_keys"))[0] == 1
            assert (await db.fetch_one("PRAGMA synchronous"))[0] == 2  # FULL
            with pytest.raises(sqlite3.IntegrityError):
                async with db.transaction() as tx:
                    await tx.execute("INSERT INTO units (code, name, search_key, kind, province_code, created_at)"
                                     " VALUES ('00001', 'X', 'x', 'xa', '99', 'now')")
        finally:
            await db.close()

    asyncio.run(check())


def test_a_failed_transaction_leaves_nothing_behind(tmp_path):
    async def check():
        db = await Database.open(tmp_path / "db.sqlite3")
        try:
            with pytest.raises(RuntimeError):
                async with db.transaction() as tx:
                    await tx.execute("INSERT INTO provinces (code, name) VALUES ('31', 'Hải Phòng')")
                    raise RuntimeError("boom")
            assert (await db.fetch_one("SELECT count(*) FROM provinces"))[0] == 0
        finally:
            await db.close()

    asyncio.run(check())


def test_concurrent_transactions_keep_exactly_the_committed_rows(tmp_path):
    async def check():
        db = await Database.open(tmp_path / "db.sqlite3")

        async def write(i: int):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO provinces (code, name) VALUES (?, ?)", (f"{i:02d}", f"P{i}"))
                await asyncio.sleep(0)
                if i % 2:
                    raise ValueError(i)

        try:
            results = await asyncio.gather(*(write(i) for i in range(10)), return_exceptions=True)
            assert sum(isinstance(r, ValueError) for r in results) == 5
            rows = await db.fetch_all("SELECT code FROM provinces ORDER BY code")
            assert [r[0] for r in rows] == ["00", "02", "04", "06", "08"]
        finally:
            await db.close()

    asyncio.run(check())


def test_audit_log_is_append_only(tmp_path):
    path = tmp_path / "db.sqlite3"
    migrate(path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO audit_log (at, actor, action, subject_type, subject_id, prev_hash, hash)"
                 " VALUES ('t', 'a', 'x', 'y', '1', 'p', 'h')")
    conn.commit()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_log SET actor = 'b'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_log")
