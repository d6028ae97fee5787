"""Several app processes over one database (issue 20): nothing a request needs lives in one process's memory.

Each test runs two apps (`create_app` twice, each with its own event loop, database connections and
state) on the same data folder, as two `inspect-app serve` nodes behind a load balancer would: what one
node writes, the other reads.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import msgspec
from conftest import login, post_form, run, text_of
from litestar.testing import TestClient
from reports_fixtures import meta, reports_seed, rsettings  # noqa: F401 (fixtures)

from inspect_app.app import create_app
from inspect_app.db import Database
from inspect_app.reports import jobs, render
from inspect_app.reports.plan_data import Filters, PlanReport, build_plan_report

HX = {"HX-Request": "true"}


@contextmanager
def two_nodes(settings):
    with TestClient(create_app(settings)) as a, TestClient(create_app(settings)) as b:
        assert a.app is not b.app and a.app.state.db is not b.app.state.db
        yield a, b


def same_browser(source: TestClient, target: TestClient) -> None:
    """The load balancer sends the browser's next request to the other node: same cookies."""
    target.cookies.clear()
    for name, value in source.cookies.items():
        target.cookies.set(name, value)


def job_id_in(html: str) -> str:
    return html.split('id="job-', 1)[1].split('"', 1)[0]


def test_a_flash_note_made_on_one_node_is_read_on_the_other(settings):
    with two_nodes(settings) as (a, b):
        login(a, "dv11086")
        item = next(i for i in a.get("/api/v1/remediation").json() if i["status"] == "open")
        text = "Đơn vị đã bổ sung. " * 300  # too long: refused, what was typed is kept
        refused = post_form(a, f"/remediation/{item['id']}/answer", {"text": text, "action": "submit"})
        assert refused.status_code == 303 and "flash=" in refused.headers["location"]
        same_browser(a, b)
        page = b.get(refused.headers["location"]).text
        assert "dài quá" in text_of(page.split('class="alert alert-error" role="alert">')[1].split("</p>")[0])
        assert text.strip() in page.split('id="a-text"')[1].split("</textarea>")[0]
        login(b, "sonoivu")  # another user's token finds nothing, on either node
        assert "dài quá" not in b.get(refused.headers["location"]).text


def test_a_plain_forms_conflict_travels_as_data_and_is_shown_on_the_other_node(settings):
    """The note of a stale plain-form save keeps the stored value as JSON; the page rebuilds the card."""
    from test_capture_labels import api, items, visit_of

    from inspect_app.text import vn_number

    with two_nodes(settings) as (a, b):
        login(a, "kiemtravien")
        visit = visit_of(a, "11560")
        item = next(i for i in items(a, visit) if i["type"] == "score" and i["max_points"] > i["step"])
        url = f"/api/v1/visits/{visit['id']}/findings/{item['code']}"
        assert a.put(url, json={"answer": item["max_points"], "base_version": 0}, headers=api(a)).status_code == 200
        stale = post_form(a, f"/visits/{visit['id']}/items/{item['code']}",
                          {"number": vn_number(item["step"]), "note": "", "base_version": "0"})
        assert stale.status_code == 303 and "flash=" in stale.headers["location"]
        same_browser(a, b)
        page = b.get(stale.headers["location"])
        assert page.status_code == 200
        full, step = vn_number(item["max_points"]), vn_number(item["step"])
        box = text_of(page.text)
        assert "sau khi bạn mở trang" in box
        # both values: the stored one rebuilt from the note's JSON, with its points, and the one typed
        assert f"({full}/{full} đ)" in box and f"Giá trị của bạn (đang hiện trên thẻ): {step}" in box


def test_login_failures_count_across_nodes(settings):
    with two_nodes(settings) as (a, b):
        for client in (a, b, a, b, a):
            assert login(client, "truongdoan", "wrong-password").status_code == 400
        for client in (a, b):
            refused = login(client, "truongdoan")
            assert refused.status_code == 429 and "quá nhiều lần" in refused.text
        assert login(b, "kiemtravien").status_code == 303  # another account from the same address
    with sqlite3.connect(settings.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM login_failures WHERE username = 'truongdoan'").fetchone()[0] == 5


def test_a_report_job_started_on_one_node_is_followed_and_downloaded_on_the_other(rsettings, meta, monkeypatch):
    real = render.plan_file

    async def slow(db, plan_id, fmt, *, threshold, progress, today=None):
        for step in range(3):
            progress(step, 3, f"Bước {step + 1}/3")
            await asyncio.sleep(1.0)
        return await real(db, plan_id, fmt, threshold=threshold, progress=progress)

    monkeypatch.setattr(render, "plan_file", slow)
    plan_id = meta["current"]["plan_id"]
    with two_nodes(rsettings) as (a, b):
        login(a, "sonoivu")
        same_browser(a, b)
        first = post_form(a, f"/reports/plans/{plan_id}/export", {"format": "docx"}, headers=HX)
        assert first.status_code == 200 and "<progress" in first.text
        job_id = job_id_in(first.text)
        # A second click lands on the other node: it joins the running job instead of starting another.
        again = post_form(b, f"/reports/plans/{plan_id}/export", {"format": "docx"}, headers=HX)
        assert job_id_in(again.text) == job_id
        seen = set(re.findall(r"Bước \d/3", again.text))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            poll = b.get(f"/reports/jobs/{job_id}", headers=HX)
            assert poll.status_code == 200
            seen |= set(re.findall(r"Bước \d/3", poll.text))
            if "hx-trigger" not in poll.text:
                break
            time.sleep(0.1)
        assert f"/reports/jobs/{job_id}/file" in poll.text
        assert seen  # the progress the running node wrote, read on the other
        download = b.get(f"/reports/jobs/{job_id}/file")
        assert download.status_code == 200 and download.content[:2] == b"PK"
        login(b, "truongdoan")  # only the person who asked, on any node
        assert b.get(f"/reports/jobs/{job_id}").status_code == 404
        assert b.get(f"/reports/jobs/{job_id}/file").status_code == 404
    with sqlite3.connect(rsettings.db_path) as conn:
        row = conn.execute("SELECT status, path, done, total FROM report_jobs WHERE id = ?", (job_id,)).fetchone()
    assert row[0] == "done" and row[1].startswith("reports/") and (rsettings.data_dir / row[1]).exists()


def test_the_plan_report_assembled_on_one_node_is_shown_by_the_other(rsettings, meta, monkeypatch):
    """An on-screen result travels in the row: the page's reload after the progress may reach any node."""
    from inspect_app.web import reports as web_reports

    real = web_reports.build_plan_report

    async def slow(db, plan_id, **kwargs):
        await asyncio.sleep(1.3)
        return await real(db, plan_id, **kwargs)

    monkeypatch.setattr(web_reports, "build_plan_report", slow)
    plan_id = meta["current"]["plan_id"]
    with two_nodes(rsettings) as (a, b):
        login(a, "sonoivu")
        same_browser(a, b)
        page = a.get(f"/reports/plans/{plan_id}")
        assert "<progress" in page.text
        job_id = job_id_in(page.text)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            poll = b.get(f"/reports/jobs/{job_id}", headers=HX)
            if poll.headers.get("hx-refresh") == "true":
                break
            time.sleep(0.1)
        assert poll.headers.get("hx-refresh") == "true"
        assert not b.app.state.jobs.results  # node B never ran it
        ready = b.get(f"/reports/plans/{plan_id}")
        assert "Phường Hải Dương" in ready.text and "<svg" in ready.text
        assert "<progress" not in ready.text  # the same job, decoded from its row: no second render
        dashboard = b.get(f"/reports?plan={plan_id}")
        assert dashboard.status_code == 200


def test_a_plan_report_survives_its_trip_through_the_row_unchanged(rsettings, meta):
    async def both() -> None:
        db = await Database.open(rsettings.db_path)
        try:
            report = await build_plan_report(db, meta["current"]["plan_id"], threshold=65.0, filters=Filters())
        finally:
            await db.close()
        assert report.appraisals or report.groups
        assert msgspec.msgpack.decode(msgspec.msgpack.encode(report), type=PlanReport) == report
    run(both())


def test_a_job_whose_node_stopped_reads_as_failed_and_an_hour_old_one_is_dropped(rsettings, meta):
    plan_id = meta["current"]["plan_id"]
    with TestClient(create_app(rsettings)) as a:
        login(a, "sonoivu")
        with sqlite3.connect(rsettings.db_path) as conn:
            owner = conn.execute("SELECT id FROM users WHERE username = 'sonoivu'").fetchone()[0]
        key = jobs.job_key(("plan", plan_id, "docx", 65.0))
        old = (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds").replace("+00:00", "Z")
        with sqlite3.connect(rsettings.db_path) as conn:
            conn.execute("INSERT INTO report_jobs (id, owner_id, title, key, status, done, total, step, created_at,"
                         " heartbeat_at) VALUES ('mat-tich', ?, 'Báo cáo', ?, 'running', 1, 3, 'Bước 1', ?, ?)",
                         (owner, key, old, old))
            hour_ago = (datetime.now(UTC) - timedelta(minutes=61)).isoformat(timespec="seconds").replace("+00:00", "Z")
            conn.execute("INSERT INTO report_jobs (id, owner_id, title, key, status, filename, path, created_at,"
                         " finished_at, heartbeat_at) VALUES ('cu', ?, 'Báo cáo cũ', '[]', 'done', 'cu.docx',"
                         " 'reports/cu-cu.docx', ?, ?, ?)", (owner, hour_ago, hour_ago, hour_ago))
        (rsettings.data_dir / "reports").mkdir(exist_ok=True)
        (rsettings.data_dir / "reports" / "cu-cu.docx").write_bytes(b"PK old")
        gone = a.get("/reports/jobs/mat-tich", headers=HX)
        assert gone.status_code == 200 and "dừng giữa chừng" in gone.text and "hx-trigger" not in gone.text
        started = post_form(a, f"/reports/plans/{plan_id}/export", {"format": "docx"}, headers=HX)
        assert job_id_in(started.text) != "mat-tich"
    with sqlite3.connect(rsettings.db_path) as conn:
        assert conn.execute("SELECT status FROM report_jobs WHERE id = 'mat-tich'").fetchone()[0] == "failed"
        assert conn.execute("SELECT count(*) FROM report_jobs WHERE id = 'cu'").fetchone()[0] == 0  # after an hour
    assert not (rsettings.data_dir / "reports" / "cu-cu.docx").exists()


def test_a_checklist_published_on_one_node_is_current_on_the_other(settings):
    from test_checklist_editor import current, draft_version, start_draft

    with two_nodes(settings) as (a, b):
        login(a, "sonoivu")
        same_browser(a, b)
        before = current(b)["version"]
        url = start_draft(a)
        post_form(a, url + "/nodes/c", {"draft_version": draft_version(a, url), "fields": "version,title",
                                        "version": "2026.9", "title": "Bộ tiêu chí công bố trên nút A"})
        published = post_form(a, url + "/publish", {"draft_version": draft_version(a, url)})
        assert published.status_code == 303
        now = current(b)
        assert now["version"] != before and now["title"] == "Bộ tiêu chí công bố trên nút A"
        assert current(a)["version"] == now["version"]


def test_nodes_starting_together_on_a_new_data_folder_share_one_secret_key(tmp_path):
    """The CSRF token and the cookies are signed with the data folder's key: every node must hold the same."""
    from concurrent.futures import ThreadPoolExecutor

    from inspect_app.settings import Settings

    data_dir = tmp_path / "fresh"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: Settings(data_dir=data_dir).with_secret().secret_key, range(16)))
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert sorted(p.name for p in data_dir.iterdir()) == ["secret_key"]  # no temporary file left behind
