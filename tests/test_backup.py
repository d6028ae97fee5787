"""`inspect-app backup` makes a consistent copy while the server keeps writing (SQLite's online backup
API: on PostgreSQL, pg_dump — tests/test_battery_faults.py's counterpart)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

import dbtarget

from inspect_app.db import connect_sync, migrate


@dbtarget.sqlite_only("`inspect-app backup` copies the SQLite file with its online backup API")
def test_backup_while_writing_is_consistent(tmp_path):
    data = tmp_path / "data"
    db_path = data / "inspect.sqlite3"
    migrate(db_path)
    setup = connect_sync(db_path)
    setup.execute("CREATE TABLE bench (batch INTEGER, n INTEGER)")
    stop = threading.Event()
    batches = []

    def writer():
        conn = connect_sync(db_path)
        batch = 0
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO bench VALUES (?, ?)", [(batch, i) for i in range(10)])
            conn.execute("COMMIT")
            batches.append(batch)
            batch += 1
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(batches) < 50:  # the writer is well under way
            pass
        dest = tmp_path / "backup.sqlite3"
        result = subprocess.run(
            [sys.executable, "-m", "inspect_app", "backup", str(dest)],
            env={**os.environ, "INSPECT_DATA_DIR": str(data)}, capture_output=True, text=True, timeout=60,
        )
        written_during = len(batches)
    finally:
        stop.set()
        thread.join()
    assert result.returncode == 0, result.stderr
    assert "kiểm tra toàn vẹn: ok" in result.stdout
    copy = sqlite3.connect(dest)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # A snapshot: every batch is whole (10 rows), and the copy holds a prefix of the batches.
    counts = copy.execute("SELECT batch, count(*) FROM bench GROUP BY batch").fetchall()
    assert counts and all(n == 10 for _, n in counts)
    assert [b for b, _ in counts] == list(range(len(counts)))
    assert 50 <= len(counts) <= written_during
    assert copy.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 1


@dbtarget.sqlite_only("`inspect-app backup` copies the SQLite file")
def test_backup_refuses_to_overwrite(tmp_path):
    data = tmp_path / "data"
    migrate(data / "inspect.sqlite3")
    dest = tmp_path / "exists.sqlite3"
    dest.write_bytes(b"keep me")
    result = subprocess.run([sys.executable, "-m", "inspect_app", "backup", str(dest)],
                            env={**os.environ, "INSPECT_DATA_DIR": str(data)}, capture_output=True, text=True)
    assert result.returncode == 1 and "đã tồn tại" in result.stderr
    assert dest.read_bytes() == b"keep me"
