"""Who may read which report, bad input as Vietnamese 4xx, and progress for long renders."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import login, post_form
import dbtarget
from reports_fixtures import meta, rclient, reports_seed, rsettings  # noqa: F401 (fixtures)

from inspect_app.reports import render

DOCS = ("minutes", "minutes.docx", "notice", "notice.docx")


def sql(settings, statement: str, *params) -> None:
    dbtarget.sql(settings, statement, *params)


@pytest.mark.parametrize("username", ["sonoivu", "truongdoan", "kiemtravien", "dv11560"])
def test_team_admin_and_the_units_officer_read_signed_off_documents(rclient, meta, username):
    login(rclient, username)
    visit_id = meta["current"]["visits"]["11560"]
    for doc in DOCS:
        assert rclient.get(f"/visits/{visit_id}/{doc}").status_code == 200, doc


def test_unit_officer_waits_for_sign_off_and_never_sees_other_units(rclient, rsettings, meta):
    visit_id = meta["current"]["visits"]["11560"]
    sql(rsettings, "UPDATE visits SET status = 'submitted' WHERE id = ?", visit_id)
    login(rclient, "dv11560")
    for doc in DOCS:
        refused = rclient.get(f"/visits/{visit_id}/{doc}")
        assert refused.status_code == 403 and "chỉ có sau khi trưởng đoàn ký duyệt" in refused.text
    other = meta["current"]["visits"]["11167"]
    assert rclient.get(f"/visits/{other}/minutes.docx").status_code == 404  # existence does not leak
    # Staff may read the draft, marked as such.
    login(rclient, "kiemtravien")
    assert "DỰ THẢO" in rclient.get(f"/visits/{visit_id}/minutes").text


def test_inspector_of_another_team_is_refused(rclient, rsettings, meta):
    visit_id = meta["current"]["visits"]["11560"]
    sql(rsettings, "DELETE FROM team_members WHERE user_id = (SELECT id FROM users WHERE username = 'kiemtravien')"
                   " AND team_id = ?", meta["current"]["team_id"])
    login(rclient, "kiemtravien")
    response = rclient.get(f"/visits/{visit_id}/minutes.docx")
    assert response.status_code == 403 and "không thuộc đoàn kiểm tra" in response.text
    assert rclient.get("/visits/999999/minutes").status_code == 404


def test_plan_report_for_admin_and_the_plans_leads_only(rclient, rsettings, meta):
    plan_id = meta["current"]["plan_id"]
    for username, status in (("sonoivu", 200), ("truongdoan", 200), ("kiemtravien", 403), ("dv11560", 403)):
        login(rclient, username)
        assert rclient.get(f"/reports/plans/{plan_id}").status_code == status, username
        assert rclient.get("/reports").status_code == (200 if username == "sonoivu" else 403), username
        assert rclient.get("/reports/periodic").status_code == (200 if username == "sonoivu" else 403), username
    sql(rsettings, "DELETE FROM team_members WHERE user_id = (SELECT id FROM users WHERE username = 'truongdoan')"
                   " AND team_id = ?", meta["current"]["team_id"])
    login(rclient, "truongdoan")
    assert rclient.get(f"/reports/plans/{plan_id}").status_code == 404
    assert post_form(rclient, f"/reports/plans/{plan_id}/export", {"format": "docx"}).status_code == 404


def test_generated_files_are_served_only_to_whoever_asked(rclient, meta):
    plan_id = meta["current"]["plan_id"]
    login(rclient, "truongdoan")
    started = post_form(rclient, f"/reports/plans/{plan_id}/export", {"format": "xlsx"})
    job = started.headers["location"]
    assert rclient.get(job + "/file").status_code == 200
    login(rclient, "sonoivu")
    assert rclient.get(job).status_code == 404 and rclient.get(job + "/file").status_code == 404
    login(rclient, "dv11560")  # units follow their own jobs (evidence packages), not anyone else's
    assert rclient.get(job + "/file").status_code == 404
    rclient.cookies.clear()
    assert rclient.get(job + "/file", follow_redirects=False).status_code == 303  # to the login page


@pytest.mark.parametrize("url, data, message", [
    ("/reports/plans/{plan}/export", {"format": "odt"}, "Định dạng phải là một trong"),
    ("/reports/plans/{plan}/export", {"format": "docx", "threshold": "nhiều"}, "Ngưỡng phải là"),
    ("/reports/plans/{plan}/export", {"format": "docx", "threshold": "150"}, "Ngưỡng phải là"),
    ("/reports/periodic/export", {"format": "docx", "year": "hai nghìn"}, "Năm hoặc quý không hợp lệ"),
    ("/reports/periodic/export", {"format": "docx", "year": "2026", "quarter": "5"}, "Quý phải là"),
    ("/reports/periodic/export", {"format": "xlsx", "year": "1890"}, "Năm báo cáo không hợp lệ"),
    ("/reports/periodic/export", {"format": "html", "year": "2026"}, "Định dạng phải là một trong"),
])
def test_bad_export_input_is_a_vietnamese_400(rclient, meta, url, data, message):
    login(rclient, "sonoivu")
    response = post_form(rclient, url.format(plan=meta["current"]["plan_id"]), data)
    assert response.status_code == 400 and message in response.text


@pytest.mark.parametrize("query, status", [
    ("kind=thon", 400), ("status=xong", 400), ("province=99", 400), ("plan=999999", 404), ("plan=abc", 400),
    ("area=" + "9" * 20, 400), ("q=" + "x" * 500, 200),
])
def test_bad_dashboard_filters_are_4xx_not_500(rclient, query, status):
    login(rclient, "sonoivu")
    assert rclient.get(f"/reports?{query}").status_code == status
    assert rclient.get("/reports/periodic?year=abc").status_code == 400
    assert rclient.get("/reports/plans/999999").status_code == 404
    assert rclient.get("/reports/jobs/khong-co").status_code == 404


def test_long_render_shows_progress_then_the_download(rclient, meta, monkeypatch):
    """An export taking longer than a second answers with a polling fragment at once."""
    real = render.plan_file

    async def slow(db, plan_id, fmt, *, threshold, progress, today=None):
        for step in range(3):
            progress(step, 3, f"Bước {step + 1}/3")
            await asyncio.sleep(0.6)
        return await real(db, plan_id, fmt, threshold=threshold, progress=progress)

    monkeypatch.setattr(render, "plan_file", slow)
    login(rclient, "sonoivu")
    plan_id = meta["current"]["plan_id"]
    first = post_form(rclient, f"/reports/plans/{plan_id}/export", {"format": "docx"}, headers={"HX-Request": "true"})
    assert first.status_code == 200
    assert 'hx-trigger="every 1s"' in first.text and "<progress" in first.text and "Bước" in first.text
    job_id = first.text.split('id="job-', 1)[1].split('"', 1)[0]
    for _ in range(50):
        poll = rclient.get(f"/reports/jobs/{job_id}", headers={"HX-Request": "true"})
        if "hx-trigger" not in poll.text:
            break
        time.sleep(0.1)
    assert f"/reports/jobs/{job_id}/file" in poll.text and "<html" not in poll.text  # the fragment, not a page
    assert rclient.get(f"/reports/jobs/{job_id}/file").content[:2] == b"PK"
    # A double click while it runs does not start a second render.
    again = post_form(rclient, f"/reports/plans/{plan_id}/export", {"format": "xlsx"}, headers={"HX-Request": "true"})
    again_id = again.text.split('id="job-', 1)[1].split('"', 1)[0]
    twice = post_form(rclient, f"/reports/plans/{plan_id}/export", {"format": "xlsx"}, headers={"HX-Request": "true"})
    assert twice.text.split('id="job-', 1)[1].split('"', 1)[0] == again_id


def test_slow_plan_page_polls_then_reloads(rclient, meta, monkeypatch):
    from inspect_app.web import reports as web_reports

    real = web_reports.build_plan_report

    async def slow(db, plan_id, **kwargs):
        await asyncio.sleep(1.3)
        return await real(db, plan_id, **kwargs)

    monkeypatch.setattr(web_reports, "build_plan_report", slow)
    login(rclient, "sonoivu")
    plan_id = meta["current"]["plan_id"]
    page = rclient.get(f"/reports/plans/{plan_id}")
    assert page.status_code == 200 and "<progress" in page.text and "Đơn vị" not in page.text.split("</h1>")[1][:50]
    job_id = page.text.split('id="job-', 1)[1].split('"', 1)[0]
    for _ in range(50):
        poll = rclient.get(f"/reports/jobs/{job_id}", headers={"HX-Request": "true"})
        if poll.headers.get("hx-refresh") == "true":
            break
        time.sleep(0.1)
    assert poll.headers.get("hx-refresh") == "true"
    ready = rclient.get(f"/reports/plans/{plan_id}")
    assert "Phường Hải Dương" in ready.text and "<svg" in ready.text
