"""Self-assessment: the unit answers with evidence, submits; the team appraises beside it."""

from __future__ import annotations

import io
import time
import uuid

import pytest
from conftest import csrf_token, followed, login, post_form, text_of
import dbtarget
import dbchecks
from PIL import Image
from fill import SAMPLE_ROWS, typed


def h(client) -> dict:
    return {"x-csrftoken": csrf_token(client), "Idempotency-Key": str(uuid.uuid4())}


def items_of(client, visit):
    tree = client.get(f"/api/v1/checklists/{visit['checklist_id']}", params={"version": visit["checklist_version"]})
    return [i for a in tree.json()["checklist"]["areas"] for c in a["criteria"] for i in c["items"]]


def best(item):
    return {"yesno": True, "levels": (item["levels"] or [{}])[0].get("key"), "score": item["max_points"],
            "ratio": [10, 10], "count": 99, "deduction": 0, "text": "Đã thực hiện", "date": "2026-01-10",
            "sample": SAMPLE_ROWS}[item["type"]]


@pytest.fixture
def visit(client):
    login(client, "dv11560")
    return next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == "11560")


def fill_all(client, visit, items):
    for item in typed(items):
        r = client.put(f"/api/v1/visits/{visit['id']}/self-assessment/{item['code']}", headers=h(client),
                       json={"answer": best(item), "note": "Có văn bản kèm theo", "base_version": 0})
        assert r.status_code == 200, r.text


def test_unit_fills_submits_and_then_cannot_change(client, visit, settings):
    items = items_of(client, visit)
    first = items[0]
    saved = client.put(f"/api/v1/visits/{visit['id']}/self-assessment/{first['code']}", headers=h(client),
                       json={"answer": best(first), "note": "Kế hoạch số 05/KH-UBND", "base_version": 0})
    assert saved.status_code == 200 and saved.json()["version"] == 1 and saved.json()["status"] == "draft"
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 90, 160)).save(photo, "JPEG")
    ev = client.post(f"/api/v1/visits/{visit['id']}/self-assessment/{first['code']}/evidence", headers=h(client),
                     files={"file": ("bang-niem-yet.jpg", photo.getvalue(), "image/jpeg")})
    assert ev.status_code == 201
    incomplete = client.post(f"/api/v1/visits/{visit['id']}/self-assessment/submit", headers=h(client))
    assert incomplete.status_code == 409 and incomplete.json()["error"] == "incomplete"
    fill_all(client, visit, items[1:])
    assert client.post(f"/api/v1/visits/{visit['id']}/self-assessment/submit", headers=h(client)).status_code == 200
    late = client.put(f"/api/v1/visits/{visit['id']}/self-assessment/{first['code']}", headers=h(client),
                      json={"answer": best(first), "note": "đổi ý", "base_version": 1})
    assert late.status_code == 409 and late.json()["error"] == "submitted"
    page = client.get(f"/visits/{visit['id']}/self-assessment").text
    assert "không sửa được nữa" in page and 'name="choice"' in page and "disabled" in page
    with pytest.raises(dbchecks.INTEGRITY_ERRORS, match="submitted"):
        dbtarget.sql(settings, "UPDATE self_answers SET note = 'sửa lén'")


def test_only_the_units_own_visits_and_no_findings_before_sign_off(client, visit):
    login(client, "sonoivu")
    other = next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == "10525")
    login(client, "dv11560")
    assert client.get(f"/visits/{other['id']}/self-assessment").status_code == 404
    assert client.put(f"/api/v1/visits/{other['id']}/self-assessment/1.1.1", headers=h(client),
                      json={"answer": True, "base_version": 0}).status_code == 404
    assert client.get(f"/api/v1/visits/{visit['id']}/findings").status_code == 403
    login(client, "kiemtravien")
    # The team cannot write the unit's answers, nor read a draft.
    assert client.put(f"/api/v1/visits/{visit['id']}/self-assessment/1.1.1", headers=h(client),
                      json={"answer": True, "base_version": 0}).status_code == 403
    assert client.get(f"/api/v1/visits/{visit['id']}/self-assessment").status_code == 404


def test_team_sees_the_units_answer_accepts_or_differs_with_a_note(client, visit):
    items = items_of(client, visit)
    fill_all(client, visit, items)
    assert client.post(f"/api/v1/visits/{visit['id']}/self-assessment/submit", headers=h(client)).status_code == 200
    login(client, "kiemtravien")
    page = client.get(f"/visits/{visit['id']}").text
    assert page.count("Đơn vị tự đánh giá:") == len(typed(items))  # a derived item has no answer of its own
    assert "Chấp nhận kết quả của đơn vị" in page
    yesno = next(i for i in items if i["type"] == "yesno")
    # One tap: accept the unit's answer (a plain form with the unit's values, as the page has it: no key).
    accepted = post_form(client, f"/visits/{visit['id']}/items/{yesno['code']}", {
        "choice": "yes", "note": "Chấp nhận kết quả tự đánh giá của đơn vị.", "base_version": "0", "accept": "1"})
    assert accepted.status_code == 303
    ratio = next(i for i in items if i["type"] == "ratio")
    no_note = client.put(f"/api/v1/visits/{visit['id']}/findings/{ratio['code']}", headers=h(client),
                         json={"answer": [4, 10], "base_version": 0})
    assert no_note.status_code == 422 and "ghi chú lý do" in no_note.json()["message"]
    with_note = client.put(f"/api/v1/visits/{visit['id']}/findings/{ratio['code']}", headers=h(client),
                           json={"answer": [4, 10], "note": "Chỉ 4/10 hồ sơ đúng hạn khi lấy mẫu", "base_version": 0})
    assert with_note.status_code == 200
    differs = client.get(f"/visits/{visit['id']}", params={"filter": "differs"}).text
    assert differs.count('class="item-card') == 1 and "khác kết quả thẩm định" in differs
    summary = text_of(client.get(f"/visits/{visit['id']}").text)
    assert "Tự đánh giá 100" in summary and "chênh lệch" in summary


def test_admin_opens_a_campaign_and_sees_late_units(client):
    login(client, "sonoivu")
    plan = client.get("/api/v1/plans").json()[0]
    visits = [v for v in client.get("/api/v1/visits").json() if v["status"] == "planned"]
    response = client.post(f"/plans/{plan['id']}/self-assessments", follow_redirects=False, data={
        "visit_id": [str(v["id"]) for v in visits[:3]], "deadline": "2020-01-01",
        "_csrf_token": csrf_token(client)})
    assert response.status_code == 303
    page = text_of(client.get(f"/plans/{plan['id']}/self-assessments").text)
    assert "3 quá hạn" in page and "Quá hạn nộp" in page
    nothing = post_form(client, f"/plans/{plan['id']}/self-assessments", {"deadline": "2030-01-01"})
    assert "Chọn ít nhất một đơn vị" in followed(client, nothing).text


def test_late_self_assessments_join_the_reminder_digest(client, settings, monkeypatch, capsys):
    from inspect_app.cli import main as cli

    login(client, "sonoivu")
    plan = client.get("/api/v1/plans").json()[0]
    visit = next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == "10507")
    client.post(f"/plans/{plan['id']}/self-assessments", data={"visit_id": str(visit["id"]), "deadline": "2020-01-01",
                                                              "_csrf_token": csrf_token(client)})
    dbchecks.point_cli_at(monkeypatch, settings)
    monkeypatch.delenv("INSPECT_SMTP_HOST", raising=False)
    assert cli(["reminders"]) == 0
    out = capsys.readouterr().out
    assert "Phường Thành Đông" in out and "TỰ ĐÁNH GIÁ: chưa nộp" in out and "quá hạn" in out


def test_minutes_and_plan_xlsx_show_both_scores_and_the_difference(client, visit):
    import openpyxl

    items = items_of(client, visit)
    fill_all(client, visit, items)
    assert client.post(f"/api/v1/visits/{visit['id']}/self-assessment/submit", headers=h(client)).status_code == 200
    login(client, "truongdoan")
    for n, item in enumerate(items):  # the team appraises lower on every third item, with a reason
        if item.get("from_sample"):
            continue  # computed from the sample's rows
        answer = best(item)
        if n % 3 == 0 and item["type"] == "yesno":
            answer = False
        r = client.put(f"/api/v1/visits/{visit['id']}/findings/{item['code']}", headers=h(client),
                       json={"answer": answer, "note": "Không có văn bản" if answer is False else "",
                             "base_version": 0})
        assert r.status_code == 200, r.text
    assert client.post(f"/api/v1/visits/{visit['id']}/sign-off", headers=h(client),
                       json={"unit_representative": "Ông Vũ Văn Long, Chủ tịch UBND phường",
                             "missing_evidence_reason": "Đã đối chiếu bản gốc tại đơn vị"}).status_code == 200
    appraisal = client.get(f"/visits/{visit['id']}")
    summary = text_of(appraisal.text)
    assert "Tự đánh giá 100" in summary
    minutes = text_of(client.get(f"/visits/{visit['id']}/minutes").text)
    assert "đơn vị tự đánh giá 100 điểm" in minutes and "chênh lệch -" in minutes
    login(client, "sonoivu")
    job = client.post(f"/reports/plans/{visit['plan_id']}/export", follow_redirects=False,
                      data={"format": "xlsx", "_csrf_token": csrf_token(client)})
    assert job.status_code == 303
    job_url = job.headers["location"]
    for _ in range(200):
        if f"{job_url}/file" in client.get(job_url, headers={"HX-Request": "true"}).text:
            break
        time.sleep(0.05)
    file_url = f"{job_url}/file"
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(file_url).content))
    sheet = workbook["Tự đánh giá"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["Đơn vị", "Tự đánh giá", "Thẩm định", "Chênh lệch"]
    mine = next(r for r in rows if r[0] == "Phường Thủy Nguyên")
    assert mine[1] == 100 and mine[2] < 100 and mine[3] == round(mine[2] - mine[1], 2)
