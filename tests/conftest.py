"""Shared fixtures: a real app on a temporary SQLite file (or, with INSPECT_TEST_DATABASE_URL set, a
PostgreSQL database of its own: tests/dbtarget.py), seeded with the demo, and personas."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest
from litestar.testing import TestClient

import dbtarget
from inspect_app.app import create_app
from inspect_app.db import open_database
from inspect_app.services.checklist_store import sync_checklists
from inspect_app.services.demo import seed_demo
from inspect_app.settings import ROOT, Settings

DEMO_PASSWORD = "demo-pass-2026"


def make_settings(data_dir: Path, **overrides) -> Settings:
    if dbtarget.ON_POSTGRES and "database_url" not in overrides:
        overrides["database_url"] = dbtarget.new_database()  # empty: migrations run at start-up
    return Settings(data_dir=data_dir, secret_key="test-secret-key", demo_password=DEMO_PASSWORD,
                    checklists_dir=overrides.pop("checklists_dir", ROOT / "checklists"), **overrides)


def run(coro):
    return asyncio.run(coro)


async def _seed(settings: Settings) -> None:
    db = await open_database(settings.database)
    try:
        await sync_checklists(db, settings.checklists_dir)
        await seed_demo(db, settings.demo_password, settings.evidence_dir)
    finally:
        await db.close()


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory) -> Path:
    """The demo database, built once per test session; each test gets its own copy."""
    settings = make_settings(tmp_path_factory.mktemp("seed"))
    run(_seed(settings))
    if dbtarget.ON_POSTGRES:
        dbtarget.SEED = dbtarget.name_of(settings.database_url)
    return settings.db_path


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases():
    yield
    if dbtarget.ON_POSTGRES:
        dbtarget.drop_created()


def seeded_copy(data_dir: Path, seeded_db: Path) -> dict:
    """Put a copy of the demo database where a test's settings will find it: the SQLite file into
    `data_dir`, or a new PostgreSQL database cloned from the seeded one (its URL is returned as the
    Settings override)."""
    if dbtarget.ON_POSTGRES:
        return {"database_url": dbtarget.new_database(template=dbtarget.SEED)}
    shutil.copy(seeded_db, data_dir / "inspect.sqlite3")
    return {}


@pytest.fixture
def settings(tmp_path, seeded_db) -> Settings:
    (tmp_path / "data").mkdir(parents=True)
    settings = make_settings(tmp_path / "data", **seeded_copy(tmp_path / "data", seeded_db))
    # The demo's photos live beside its database.
    shutil.copytree(seeded_db.parent / "evidence", settings.evidence_dir)
    return settings


@pytest.fixture
def empty_settings(tmp_path) -> Settings:
    """A fresh data folder with nothing in it (migrations run at start-up)."""
    return make_settings(tmp_path / "empty")


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as client:
        yield client


def csrf_token(client: TestClient) -> str:
    """The CSRF token as a page embeds it (GET a page first so the cookie exists)."""
    if "csrftoken" not in client.cookies:
        client.get("/login")
    return client.cookies["csrftoken"]


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD):
    client.cookies.clear()
    client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "next": "/",
                                       "_csrf_token": csrf_token(client)}, follow_redirects=False)


def post_form(client: TestClient, url: str, data: dict, **kwargs):
    """A form POST the way a browser sends it: with the CSRF field."""
    return client.post(url, data={**data, "_csrf_token": csrf_token(client)}, follow_redirects=False, **kwargs)


def followed(client: TestClient, response):
    """A form POST answers with a redirect (post/redirect/get): assert it, and return the page it
    leads to, which shows the message and what was typed. A reload of that page is a GET."""
    assert response.status_code == 303, (response.status_code, response.text[:300])
    return client.get(response.headers["location"])


PERSONAS = {"admin": "sonoivu", "lead": "truongdoan", "inspector": "kiemtravien", "unit": "dv11560"}


@pytest.fixture
def as_role(client):
    """Log the client in as a demo persona: `as_role("unit")`."""

    def switch(role: str) -> TestClient:
        response = login(client, PERSONAS[role])
        assert response.status_code == 303, response.text
        return client

    return switch


def text_of(html: str) -> str:
    """Visible text, roughly: tags dropped, whitespace collapsed (for 'the user sees X' checks)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (skipped on a machine without it, never under CI=true)."""
    from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def server(tmp_path, seeded_db):
    """`inspect-app serve` on loopback, on its own copy of the demo data."""
    from browser import start_server

    live = start_server(tmp_path, seeded_db)
    yield live
    live.stop()
