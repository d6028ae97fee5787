"""Helpers for the browser tests: a real server on loopback and Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("INSPECT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def require_chromium() -> None:
    """Skip without Chromium on a developer machine; under CI a missing browser is a failure."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {CHROMIUM} is missing: browser tests must run in CI")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`inspect-app serve` in a subprocess, on its own copy of the demo database."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        import dbtarget

        if dbtarget.ON_POSTGRES and "INSPECT_DATABASE_URL" not in env:  # the demo, cloned for this server
            env = {**env, "INSPECT_DATABASE_URL": dbtarget.new_database(template=dbtarget.SEED)}
        self.database_url = env.get("INSPECT_DATABASE_URL", "")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(data_dir / "server.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "inspect_app", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env={**os.environ, **env, "INSPECT_DATA_DIR": str(data_dir)}, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError((data_dir / "server.log").read_text())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def live_data_dir(tmp_path: Path, seeded_db: Path) -> Path:
    """A copy of the demo data folder (database, photos, a fixed secret) for a real server."""
    data_dir = tmp_path / "live"
    data_dir.mkdir()
    import dbtarget

    if not dbtarget.ON_POSTGRES:  # on PostgreSQL, LiveServer clones the seeded database instead
        shutil.copy(seeded_db, data_dir / "inspect.sqlite3")
    shutil.copytree(seeded_db.parent / "evidence", data_dir / "evidence")
    (data_dir / "secret_key").write_text("live-test-secret")
    return data_dir


def start_server(tmp_path: Path, seeded_db: Path, **env: str) -> LiveServer:
    return LiveServer(live_data_dir(tmp_path, seeded_db), env)


def log_in(page, server: LiveServer, username: str, password: str | None = None) -> None:
    """Log in through the login page, as a person would."""
    from conftest import DEMO_PASSWORD

    page.goto(server.url + "/")
    assert "/login" in page.url  # sent to the login page first
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password or DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(server.url + "/")


def dom(code: str) -> str:
    """An item code as the page's DOM ids spell it (dots → underscores)."""
    return code.replace(".", "_")


def wait_saved(page, code: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(f"[id='status-{dom(code)}']")).to_contain_text("Đã lưu", timeout=10000)


def api_headers(context) -> dict:
    """Headers of a page-made API write: the CSRF token from the context's cookie and a fresh key."""
    import uuid

    token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    return {"x-csrftoken": token, "Idempotency-Key": str(uuid.uuid4())}
