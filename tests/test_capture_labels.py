"""What the visit and self-assessment headers say about the score, and the points label in a conflict."""

from __future__ import annotations

import re
import uuid

import pytest
from conftest import csrf_token, login, text_of

from inspect_app.services.capture import score_state
from inspect_app.text import vn_number


def hx(client) -> dict:
    return {"HX-Request": "true", "Idempotency-Key": str(uuid.uuid4()), "x-csrftoken": csrf_token(client)}


def api(client) -> dict:
    return {"x-csrftoken": csrf_token(client), "Idempotency-Key": str(uuid.uuid4())}


def visit_of(client, unit_code: str) -> dict:
    return next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == unit_code)


def items(client, visit) -> list[dict]:
    tree = client.get(f"/api/v1/checklists/{visit['checklist_id']}",
                      params={"version": visit["checklist_version"]}).json()["checklist"]
    return [i for a in tree["areas"] for c in a["criteria"] for i in c["items"]]


def score_text(html: str) -> str:
    found = re.search(r'<span class="stat" id="score">(.*?)</span>\s*<span class="badge', html, re.S)
    assert found, "no score in the progress header"
    return text_of(found.group(1)).strip()


@pytest.mark.parametrize("answered, status, state", [
    (0, "planned", "none"), (0, "in_progress", "none"), (3, "in_progress", "provisional"),
    (66, "submitted", "provisional"), (66, "signed_off", "final"), (66, "amended", "final"),
])
def test_score_state(answered, status, state):
    assert score_state(answered, status) == state


def test_the_visit_has_no_score_before_an_answer_and_a_final_one_after_sign_off(client):
    login(client, "kiemtravien")
    visit = visit_of(client, "11560")
    before = score_text(client.get(f"/visits/{visit['id']}").text)
    assert before == "Chưa có điểm"  # not "Điểm tạm tính 0/100 (0%, Yếu)"
    yesno = next(i for i in items(client, visit) if i["type"] == "yesno")
    saved = client.post(f"/visits/{visit['id']}/items/{yesno['code']}",
                        data={"choice": "yes", "note": "", "base_version": "0"}, headers=hx(client))
    assert saved.status_code == 200
    assert score_text(saved.text).startswith("Điểm tạm tính ")  # the header swapped in after the save
    assert score_text(client.get(f"/visits/{visit['id']}").text).startswith("Điểm tạm tính ")
    login(client, "truongdoan")
    signed = visit_of(client, "10532")
    assert signed["status"] == "signed_off"
    final = score_text(client.get(f"/visits/{signed['id']}").text)
    assert final.startswith("Điểm kết quả ") and "tạm tính" not in final
    assert "tạm tính" not in score_text(client.get(f"/visits/{signed['id']}/sign-off").text)


def test_self_assessment_header_follows_each_save(client):
    login(client, "dv11560")
    visit = visit_of(client, "11560")
    page = client.get(f"/visits/{visit['id']}/self-assessment").text
    total = len(items(client, visit))
    assert f"0/{total} tiêu chí đã tự đánh giá" in text_of(page) and "Chưa có điểm tự đánh giá" in text_of(page)
    yesno = next(i for i in items(client, visit) if i["type"] == "yesno")
    saved = client.post(f"/visits/{visit['id']}/self-assessment/items/{yesno['code']}",
                        data={"choice": "yes", "note": "", "base_version": "0"}, headers=hx(client))
    assert saved.status_code == 200
    header = re.search(r'<div id="self-progress" class="progress-bar" hx-swap-oob="true">(.*?)</div>', saved.text, re.S)
    assert header, "the save does not update the header"
    assert f"1/{total} tiêu chí đã tự đánh giá" in text_of(header.group(1))
    assert f"Điểm tự đánh giá {vn_number(yesno['max_points'])}" in text_of(header.group(1))
    dom = yesno["code"].replace(".", "_")  # and the card's own points label
    full = vn_number(yesno["max_points"])
    assert f'<span class="item-points" id="points-{dom}" hx-swap-oob="true">{full}/{full} đ</span>' in saved.text


def test_a_conflict_shows_the_stored_points_not_the_stale_ones(client):
    """Page loaded with 0 points; the lead then saves full marks; my stale save of one step is refused:
    the card's points label shows what is stored (full marks), and the box shows both with points."""
    login(client, "kiemtravien")
    visit = visit_of(client, "11560")
    item = next(i for i in items(client, visit) if i["type"] == "score" and i["max_points"] > i["step"])
    code, dom = item["code"], item["code"].replace(".", "_")
    url = f"/api/v1/visits/{visit['id']}/findings/{code}"
    assert client.put(url, json={"answer": 0, "base_version": 0}, headers=api(client)).status_code == 200
    page = client.get(f"/visits/{visit['id']}").text
    assert f'id="points-{dom}">0/{vn_number(item["max_points"])} đ' in page
    login(client, "truongdoan")
    full_marks = client.put(url, json={"answer": item["max_points"], "base_version": 1}, headers=api(client))
    assert full_marks.status_code == 200
    login(client, "kiemtravien")
    stale = client.post(f"/visits/{visit['id']}/items/{code}",
                        data={"number": vn_number(item["step"]), "note": "", "base_version": "1"}, headers=hx(client))
    assert stale.status_code == 409
    full, step = vn_number(item["max_points"]), vn_number(item["step"])
    label = re.search(rf'<span class="item-points" id="points-{dom}" hx-swap-oob="true">(.*?)</span>', stale.text)
    assert label and text_of(label.group(1)).strip() == f"{full}/{full} đ"
    box = text_of(stale.text)
    assert f"({full}/{full} đ)" in box and f"({step}/{full} đ)" in box
