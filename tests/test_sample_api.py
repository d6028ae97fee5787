"""The dossier sample through the API and the card form: rows saved through the one save_finding, bad rows
refused with a Vietnamese 422 that changes nothing, a derived item computed and never typed."""

from __future__ import annotations

import io
import uuid

import pytest
from conftest import csrf_token, login, post_form
from docx import Document

SAMPLE, ON_TIME = "2.1.4", "2.1.1"


def row(code: str, promised: str = "2026-11-03", returned: str | None = None, **more) -> dict:
    out = {"ma_ho_so": code, "ngay_tiep_nhan": "2026-10-20", "ngay_hen_tra": promised, **more}
    if returned:
        out["ngay_tra"] = returned
    return out


@pytest.fixture
def visit_id(client) -> int:
    """A surprise one-stop visit opened today by the demo lead (a member of its team)."""
    login(client, "truongdoan")
    plan = client.get("/api/v1/plans").json()[0]
    response = post_form(client, f"/plans/{plan['id']}/surprise", {"unit_code": "10525",
                                                                    "checklist_id": "mot-cua-dot-xuat"})
    assert response.status_code == 303
    return int(response.headers["location"].rsplit("/", 1)[1])


def put(client, visit_id, code, body, key=None):
    headers = {"x-csrftoken": csrf_token(client), "Idempotency-Key": key or str(uuid.uuid4())}
    return client.put(f"/api/v1/visits/{visit_id}/findings/{code}", json=body, headers=headers)


def listed(client, visit_id) -> dict:
    data = client.get(f"/api/v1/visits/{visit_id}/findings").json()
    return {"progress": data["progress"], **{f["item_code"]: f for f in data["findings"]}}


def test_rows_saved_and_the_on_time_ratio_derived(client, visit_id):
    rows = [row("H1", returned="2026-11-02"), row("H2", returned="2026-11-03"), row("H3", returned="2026-11-05"),
            row("H4", phieu_xin_loi=True, truc_tuyen=False)]
    saved = put(client, visit_id, SAMPLE, {"answer": rows, "base_version": 0})
    assert saved.status_code == 200, saved.text
    assert saved.json()["answer"] == rows and saved.json()["version"] == 1
    got = listed(client, visit_id)
    assert got[SAMPLE]["answer"] == rows
    # 2 of the 3 returned dossiers on time: 66.67 % is below the first band (80 %): 0 of 3 points.
    assert got[ON_TIME] == {**got[ON_TIME], "answer": [2, 3], "score": 0, "max_points": 3, "version": 0}
    assert got["progress"]["answered"] == 2
    # Every save of the sample derives again.
    rows[2] = row("H3", returned="2026-11-01")
    again = put(client, visit_id, SAMPLE, {"answer": rows, "base_version": 1})
    assert again.status_code == 200
    assert listed(client, visit_id)[ON_TIME]["answer"] == [3, 3]
    assert listed(client, visit_id)[ON_TIME]["score"] == 3
    # A stale base_version is the usual conflict, with the current rows.
    stale = put(client, visit_id, SAMPLE, {"answer": rows[:1], "base_version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["answer"] == rows


def test_same_key_replays_and_other_content_conflicts(client, visit_id):
    body = {"answer": [row("H1", returned="2026-11-02")], "base_version": 0}
    first = put(client, visit_id, SAMPLE, body, key="k-sample-1")
    replay = put(client, visit_id, SAMPLE, body, key="k-sample-1")
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == first.json()
    other = put(client, visit_id, SAMPLE, {**body, "answer": [row("H9")]}, key="k-sample-1")
    assert other.status_code == 409


@pytest.mark.parametrize(("rows", "message"), [
    ([{**row("H1"), "so_ho_so": "x"}], "Dòng 1: không có cột «so_ho_so» trong mẫu"),
    ([row("H1"), row("H2", returned="2026-02-31")], "Dòng 2, cột «Ngày trả kết quả»: ngày «2026-02-31» không tồn tại"),
    ([{"ma_ho_so": "H1"}], "Dòng 1: chưa nhập «Ngày hẹn trả» (cột bắt buộc)."),
    ([{**row("H1"), "ma_ho_so": "  "}], "Dòng 1: chưa nhập «Mã hồ sơ» (cột bắt buộc)."),
    ([row(f"H{i}") for i in range(51)], "Mẫu có 51 dòng, vượt quá 50 dòng tối đa"),
    ([{**row("H1"), "truc_tuyen": "có"}], "cột «Nộp trực tuyến»: phải là có (true) hoặc không (false)"),
    ([["H1", "2026-11-03"]], "mỗi dòng một đối tượng"),
    ({"ma_ho_so": "H1"}, "danh sách các dòng"),
])
def test_bad_rows_are_refused_and_change_nothing(client, visit_id, rows, message):
    response = put(client, visit_id, SAMPLE, {"answer": rows, "base_version": 0})
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_answer" and message in response.json()["message"]
    assert SAMPLE not in listed(client, visit_id)
    assert client.get(f"/api/v1/visits").json()  # the server is fine


def test_typing_into_a_derived_item_is_refused(client, visit_id):
    response = put(client, visit_id, ON_TIME, {"answer": [3, 3], "base_version": 0})
    assert response.status_code == 409
    assert response.json()["error"] == "item_derived" and "2.1.4" in response.json()["message"]
    form = post_form(client, f"/visits/{visit_id}/items/{ON_TIME}", {"numerator": "3", "denominator": "3",
                                                                   "base_version": "0"})
    assert form.status_code in (303, 409)
    assert ON_TIME not in listed(client, visit_id)


def test_the_card_form_posts_rows_and_drops_an_empty_one(client, visit_id):
    fields = {"base_version": "0", "row-0-ma_ho_so": "H1", "row-0-ngay_hen_tra": "2026-11-03",
              "row-0-ngay_tra": "2026-11-03", "row-0-phieu_xin_loi": "no", "row-0-truc_tuyen": "yes",
              "row-1-ma_ho_so": "", "row-1-ngay_hen_tra": "", "row-1-truc_tuyen": "",
              "row-2-ma_ho_so": "H2", "row-2-ngay_hen_tra": "2026-11-03", "row-2-ngay_tra": "2026-11-04"}
    response = post_form(client, f"/visits/{visit_id}/items/{SAMPLE}", fields,
                         headers={"HX-Request": "true", "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 200, response.text
    got = listed(client, visit_id)
    assert got[SAMPLE]["answer"] == [
        {"ma_ho_so": "H1", "ngay_hen_tra": "2026-11-03", "ngay_tra": "2026-11-03", "phieu_xin_loi": False,
         "truc_tuyen": True},
        {"ma_ho_so": "H2", "ngay_hen_tra": "2026-11-03", "ngay_tra": "2026-11-04"}]
    assert got[ON_TIME]["answer"] == [1, 2]


def test_sign_off_waits_for_the_sample(client, visit_id):
    response = client.post(f"/api/v1/visits/{visit_id}/sign-off", json={"unit_representative": "Ông A"},
                           headers={"x-csrftoken": csrf_token(client)})
    assert response.status_code == 409
    assert {SAMPLE, ON_TIME} <= set(response.json()["unanswered"])
    put(client, visit_id, SAMPLE, {"answer": [row("H1", returned="2026-11-02")], "base_version": 0})
    response = client.post(f"/api/v1/visits/{visit_id}/sign-off", json={"unit_representative": "Ông A"},
                           headers={"x-csrftoken": csrf_token(client)})
    assert SAMPLE not in response.json()["unanswered"] and ON_TIME not in response.json()["unanswered"]


def test_the_minutes_list_the_rows_in_an_appendix(client, visit_id):
    rows = [row("HS-001", returned="2026-11-02", phieu_xin_loi=False),
            row("HS-002", returned="2026-11-05", phieu_xin_loi=True)]
    assert put(client, visit_id, SAMPLE, {"answer": rows, "base_version": 0}).status_code == 200
    page = client.get(f"/visits/{visit_id}/minutes")
    assert page.status_code == 200
    html = page.text
    assert "MẪU HỒ SƠ KIỂM TRA (TIÊU CHÍ 2.1.4)" in html and "HS-002" in html and "05/11/2026" in html
    assert "1/2" in html  # the derived ratio in the findings table
    docx = client.get(f"/visits/{visit_id}/minutes.docx")
    assert docx.status_code == 200
    document = Document(io.BytesIO(docx.content))
    cells = [cell.text for table in document.tables for r in table.rows for cell in r.cells]
    assert "HS-001" in cells and "02/11/2026" in cells and "Có" in cells and "1/2" in cells


def test_the_visit_page_shows_the_sample_table_and_the_derived_figures(client, visit_id):
    rows = [row("HS-001", returned="2026-11-02", truc_tuyen=True), row("HS-002", returned="2026-11-05")]
    assert put(client, visit_id, SAMPLE, {"answer": rows, "base_version": 0}).status_code == 200
    html = client.get(f"/visits/{visit_id}").text
    assert 'name="row-1-ma_ho_so" value="HS-002"' in html and 'name="row-2-ma_ho_so" value=""' in html
    assert '<option value="yes" selected>Có</option>' in html
    assert "+ Thêm hồ sơ" in html and "sample.js" in html
    assert 'id="derived-2_1_1"' in html and "1/2 (50%)" in html


def test_two_inspectors_editing_the_sample_get_the_conflict_view_not_a_merge(client, visit_id):
    theirs = [row("HS-THEIRS", returned="2026-11-02")]
    assert put(client, visit_id, SAMPLE, {"answer": theirs, "base_version": 0}).status_code == 200
    mine = {"base_version": "0", "row-0-ma_ho_so": "HS-MINE", "row-0-ngay_hen_tra": "2026-11-03"}
    response = post_form(client, f"/visits/{visit_id}/items/{SAMPLE}", mine,
                         headers={"HX-Request": "true", "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 409
    assert "1 hồ sơ" in response.text  # their saved sample, shown beside what was typed
    assert listed(client, visit_id)[SAMPLE]["answer"] == theirs
