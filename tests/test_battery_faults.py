"""Battery 7: faults. The real server (a subprocess on loopback) is killed with SIGKILL while inspectors
save; after a restart on the same data folder nothing acknowledged is missing and the file is intact.
On the PostgreSQL pass (tests/dbtarget.py) the server runs on a clone of the demo database and the same
checks read it; only the backup case, which is about the SQLite file (`inspect-app backup`, SQLite's
online backup API), is SQLite's alone.

The moving parts (server process, writer threads, checks) are shared with bench/faults.py, which runs
20 kill cycles and prints figures; here 3 cycles, plus an interrupted photo upload retried with its key
and a backup taken while inspectors write.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dbchecks
import dbtarget
import httpx
import pytest
from browser import live_data_dir
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from faults import Server, crash_cycle, editable_pairs, integrity, make_token, start_writers  # noqa: E402


@pytest.fixture
def database_url() -> str:
    """On PostgreSQL, a clone of the demo database that every server, command and check of the test uses
    ("" on SQLite: the data folder's file)."""
    if not dbtarget.ON_POSTGRES:
        return ""
    return dbtarget.new_database(template=dbtarget.SEED)


@pytest.fixture
def data_dir(tmp_path, seeded_db, database_url) -> Path:
    """A copy of the demo data folder for a real server."""
    return live_data_dir(tmp_path, seeded_db)


@pytest.fixture
def database(data_dir, database_url) -> Path | str:
    """Where the server's data is: the SQLite file, or the PostgreSQL database's URL."""
    return database_url or data_dir / "inspect.sqlite3"


def server_on(data_dir: Path, database_url: str) -> Server:
    return Server(data_dir, database_url=database_url)


@pytest.fixture
def token(data_dir, database_url) -> str:
    return make_token(data_dir, "kiemtravien", database_url=database_url)


def test_kill_9_mid_burst_loses_no_acknowledged_save(data_dir, database_url, token):
    """Three times: 8 inspectors save as fast as they can, the server is killed, restarted, checked."""
    total = 0
    server = server_on(data_dir, database_url)
    try:
        for cycle, kill_after in enumerate((0.3, 0.7, 1.1), start=1):
            result, server = crash_cycle(server, token, writers=8, kill_after=kill_after, tag=f"t{cycle}")
            print(f"cycle {cycle}: {result.acked} acknowledged, {result.in_flight_landed} landed unanswered, "
                  f"restart {result.restart_seconds:.2f} s, statuses {result.statuses}")
            assert result.integrity == "ok"
            assert result.acked >= 8  # every writer had at least one save acknowledged before the kill
            assert set(result.statuses) == {200}
            assert result.missing == 0 and result.stale == 0
            total += result.acked
    finally:
        server.stop()
    assert total > 24


def _noisy_jpeg(seed: int) -> bytes:
    """A photo-sized JPEG (~0.5 MB: noise does not compress), so a cut in the middle is a real cut."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (900, 700), bytes(rng.getrandbits(8) for _ in range(900 * 700 * 3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _multipart(data: bytes, name: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _raw_upload(server: Server, token: str, path: str, key: str, body: bytes, content_type: str,
                send: int) -> socket.socket:
    """Send the request head and the first `send` bytes of the body on a raw socket (no answer read)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: Bearer {token}\r\n"
            f"Idempotency-Key: {key}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n")
    sock.sendall(head.encode() + body[:send])
    return sock


def test_upload_interrupted_by_a_crash_and_retried_with_its_key_stores_one_file(data_dir, database_url, database,
                                                                                 token):
    """The server dies with a photo half received, then again with the photo whole (maybe stored, maybe
    not); each time the tablet retries with the same key after the restart: one row, one file."""
    headers = {"Authorization": f"Bearer {token}"}
    server = server_on(data_dir, database_url)
    try:
        visit = next(v for v in httpx.get(server.url + "/api/v1/visits", headers=headers).json()
                     if v["unit_code"] == "11560")
        for n, (cut, code) in enumerate((("half-sent", "2.3.3"), ("all-sent", "7.5.1"))):
            path = f"/api/v1/visits/{visit['id']}/findings/{code}/evidence"
            data = _noisy_jpeg(n)
            body, content_type = _multipart(data, "bang-niem-yet.jpg")
            key = f"upload-{cut}-{uuid.uuid4()}"
            sock = _raw_upload(server, token, path, key, body, content_type,
                               len(body) // 2 if cut == "half-sent" else len(body))
            time.sleep(0.05 if cut == "half-sent" else 0.15)  # all-sent: it may be being stored right now
            server.kill()
            sock.close()
            assert integrity(database) == "ok"
            server = server_on(data_dir, database_url)
            send = {**headers, "Idempotency-Key": key, "Content-Type": content_type}
            first = httpx.post(server.url + path, content=body, headers=send, timeout=30)
            assert first.status_code in (200, 201), first.text
            again = httpx.post(server.url + path, content=body, headers=send, timeout=30)
            assert again.status_code == 200 and again.json()["id"] == first.json()["id"], (cut, again.text)
            shown = httpx.get(f"{server.url}/api/v1/evidence/{first.json()['id']}/file", headers=headers,
                              params={"size": "original"})
            assert shown.status_code == 200 and shown.content == data
            assert dbtarget.sql(database, "SELECT count(*) FROM idempotency_keys WHERE key = ?", key)[0][0] == 1
            assert dbtarget.sql(database, "SELECT count(*) FROM evidence_files WHERE visit_id = ? AND item_code = ?",
                                visit["id"], code)[0][0] == 1, cut
            originals = [p for p in (data_dir / "evidence" / "original").rglob("*")
                         if p.is_file() and p.name.startswith(first.json()["sha256"])]
            assert len(originals) == 1 and originals[0].read_bytes() == data
    finally:
        server.stop()


@dbtarget.sqlite_only("`inspect-app backup` copies the SQLite file (its online backup API); PostgreSQL: "
                      "the pg_dump counterpart below")
def test_backup_taken_while_inspectors_write_restores_to_a_consistent_database(data_dir, token, tmp_path):
    server = Server(data_dir)
    dest = tmp_path / "backup" / "inspect-backup.sqlite3"
    try:
        pairs = editable_pairs(server.url, token)[:8]
        threads, stop, out = start_writers(server.url, token, pairs, "backup")
        deadline = time.monotonic() + 10
        while len(out.acks) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        acked_before = len(out.acks)
        result = subprocess.run([sys.executable, "-m", "inspect_app", "backup", str(dest)], capture_output=True,
                                text=True, timeout=120, env={**os.environ, "INSPECT_DATA_DIR": str(data_dir)})
        acked_during = len(out.acks) - acked_before
        time.sleep(0.2)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert "kiểm tra toàn vẹn: ok" in result.stdout
    assert acked_before >= 40 and len(out.acks) > acked_before  # writes went on around the backup
    print(f"{acked_before} saves before the backup, {acked_during} while it ran, {len(out.acks)} in all")
    with sqlite3.connect(dest) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 3
        orphans = copy.execute("SELECT f.id, f.version FROM findings f LEFT JOIN finding_history h"
                               " ON h.finding_id = f.id AND h.version = f.version WHERE h.finding_id IS NULL").fetchall()
        assert orphans == []
        gaps = copy.execute("SELECT f.id FROM findings f WHERE (SELECT count(*) FROM finding_history h"
                            " WHERE h.finding_id = f.id) != f.version").fetchall()
        assert gaps == []  # every version of every finding, in order, is in its history
        saved = copy.execute("SELECT count(*) FROM finding_history WHERE note LIKE 'backup-%'").fetchone()[0]
        assert acked_before <= saved <= len(out.acks) + len(pairs)  # a snapshot taken during the burst
    # Restore: the copy becomes a data folder's database, and the server answers from it.
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(dest, restored / "inspect.sqlite3")
    shutil.copytree(data_dir / "evidence", restored / "evidence")
    server = Server(restored)
    try:
        me = httpx.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["username"] == "kiemtravien"
        visits = httpx.get(server.url + "/api/v1/visits", headers={"Authorization": f"Bearer {token}"}).json()
        assert len(visits) >= 9
    finally:
        server.stop()


def _pg_tool(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if found:
        return str(found[-1])
    on_path = shutil.which(name)
    if on_path is None:
        pytest.skip(f"{name} is not installed")
    return on_path


@pytest.mark.skipif(not dbtarget.ON_POSTGRES, reason="PostgreSQL only: its backup (pg_dump, docs/operations.md)")
def test_pg_dump_taken_while_inspectors_write_restores_to_a_consistent_database(
        data_dir, database_url, database, token, tmp_path):
    """The PostgreSQL counterpart of the backup case: pg_dump (one snapshot) while inspectors write, restored
    into a new database that the server then answers from."""
    server = server_on(data_dir, database_url)
    dest = tmp_path / "backup" / "inspect.dump"
    dest.parent.mkdir()
    try:
        pairs = editable_pairs(server.url, token)[:8]
        threads, stop, out = start_writers(server.url, token, pairs, "backup")
        deadline = time.monotonic() + 10
        while len(out.acks) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        acked_before = len(out.acks)
        result = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--file", str(dest), database],
                                capture_output=True, text=True, timeout=120)
        acked_during = len(out.acks) - acked_before
        time.sleep(0.2)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert acked_before >= 40 and len(out.acks) > acked_before  # writes went on around the backup
    print(f"{acked_before} saves before the backup, {acked_during} while it ran, {len(out.acks)} in all")
    restored_url = dbtarget.new_database()
    restored = subprocess.run([_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", restored_url,
                               str(dest)], capture_output=True, text=True, timeout=120)
    assert restored.returncode == 0, restored.stderr
    assert dbchecks.integrity_ok(restored_url)
    assert dbtarget.sql(restored_url, "SELECT count(*) FROM schema_migrations")[0][0] >= 3
    orphans = dbtarget.sql(restored_url, "SELECT f.id, f.version FROM findings f LEFT JOIN finding_history h"
                                         " ON h.finding_id = f.id AND h.version = f.version WHERE h.finding_id IS NULL")
    assert orphans == []
    gaps = dbtarget.sql(restored_url, "SELECT f.id FROM findings f WHERE (SELECT count(*) FROM finding_history h"
                                      " WHERE h.finding_id = f.id) != f.version")
    assert gaps == []  # every version of every finding, in order, is in its history
    saved = dbtarget.sql(restored_url, "SELECT count(*) FROM finding_history WHERE note LIKE 'backup-%'")[0][0]
    assert acked_before <= saved <= len(out.acks) + len(pairs)  # a snapshot taken during the burst
    # Restore: the server answers from the restored database (and the same evidence folder's copy).
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copytree(data_dir / "evidence", restored_dir / "evidence")
    server = server_on(restored_dir, restored_url)
    try:
        me = httpx.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["username"] == "kiemtravien"
        visits = httpx.get(server.url + "/api/v1/visits", headers={"Authorization": f"Bearer {token}"}).json()
        assert len(visits) >= 9
    finally:
        server.stop()
