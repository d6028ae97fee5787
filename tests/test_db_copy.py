"""Moving a province: `inspect-app db copy` of the demo from its SQLite file into a new PostgreSQL database,
then the app on PostgreSQL shows the same pages, findings, evidence and audit chain as the app on SQLite.

Needs a PostgreSQL cluster (INSPECT_TEST_DATABASE_URL; `make test-postgres` or CI's second pass).
"""

from __future__ import annotations

import os
import subprocess
import sys

import dbtarget
import pytest
from conftest import login, make_settings, run, text_of
from litestar.testing import TestClient

from inspect_app.app import create_app
from inspect_app.db import open_database
from inspect_app.queries.audit import verify_chain
from inspect_app.services.checklist_store import sync_checklists
from inspect_app.services.demo import seed_demo

pytestmark = pytest.mark.skipif(not dbtarget.ON_POSTGRES, reason="needs a PostgreSQL cluster "
                                "(INSPECT_TEST_DATABASE_URL)")


async def _seed(settings) -> None:
    db = await open_database(settings.database)
    try:
        await sync_checklists(db, settings.checklists_dir)
        await seed_demo(db, settings.demo_password, settings.evidence_dir)
    finally:
        await db.close()


async def _chain(settings) -> tuple[int | None, int, str]:
    db = await open_database(settings.database)
    try:
        rows = await db.fetch_all("SELECT id, hash FROM audit_log ORDER BY id")
        return await verify_chain(db), len(rows), rows[-1]["hash"]
    finally:
        await db.close()


def _copy(data_dir, source, target) -> subprocess.CompletedProcess:
    env = {**os.environ, "INSPECT_DATA_DIR": str(data_dir)}
    env.pop("INSPECT_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "inspect_app", "db", "copy", "--from", f"sqlite:///{source}",
                           "--to", target], capture_output=True, text=True, env=env, timeout=300)


def _what_people_see(settings) -> dict[str, object]:
    """The demo as the Sở Nội vụ and a unit officer see it: pages (visible text), the API's JSON, every
    evidence file's bytes."""
    seen: dict[str, object] = {}
    with TestClient(create_app(settings)) as client:
        login(client, "sonoivu")
        visits = client.get("/api/v1/visits").json()
        seen["visits"] = visits
        for path in ("/", "/plans", "/documents", "/remediation", "/units?q=Tr%E1%BA%A7n"):
            seen[path] = text_of(client.get(path).text)
        for visit in visits:
            base = f"/visits/{visit['id']}"
            seen[base] = text_of(client.get(base).text)
            findings = client.get(f"/api/v1{base}/findings").json()
            seen[f"{base}/findings"] = findings
            if visit["status"] in ("signed_off", "amended"):
                seen[f"{base}/minutes"] = text_of(client.get(f"{base}/minutes").text)
        for (evidence_id,) in dbtarget.sql(settings, "SELECT id FROM evidence_files WHERE deleted_at IS NULL"):
            meta = client.get(f"/api/v1/evidence/{evidence_id}")
            file = client.get(f"/api/v1/evidence/{evidence_id}/file", params={"size": "original"})
            seen[f"evidence {evidence_id}"] = (file.status_code, file.content, meta.json())
        seen["audit"] = text_of(client.get("/audit?kind=visit").text)  # (not the logins this test makes)
        login(client, "dv11560")
        seen["unit home"] = text_of(client.get("/").text)
    return seen


def test_the_demo_copied_to_postgresql_shows_the_same_everything(tmp_path):
    data_dir = tmp_path / "data"
    sqlite_settings = make_settings(data_dir, database_url="")
    run(_seed(sqlite_settings))
    target = dbtarget.new_database()

    done = _copy(data_dir, sqlite_settings.db_path, target)
    assert done.returncode == 0, done.stderr
    assert "chuỗi băm nhật ký" in done.stdout and "nguyên vẹn" in done.stdout
    pg_settings = make_settings(data_dir, database_url=target)

    broken, entries, head = run(_chain(pg_settings))
    assert broken is None
    assert (entries, head) == run(_chain(sqlite_settings))[1:]

    before, after = _what_people_see(sqlite_settings), _what_people_see(pg_settings)
    assert sum(1 for key in before if key.startswith("evidence ")) >= 20
    assert all(before[key][0] == 200 for key in before if key.startswith("evidence "))
    for key in before:
        assert after[key] == before[key], key

    # A copy never lands on a database that holds data: refused, and nothing changes there.
    held = run(_chain(pg_settings))
    again = _copy(data_dir, sqlite_settings.db_path, target)
    assert again.returncode == 1 and "đã có dữ liệu" in again.stderr
    assert run(_chain(pg_settings)) == held


def test_new_records_on_postgresql_continue_after_the_copied_ids(tmp_path):
    data_dir = tmp_path / "data"
    sqlite_settings = make_settings(data_dir, database_url="")
    run(_seed(sqlite_settings))
    target = dbtarget.new_database()
    assert _copy(data_dir, sqlite_settings.db_path, target).returncode == 0
    highest = dbtarget.sql(target, "SELECT max(id) FROM audit_log")[0][0]
    with TestClient(create_app(make_settings(data_dir, database_url=target))) as client:
        login(client, "sonoivu")  # writes an audit entry
    assert dbtarget.sql(target, "SELECT max(id) FROM audit_log")[0][0] > highest


def test_a_target_that_cannot_be_reached_is_refused_in_words(tmp_path):
    data_dir = tmp_path / "data"
    sqlite_settings = make_settings(data_dir, database_url="")
    run(_seed(sqlite_settings))
    missing = dbtarget.url_of("khong_co_csdl_nay")
    done = _copy(data_dir, sqlite_settings.db_path, missing)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "không kết nối được" in done.stderr and "khong_co_csdl_nay" in done.stderr
