"""Issuing (issue 18): numbers in the issuer's register, the frozen PDF, refusals that take no number."""

from __future__ import annotations

import asyncio
import hashlib
import io

import msgspec
import pytest
from conftest import login, post_form
import dbtarget
from issuing_support import broken_maker, register_rows, sign_off_all, signed_off_visit, tiny_maker
from litestar.testing import AsyncTestClient, TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from inspect_app.app import create_app
from inspect_app.reports import rules


def app_with(settings, maker=tiny_maker):
    app = create_app(settings)
    app.state.pdf_maker = maker
    return app


def set_plan_setting(settings, key: str, value: str) -> None:
    dbtarget.sql(settings, "INSERT INTO plan_settings (plan_id, key, value, version, updated_at)"
                           " SELECT id, ?, ?, 1, '2026-01-01T00:00:00Z' FROM plans WHERE true"
                           " ON CONFLICT (plan_id, key) DO UPDATE SET value = excluded.value, version = 1,"
                           " updated_at = excluded.updated_at", key, value)


def api(client, url: str):
    return client.post(url, headers={"x-csrftoken": client.cookies.get("csrftoken", "")})


def test_twenty_concurrent_issues_get_twenty_consecutive_numbers(settings):
    ids = sign_off_all(settings)
    set_plan_setting(settings, "minutes_issuer", "department")  # 2 documents a visit: 20 for the demo's 10
    targets = [(v, kind) for v in ids for kind in ("notice", "minutes")][:20]
    assert len(targets) == 20

    async def scenario():
        async with AsyncTestClient(app_with(settings)) as client:
            await client.get("/login")
            await client.post("/login", data={"username": "sonoivu", "password": "demo-pass-2026", "next": "/",
                                              "_csrf_token": client.cookies["csrftoken"]})
            token = client.cookies["csrftoken"]
            calls = [client.post(f"/api/v1/visits/{v}/{kind}/issue", headers={"x-csrftoken": token})
                     for v, kind in targets]
            return await asyncio.gather(*calls)

    responses = asyncio.run(scenario())
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses if r.status_code != 200]
    numbers = sorted(int(r.json()["number"].split("/")[0]) for r in responses)
    assert numbers == list(range(1, 21))
    year = rules.today_in_vietnam().year
    rows = register_rows(settings)
    assert [(r[0], r[1], r[2]) for r in rows] == [("SNV", year, n) for n in range(1, 21)]
    symbols = {r.json()["number"].split("/")[1] for r in responses}
    assert symbols == {"TB-SNV", "BB-SNV"}  # one sequence across document types

    with TestClient(app_with(settings)) as client:
        login(client, "sonoivu")
        page = client.get("/documents")
        assert page.status_code == 200
        for n in range(1, 21):
            assert f"{n:02d}/" in page.text
        sheet = load_workbook(io.BytesIO(client.get("/documents.xlsx").content)).active
        listed = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert len(listed) == 20 and listed[0] == "01/" + rows[0][3].replace("notice", "TB").replace("minutes", "BB") + "-SNV"
        assert sheet.cell(1, 1).value == "Số, ký hiệu văn bản"


def test_issue_again_returns_the_same_number_and_the_pdf_is_frozen(settings):
    visit = signed_off_visit(settings)
    with TestClient(app_with(settings)) as client:
        login(client, "sonoivu")
        first = api(client, f"/api/v1/visits/{visit}/notice/issue")
        assert first.status_code == 200, first.text
        body = first.json()
        assert set(body) == {"number", "issued_at", "sha256"}
        assert body["number"] == "01/TB-SNV"
        again = api(client, f"/api/v1/visits/{visit}/notice/issue")
        assert again.json() == body
        pdf = client.get(f"/visits/{visit}/notice.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert hashlib.sha256(pdf.content).hexdigest() == body["sha256"]
        assert client.get(f"/visits/{visit}/notice.pdf").content == pdf.content  # byte for byte, every time
        info = PdfReader(io.BytesIO(pdf.content)).metadata
        doc_id = info["/SoKiemTraDocId"]
        assert info["/SoKiemTraNumber"] == "01/TB-SNV"
        assert dbtarget.sql(settings, "SELECT doc_id FROM issued_documents")[0][0] == doc_id
        actions = [r[0] for r in dbtarget.sql(settings, "SELECT action FROM audit_log WHERE action = 'document.issue'")]
        assert actions == ["document.issue"]
        audit_page = client.get("/audit", params={"action": "document.issue"})
        assert "01/TB-SNV" in audit_page.text
        # The unit's officer reads the issued file too (the document route's own rule).
        login(client, "dv11560")


def test_a_failed_render_or_signature_takes_no_number(settings, tmp_path):
    visit = signed_off_visit(settings)
    with TestClient(app_with(settings, broken_maker)) as client:
        login(client, "sonoivu")
        failed = api(client, f"/api/v1/visits/{visit}/notice/issue")
        assert failed.status_code == 503 and failed.json()["error"] == "render_failed"
        assert "chưa cấp số" in failed.json()["message"]
    assert register_rows(settings) == []
    broken_key = msgspec.structs.replace(settings, signing_p12=tmp_path / "missing.p12", signing_p12_password="x")
    with TestClient(app_with(broken_key)) as client:
        login(client, "sonoivu")
        failed = api(client, f"/api/v1/visits/{visit}/notice/issue")
        assert failed.status_code == 503 and failed.json()["error"] == "signing_failed"
    assert register_rows(settings) == []
    with TestClient(app_with(settings)) as client:
        login(client, "sonoivu")
        assert api(client, f"/api/v1/visits/{visit}/notice/issue").json()["number"] == "01/TB-SNV"  # nothing skipped


def test_issuing_is_refused_with_a_reason(settings):
    visit = signed_off_visit(settings)
    planned = dbtarget.sql(settings, "SELECT id FROM visits WHERE status = 'planned' LIMIT 1")[0][0]
    with TestClient(app_with(settings)) as client:
        login(client, "truongdoan")
        assert api(client, f"/api/v1/visits/{visit}/notice/issue").status_code == 403
        login(client, "sonoivu")
        refused = api(client, f"/api/v1/visits/{planned}/notice/issue")
        assert refused.status_code == 409 and refused.json()["error"] == "not_signed_off"
        minutes = api(client, f"/api/v1/visits/{visit}/minutes/issue")  # the plan's default: the team issues them
        assert minutes.status_code == 409 and minutes.json()["error"] == "issued_by_team"
        assert "Đoàn kiểm tra" in minutes.json()["message"]
        # The page's button: a 303 back to the page, which shows the number.
        page = post_form(client, f"/visits/{visit}/issue", {"kind": "notice"})
        assert page.status_code == 303
        shown = client.get(page.headers["location"])
        assert "Đã phát hành thông báo kết luận kiểm tra số 01/TB-SNV" in shown.text
        assert "Theo thiết lập của kế hoạch, biên bản" in shown.text
    assert len(register_rows(settings)) == 1


def test_the_plan_names_the_issuer_abbreviation_and_signer(settings):
    visit = signed_off_visit(settings)
    plan = dbtarget.sql(settings, "SELECT plan_id FROM visits WHERE id = ?", visit)[0][0]
    with TestClient(app_with(settings)) as client:
        login(client, "sonoivu")
        page = client.get(f"/plans/{plan}")
        assert 'name="issuer_abbreviation" value="SNV"' in page.text
        bad = post_form(client, f"/plans/{plan}/settings", {"issuer_abbreviation": "S N V", "base_issuer_abbreviation": "0"})
        assert "Giá trị không hợp lệ" in client.get(bad.headers["location"]).text
        ok = post_form(client, f"/plans/{plan}/settings", {
            "issuer_abbreviation": "sktt", "base_issuer_abbreviation": "0",
            "signer_name": "Trần Thị Hoa", "base_signer_name": "0",
            "recipients": "- UBND xã A;\n- Lưu: VT, CCHC.", "base_recipients": "0"})
        assert "Đã lưu thiết lập" in client.get(ok.headers["location"]).text
        out = api(client, f"/api/v1/visits/{visit}/notice/issue").json()
        assert out["number"] == "01/TB-SKTT"
        register_page = client.get("/documents").text
        assert "Trần Thị Hoa" in register_page and "UBND xã A" in register_page
        login(client, "truongdoan")
        assert client.get("/documents").status_code == 403


def test_a_number_taken_meanwhile_is_rendered_again_with_the_next(settings):
    """Another writer (another process: the in-process lock does not see it) takes the number between
    the render and the write: the document is rendered again and gets the next number."""
    visit = signed_off_visit(settings)
    year = rules.today_in_vietnam().year
    stamps = []

    async def racing_maker(db, evidence_dir, visit_id, kind, stamp):
        stamps.append(stamp.number)
        if len(stamps) == 1:
            dbtarget.sql(  # another connection, from inside the app's event loop
                settings,
                "INSERT INTO issued_documents (doc_id, issuer, year, number, symbol, kind, visit_id, issued_at,"
                " issued_on, summary, recipients, signer, sha256, pdf) VALUES ('other', 'SNV', ?, 1, 'TB-SNV',"
                " 'notice', (SELECT MAX(id) FROM visits), '', '', 'x', '', '', 'h', ?)", year, b"\x00")
        return await tiny_maker(db, evidence_dir, visit_id, kind, stamp)

    with TestClient(app_with(settings, racing_maker)) as client:
        login(client, "sonoivu")
        out = api(client, f"/api/v1/visits/{visit}/notice/issue").json()
    assert stamps == ["01/TB-SNV", "02/TB-SNV"]
    assert out["number"] == "02/TB-SNV"
    assert [r[2] for r in register_rows(settings)] == [1, 2]


def test_the_issued_notice_prints_its_number_date_signer_and_recipients(settings):
    """Through the real engine (headless Chromium, reports/pdf.py): the frozen PDF is the notice as issued."""
    from browser import require_chromium

    require_chromium()
    visit = signed_off_visit(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "sonoivu")
        draft = client.get(f"/visits/{visit}/notice.pdf").content
        out = api(client, f"/api/v1/visits/{visit}/notice/issue").json()
        pdf = client.get(f"/visits/{visit}/notice.pdf").content
    assert hashlib.sha256(pdf).hexdigest() == out["sha256"] and pdf != draft
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Số: 01/TB-SNV" in text
    assert "KT. GIÁM ĐỐC" in text and "PHÓ GIÁM ĐỐC" in text
    assert "Lưu: VT, CCHC." in text
    assert "(Ký, đóng dấu)" not in text  # no form hints in an issued document
    draft_text = PdfReader(io.BytesIO(draft)).pages[0].extract_text()
    assert "01/TB-SNV" not in draft_text  # before issuing, the number is left blank
