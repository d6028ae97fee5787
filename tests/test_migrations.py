"""Migrations from empty, recorded, never edited; SQLite settings for official records; the same on
PostgreSQL (migrations/postgresql/, inspect_app.db_postgres.migrate); the append-only tables on both."""

from __future__ import annotations

import asyncio
import sqlite3

import dbchecks
import dbtarget
import pytest

from inspect_app.db import Database, MigrationError, migrate, open_database

TABLES = ("provinces", "units", "users", "sessions", "plans", "teams", "team_members", "visits",
          "findings", "finding_history", "evidence_files", "remediation_items",
          "remediation_responses", "audit_log", "checklist_versions", "idempotency_keys")


def fresh_database(tmp_path):
    """A new, empty database on the backend under test: a SQLite path, or a PostgreSQL URL."""
    return dbtarget.new_database() if dbtarget.ON_POSTGRES else tmp_path / "db.sqlite3"


@dbtarget.sqlite_only("the SQLite file's migrations and its WAL journal")
def test_migrate_from_empty_creates_the_data_model(tmp_path):
    path = tmp_path / "new.sqlite3"
    applied = migrate(path)
    assert applied and applied[0].startswith("0001")
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in TABLES:
        assert table in tables
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    recorded = [r[0] for r in conn.execute("SELECT name FROM schema_migrations")]
    assert recorded == applied
    assert migrate(path) == []  # nothing twice


@pytest.mark.skipif(not dbtarget.ON_POSTGRES, reason="PostgreSQL only: its migrations (INSPECT_TEST_DATABASE_URL)")
def test_postgres_migrate_from_empty_creates_the_data_model_once():
    from inspect_app.db_postgres import migrate_url

    url = dbtarget.new_database()
    applied = asyncio.run(migrate_url(url))
    assert applied and applied[0].startswith("0001")
    tables = {t for t in dbchecks.table_names(url)}
    for table in TABLES:
        assert table in tables
    recorded = [r[0] for r in dbtarget.sql(url, "SELECT name FROM schema_migrations ORDER BY number")]
    assert recorded == applied
    assert all(len(r[0]) == 64 for r in dbtarget.sql(url, "SELECT sha256 FROM schema_migrations"))  # checksummed
    assert asyncio.run(migrate_url(url)) == []  # nothing twice


@pytest.mark.skipif(not dbtarget.ON_POSTGRES, reason="PostgreSQL only: its migrations (INSPECT_TEST_DATABASE_URL)")
def test_postgres_an_edited_migration_stops_start_up():
    from inspect_app.db_postgres import migrate_url

    url = dbtarget.new_database()
    asyncio.run(migrate_url(url))
    dbtarget.sql(url, "UPDATE schema_migrations SET sha256 = 'edited' WHERE number = 1")
    with pytest.raises(MigrationError, match="đã bị sửa"):
        asyncio.run(migrate_url(url))
    with pytest.raises(MigrationError, match="đã bị sửa"):  # the app's start-up opens through the same check
        asyncio.run(open_database(url))


@dbtarget.sqlite_only("the SQLite file's migrations")
def test_an_edited_migration_stops_start_up(tmp_path):
    path = tmp_path / "db.sqlite3"
    migrate(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_migrations SET sha256 = 'edited' WHERE number = 1")
    with pytest.raises(MigrationError, match="đã bị sửa"):
        migrate(path)


@dbtarget.sqlite_only("SQLite's PRAGMAs")
def test_connections_enforce_foreign_keys_and_full_sync(tmp_path):
    async def check():
        db = await Database.open(tmp_path / "db.sqlite3")
        try:
            assert (await db.fetch_one("PRAGMA foreign_keys"))[0] == 1
            assert (await db.fetch_one("PRAGMA synchronous"))[0] == 2  # FULL
        finally:
            await db.close()

    asyncio.run(check())


def test_foreign_keys_are_enforced(tmp_path):
    location = fresh_database(tmp_path)

    async def check():
        db = await open_database(location)
        try:
            with pytest.raises(dbchecks.INTEGRITY_ERRORS):
                async with db.transaction() as tx:
                    await tx.execute("INSERT INTO units (code, name, search_key, kind, province_code, created_at)"
                                     " VALUES ('00001', 'X', 'x', 'xa', '99', 'now')")
        finally:
            await db.close()

    asyncio.run(check())


def test_a_failed_transaction_leaves_nothing_behind(tmp_path):
    location = fresh_database(tmp_path)

    async def check():
        db = await open_database(location)
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
    location = fresh_database(tmp_path)

    async def check():
        db = await open_database(location)

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


@dbtarget.sqlite_only("the SQLite file's triggers on a bare migrated file (both backends: the test below)")
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


def test_append_only_records_refuse_update_and_delete(settings):
    """The triggers of the append-only records, on whichever backend runs: the audit log, a finding's
    history, check-ins, signatures and issued documents keep every row as written."""
    visit = dbtarget.sql(settings, "SELECT id FROM visits ORDER BY id LIMIT 1")[0][0]
    user = dbtarget.sql(settings, "SELECT id FROM users ORDER BY id LIMIT 1")[0][0]
    finding = dbtarget.sql(settings, "SELECT id FROM findings ORDER BY id LIMIT 1")[0][0]
    dbchecks.run_many(settings, [
        ("INSERT INTO finding_history (finding_id, version, answer_json, points, note, saved_at, saved_by)"
         " VALUES (?, 999, '{}', NULL, '', 't', ?)", (finding, user)),
        ("INSERT INTO visit_checkins (visit_id, recorded_at, recorded_by, declined) VALUES (?, 't', ?, 1)",
         (visit, user)),
        ("INSERT INTO visit_signatures (visit_id, party, name, signed_at, signed_by, content_sha256, png_sha256,"
         " png_path) VALUES (?, 'lead', 'X', 't', ?, 'c', 'p', 'x.png')", (visit, user)),
        ("INSERT INTO issued_documents (doc_id, issuer, year, number, symbol, kind, visit_id, issued_at, issued_on,"
         " summary, recipients, signer, sha256, pdf) VALUES ('d', 'SNV', 2026, 1, 'TB-SNV', 'notice', ?, 't', 't',"
         " '', '', '', 'h', ?)", (visit, b"%PDF")),
    ])
    refused = {
        "audit_log": ("UPDATE audit_log SET actor = 'b'", "DELETE FROM audit_log"),
        "finding_history": ("UPDATE finding_history SET note = 'sửa lén'",),
        "visit_checkins": ("UPDATE visit_checkins SET reason = 'x'", "DELETE FROM visit_checkins"),
        "visit_signatures": ("UPDATE visit_signatures SET name = 'Y'", "DELETE FROM visit_signatures"),
        "issued_documents": ("UPDATE issued_documents SET summary = 'x'", "DELETE FROM issued_documents"),
    }
    before = dbchecks.dump(settings)
    for table, statements in refused.items():
        assert before[table], f"{table}: no row to try"
        for statement in statements:
            with pytest.raises(dbchecks.INTEGRITY_ERRORS, match="append-only"):
                dbtarget.sql(settings, statement)
    assert dbchecks.dump(settings) == before
    if dbtarget.ON_POSTGRES:  # PostgreSQL's TRUNCATE skips row triggers: the audit log refuses it too
        with pytest.raises(dbchecks.INTEGRITY_ERRORS, match="append-only"):
            dbtarget.sql(settings, "TRUNCATE audit_log")
