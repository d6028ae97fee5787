"""The pages each role works with: home, plans, visits, users, audit."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import uuid
from datetime import date, datetime, timedelta, timezone

import brotli
from conftest import csrf_token, followed, login, post_form, text_of
import dbtarget

from inspect_app.settings import ROOT
from inspect_app.web import static
from inspect_app.web.templating import asset


def test_inspector_home_shows_todays_and_upcoming_visits(as_role):
    client = as_role("inspector")
    page = text_of(client.get("/").text)
    assert f"Hôm nay, {date.today():%d/%m/%Y}" in page
    assert "Phường Thủy Nguyên" in page  # scheduled today by the demo
    assert "Sắp tới" in page


def test_admin_home_shows_the_plan_and_progress(as_role):
    page = text_of(as_role("admin").get("/").text)
    assert "Kế hoạch 33/KH-UBND" in page
    assert "10 cuộc kiểm tra" in page  # 6 scheduled, 3 past, 1 surprise one-stop visit
    assert "Đã lên lịch: 7" in page and "Đã ký duyệt: 3" in page


def test_unit_home_shows_their_unit_and_its_visit(as_role):
    page = text_of(as_role("unit").get("/").text)
    assert "Phường Thủy Nguyên" in page and "Mã đơn vị 11560" in page
    assert "chưa có kiến nghị khắc phục" in page.lower()


def test_plan_detail_shows_team_decision_and_visits(as_role):
    client = as_role("lead")
    plan = client.get("/api/v1/plans").json()[0]
    page = text_of(client.get(f"/plans/{plan['id']}").text)
    assert "Đoàn kiểm tra số 1" in page
    assert "272/QĐ-UBND" in page
    assert "Trần Văn Minh — Trưởng đoàn" in page
    assert "Phường Thủy Nguyên" in page


def test_visit_page_names_the_pinned_checklist_version(as_role):
    client = as_role("inspector")
    visit = client.get("/api/v1/visits").json()[0]
    page = text_of(client.get(f"/visits/{visit['id']}").text)
    assert visit["checklist_version"] in page
    assert "Bộ tiêu chí" in page


def test_admin_creates_a_plan_and_bad_dates_are_explained(as_role):
    client = as_role("admin")
    bad = post_form(client, "/plans/", {"number": "45/KH-UBND", "issued_on": "2026-13-01", "issuer": "UBND",
                                        "title": "Kiểm tra", "period_start": "2026-03-01", "period_end": "2026-02-01"})
    shown = followed(client, bad)
    assert "Ngày không hợp lệ." in shown.text and "Ngày kết thúc phải sau ngày bắt đầu." in shown.text
    assert 'value="45/KH-UBND"' in shown.text  # what was typed is kept
    ok = post_form(client, "/plans/", {
        "number": "45/KH-UBND", "issued_on": "2026-03-01", "issuer": "UBND thành phố Hải Phòng",
        "title": "Kiểm tra đột xuất công tác CCHC quý II", "legal_basis": "", "province_code": "31",
        "period_start": "2026-04-01", "period_end": "2026-06-30"})
    assert ok.status_code == 303
    numbers = [p["number"] for p in client.get("/api/v1/plans").json()]
    assert "45/KH-UBND" in numbers
    audit = text_of(client.get("/audit", params={"action": "plan."}).text)
    assert "Tạo kế hoạch kiểm tra" in audit and "Số, ký hiệu: 45/KH-UBND, ngày ban hành 01/03/2026" in audit


def test_admin_creates_a_unit_officer_who_can_log_in(as_role):
    client = as_role("admin")
    missing_unit = post_form(client, "/users/", {"username": "dv99999", "full_name": "A", "role": "unit",
                                                 "unit_code": "99999", "password": "mat-khau-dai"})
    shown = followed(client, missing_unit).text
    assert "Không có đơn vị mã 99999" in shown and 'value="dv99999"' in shown
    short = post_form(client, "/users/", {"username": "dvmoi", "full_name": "A", "role": "unit",
                                          "unit_code": "10525", "password": "ngan"})
    assert "ít nhất 8 ký tự" in followed(client, short).text
    ok = post_form(client, "/users/", {"username": "canbo10525", "full_name": "Đỗ Văn Nam", "role": "unit",
                                       "unit_code": "10525", "password": "mat-khau-dai"})
    assert ok.status_code == 303
    assert login(client, "canbo10525", "mat-khau-dai").status_code == 303
    assert client.get("/api/v1/me").json() == {"username": "canbo10525", "role": "unit", "unit_code": "10525",
                                               "full_name": "Đỗ Văn Nam"}


def test_audit_page_filters_and_reports_an_intact_chain(as_role):
    client = as_role("admin")
    page = text_of(client.get("/audit", params={"actor": "demo"}).text)
    assert "chuỗi băm toàn vẹn" in page
    assert "Lên lịch cuộc kiểm tra" in page and "Dữ liệu mẫu" in page
    assert "Đăng nhập Tài khoản" not in page  # filtered to the demo actor
    logins = text_of(client.get("/audit", params={"action": "auth."}).text)
    assert "Đăng nhập" in logins and "Nguyễn Thị Thu Hà sonoivu" in logins


def audit_rows(html: str) -> list[str]:
    """The audit table's rows as visible text."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    return [text_of(row).strip() for row in re.findall(r"<tr.*?</tr>", body.group(1), re.S)] if body else []


def test_audit_page_reads_in_vietnamese_time_words_and_names(as_role, settings):
    """Issue 15: the audit page showed UTC "(UTC)", action codes, usernames and raw JSON."""
    client = as_role("inspector")
    visit = next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == "11560")
    tree = client.get(f"/api/v1/checklists/{visit['checklist_id']}",
                      params={"version": visit["checklist_version"]}).json()["checklist"]
    item = next(i for a in tree["areas"] for c in a["criteria"] for i in c["items"] if i["type"] == "yesno")
    url = f"/api/v1/visits/{visit['id']}/findings/{item['code']}"
    for version, answer, note in ((0, False, "Chưa niêm yết"), (1, True, "Đã niêm yết bổ sung")):
        response = client.put(url, json={"answer": answer, "note": note, "base_version": version},
                              headers={"x-csrftoken": csrf_token(client), "Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code == 200, response.text
    client = as_role("admin")
    page = client.get("/audit")
    assert page.status_code == 200
    assert "(UTC)" not in page.text and "finding.save" not in text_of(page.text)
    rows = audit_rows(page.text)
    assert not any("{" in row for row in rows), "raw JSON on the audit page"
    saved = next(row for row in rows if f"Tiêu chí {item['code']}" in row and "→" in row)
    assert "Lê Thị Hồng Nhung kiemtravien" in saved and "Ghi kết quả tiêu chí" in saved
    assert f"Tiêu chí {item['code']} ({item['text'][:20]}" in saved and ": Không đạt → Đạt" in saved
    assert "Ghi chú: “Chưa niêm yết” → “Đã niêm yết bổ sung”" in saved
    assert f"Cuộc kiểm tra #{visit['id']} · Phường Thủy Nguyên" in saved
    at = dbtarget.sql(settings, "SELECT at FROM audit_log WHERE action = 'finding.save' ORDER BY id DESC")[0][0]
    local = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(timezone(timedelta(hours=7)))
    assert saved.startswith(f"{local:%d/%m/%Y %H:%M:%S}")  # Vietnam time, as on every other page


def test_audit_filters_are_kept_across_pages(as_role, settings):
    client = as_role("admin")
    first = client.get("/audit", params={"action": "finding.", "actor": "kiemtravien"})
    rows = audit_rows(first.text)
    assert len(rows) == 100 and all("Ghi kết quả tiêu chí" in row for row in rows)
    older = re.search(r'href="([^"]*page=2[^"]*)"', first.text).group(1).replace("&amp;", "&")
    assert "action=finding." in older and "actor=kiemtravien" in older
    second = client.get(older)
    assert second.status_code == 200 and "‹ Mới hơn" in second.text
    rows2 = audit_rows(second.text)
    assert rows2 and all("Ghi kết quả tiêu chí" in row for row in rows2) and rows2[0] not in rows
    newer = re.search(r'href="([^"]*page=1[^"]*)"', second.text).group(1).replace("&amp;", "&")
    assert "action=finding." in newer and "actor=kiemtravien" in newer
    # The filter form shows what is applied.
    assert '<option value="finding." selected>' in second.text
    assert '<option value="kiemtravien" selected>Lê Thị Hồng Nhung (kiemtravien)</option>' in second.text


def test_audit_filters_by_object_and_vietnamese_days(as_role, settings):
    client = as_role("admin")
    visit_id = dbtarget.sql(settings, "SELECT subject_id FROM audit_log WHERE action = 'evidence.add'")[0][0]
    count = dbtarget.sql(settings, "SELECT count(*) FROM audit_log WHERE subject_id = ? AND (subject_type = 'visit' OR"
                                   " subject_type LIKE 'finding:%' OR subject_type LIKE 'self:%')", visit_id)[0][0]
    page = client.get("/audit", params={"kind": "visit", "object_id": visit_id})
    rows = audit_rows(page.text)
    assert len(rows) == min(count, 100) and all(f"Cuộc kiểm tra #{visit_id} ·" in row for row in rows)
    assert any("Thêm minh chứng" in row and "Ảnh #" in row for row in rows)  # evidence added to the visit too
    assert "Đang xem mọi thay đổi của: Cuộc kiểm tra #" in text_of(page.text)
    # Each row's object links to everything about it.
    assert f'href="/audit?kind=visit&amp;object_id={visit_id}"' in page.text
    today = datetime.now(timezone(timedelta(hours=7))).date()
    assert audit_rows(client.get("/audit", params={"date_from": today.isoformat()}).text)
    assert not audit_rows(client.get("/audit", params={"date_to": (today - timedelta(days=1)).isoformat()}).text)
    bad = client.get("/audit", params={"date_from": "2026-02-30"})
    assert bad.status_code == 400 and "Từ ngày “2026-02-30” không phải là một ngày hợp lệ." in bad.text
    assert 'name="date_from" type="date" value="2026-02-30"' in bad.text  # the form keeps what was typed
    for far in ("0001-01-01", "1899-12-31"):  # year 1 overflowed the move to UTC (500, review finding)
        assert client.get("/audit", params={"date_from": far}).status_code == 400
    assert client.get("/audit", params={"page": str(2**62)}).status_code == 200  # clamped: an empty last page
    assert client.get("/audit", params={"page": str(2**70)}).status_code == 400  # no 64-bit integer (issue 15)


def test_unknown_page_is_a_vietnamese_404(as_role):
    response = as_role("admin").get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang hoặc dữ liệu yêu cầu." in response.text


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_schema_lists_the_api(client):
    schema = client.get("/schema/openapi.json").json()
    for path in ("/api/v1/me", "/api/v1/units", "/api/v1/plans", "/api/v1/visits", "/api/v1/checklists"):
        assert path in schema["paths"]
    assert not any(p.startswith("/plans") for p in schema["paths"])  # pages are not API


def test_static_htmx_is_vendored_and_compressed(client):
    response = client.get("/static/js/htmx-2.0.11.min.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == "gzip"


def test_static_files_are_served_in_the_best_coding_the_browser_accepts(client):
    url = asset("js/capture.js")
    plain = static.static_file("js/capture.js").data  # the file without its comment lines (static.lean)
    assert plain == static.lean("js/capture.js", (ROOT / "static" / "js" / "capture.js").read_bytes())
    for accept, coding in (("gzip, deflate, br, zstd", "br"), ("gzip, deflate", "gzip"), ("br;q=0, gzip", "gzip"),
                           ("identity", None)):
        response = client.get(url, headers={"Accept-Encoding": accept})
        assert response.status_code == 200 and response.content == plain, accept
        assert response.headers.get("content-encoding") == coding, accept
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    # Brotli at quality 11, computed once: smaller than the best gzip.
    raw = client.get(url, headers={"Accept-Encoding": "br"}).headers["content-length"]
    assert int(raw) == len(brotli.compress(plain, quality=11, mode=brotli.MODE_TEXT)) < len(gzip.compress(plain, 9))


def test_the_visit_page_leaves_out_the_style_sheet_of_the_other_pages(as_role):
    """pages.css holds the rules only other pages use (the visit page's first load over 3G): no visit page, in
    any state the demo has, uses a class that only pages.css styles; every other page links it."""
    def classes(sheet: str) -> set[str]:
        return set(re.findall(r"\.([A-Za-z][\w-]*)", static.static_file(f"css/{sheet}").data.decode()))

    only_there = classes("pages.css") - classes("app.css")
    assert {"facts", "signature-pad", "node-head", "unit-picker"} <= only_there
    client = as_role("lead")
    for visit in client.get("/api/v1/visits").json():
        response = client.get(f"/visits/{visit['id']}")
        html = response.text
        assert "pages.css" not in html and 'rel="stylesheet"' not in html
        # app.css is in the page (its first layout need not wait for a second request over 3G), allowed by its hash.
        inline = re.search(r'<style data-href="([^"]+)">(.*?)</style>', html, re.S)
        assert inline and inline[1] == asset("css/app.css")
        assert inline[2].encode() == static.static_file("css/app.css").data
        digest = base64.b64encode(hashlib.sha256(inline[2].encode()).digest()).decode()
        assert f"style-src 'self' 'sha256-{digest}'" in response.headers["content-security-policy"]
        used = {c for attr in re.findall(r'class="([^"]*)"', html) for c in attr.split()}
        assert not used & only_there, (visit["id"], used & only_there)
    for page in ("/", "/visits", "/plans", f"/visits/{visit['id']}/sign-off"):
        assert asset("css/pages.css") in client.get(page).text, page


def test_static_files_revalidate_unless_the_url_names_their_content(client):
    assert "etag" not in client.get(asset("css/app.css")).headers  # immutable: nothing to revalidate
    # No hash, or the hash of an earlier release (a page rendered before it): always revalidated.
    for stale in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        first = client.get(stale, headers={"Accept-Encoding": "br"})
        assert first.headers["cache-control"] == "no-cache"
        again = client.get(stale, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    for missing in ("/static/css/nope.css", "/static/../inspect_app/app.py", "/static/%2e%2e/pyproject.toml",
                    "/static/js"):
        assert client.get(missing).status_code == 404, missing


def test_an_unchanged_page_is_revalidated_with_a_304(as_role):
    client = as_role("inspector")
    visit = next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == "11560")
    first = client.get(f"/visits/{visit['id']}")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = client.get(f"/visits/{visit['id']}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # A change on the page gives a new ETag: the tablet never shows a stale page.
    code = "1.7.1"
    saved = client.put(f"/api/v1/visits/{visit['id']}/findings/{code}", json={"answer": True, "base_version": 0},
                       headers={"x-csrftoken": client.cookies["csrftoken"], "Idempotency-Key": "etag-test-1"})
    assert saved.status_code == 200
    changed = client.get(f"/visits/{visit['id']}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
