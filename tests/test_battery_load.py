"""Battery 8: load. 50 simulated inspectors open pages and save findings for 10 s against the real server
(a subprocess on loopback): no 5xx, no lost acknowledged save, and the server's memory is reported.

The load generator is bench/load_soak.py's (raw asyncio streams, one keep-alive connection per user, no
think time); the bench runs it for 60 s and prints figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dbchecks
import dbtarget
import pytest
from browser import live_data_dir
from conftest import DEMO_PASSWORD

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import load_soak  # noqa: E402
from faults import Server, make_token  # noqa: E402
from load_soak import lost_saves, report, run_load, session_cookie  # noqa: E402

USERS = 50
SECONDS = 10.0


@pytest.fixture
def database_url(monkeypatch) -> str:
    """On PostgreSQL, a clone of the demo database that the server, the token command and the lost-save
    check use ("" on SQLite: the data folder's file)."""
    if not dbtarget.ON_POSTGRES:
        return ""
    url = dbtarget.new_database(template=dbtarget.SEED)
    monkeypatch.setattr(load_soak, "sqlite3", dbchecks.sqlite3_standing_in_for(url))  # lost_saves reads it
    return url


@pytest.fixture
def data_dir(tmp_path, seeded_db, database_url) -> Path:
    """A copy of the demo data folder for a real server."""
    return live_data_dir(tmp_path, seeded_db)


def test_50_inspectors_for_10_seconds_no_5xx_no_lost_saves(data_dir, database_url):
    token = make_token(data_dir, "kiemtravien", database_url=database_url)
    server = Server(data_dir, database_url=database_url)
    try:
        cookie = session_cookie(server.url, "kiemtravien", DEMO_PASSWORD)
        result = run_load(server, token, cookie, USERS, SECONDS)
    finally:
        server.stop()
    lost = lost_saves(data_dir / "inspect.sqlite3", result.acked)
    print()
    print("\n".join(report(result, len(lost))))
    print(f"server RSS: {max(result.rss_kib)} KiB peak (VmRSS of pid {server.pid})")
    assert result.server_errors() == 0
    assert result.io_errors == 0
    assert lost == []
    # Every request answered as a person expects: pages open, saves are acknowledged (each user owns its item).
    assert set(result.statuses["save"]) == {200}
    assert set(result.statuses["visit"]) == {200} and set(result.statuses["home"]) == {200}
    # The load really ran: every user saved and opened pages more than once.
    assert len(result.acked) >= 3 * USERS and result.count("visit") >= USERS and result.count("home") >= USERS
    server_log = (data_dir / "server.log").read_text(errors="replace")
    assert "Traceback" not in server_log and "unexpected error" not in server_log
